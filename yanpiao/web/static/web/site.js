// Small behaviours shared by every page.  Inline scripts are refused by the content security
// policy, so page scripts live in static files like this one.
document.addEventListener("htmx:configRequest", function (event) {
  // htmx requests carry the CSRF token from the page's form.
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});
document.addEventListener("change", function (event) {
  if (!event.target.matches("[data-show-passwords]")) return;
  event.target.form.querySelectorAll("input[type=password], input[data-was-password]").forEach(function (input) {
    input.dataset.wasPassword = "1";
    input.type = event.target.checked ? "text" : "password";
  });
});
