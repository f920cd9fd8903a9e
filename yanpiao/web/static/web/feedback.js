// The feedback forms (web/_feedback.html) post inline with htmx.  htmx swaps nothing on an error
// status; a 400 from them is the partial again with the errors beside the fields, so show it.
// Loaded by every copy of the partial (and again when htmx swaps one in): listen once.
(function () {
  if (window.yanpiaoFeedback) return;
  window.yanpiaoFeedback = true;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.elt.closest("[data-feedback]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
