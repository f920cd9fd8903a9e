// The upload page (web/upload.html): the files chosen or dropped on the drop zone are sent with
// XMLHttpRequest so that a <progress> shows the upload, then "正在识别…" until the answer: the
// cards of the documents (put in the results), or the form's fields with the error beside them.
(function () {
  "use strict";
  var form = document.querySelector("[data-upload-form]");
  if (!form) return;
  var zone = form.querySelector("[data-drop-zone]");
  var box = form.querySelector("[data-upload-progress]");
  var bar = form.querySelector("[data-progress]");
  var label = form.querySelector("[data-progress-text]");
  var button = form.querySelector("[data-action=upload]");
  var results = document.querySelector("[data-results]");

  function fileInput() {
    return form.querySelector("input[name=files]");
  }

  function progress(text, share) {
    box.hidden = false;
    label.textContent = text;
    if (share === null) bar.removeAttribute("value"); // indeterminate: the server is reading
    else bar.value = Math.round(share * 100);
  }

  function done() {
    box.hidden = true;
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }

  // The error page's explanation (a 429 says when to try again), else the form's own words.
  function failure(html) {
    var page = html ? new DOMParser().parseFromString(html, "text/html") : null;
    var detail = page && page.querySelector("[data-error] p");
    var banner = document.createElement("p");
    banner.className = "banner bad";
    banner.setAttribute("role", "alert");
    banner.textContent = detail ? detail.textContent : form.dataset.textFailed;
    results.replaceChildren(banner);
  }

  function answered(request) {
    done();
    if (request.status === 200) {
      results.innerHTML = request.responseText;
      form.querySelectorAll("[data-error-for]").forEach(function (error) { error.remove(); });
      fileInput().removeAttribute("aria-invalid");
      fileInput().value = "";
      var first = results.querySelector("[data-document] h2");
      if (first) {
        first.tabIndex = -1;
        first.focus();
      }
    } else if (request.status === 400) {
      form.querySelector("[data-upload-fields]").innerHTML = request.responseText;
      fileInput().focus();
    } else {
      failure(request.responseText);
    }
  }

  function upload() {
    var request = new XMLHttpRequest();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    if (token) request.setRequestHeader("X-CSRFToken", token.value);
    request.upload.onprogress = function (event) {
      if (event.lengthComputable) progress(form.dataset.textUploading, event.loaded / event.total);
    };
    request.upload.onload = function () { progress(form.dataset.textReading, null); };
    request.onload = function () { answered(request); };
    request.onerror = function () {
      done();
      failure(null);
    };
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    progress(form.dataset.textUploading, 0);
    request.send(new FormData(form));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    upload();
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    fileInput().files = event.dataTransfer.files;
    upload();
  });
})();
