// The scan page (web/scan.html): the rear camera reads an invoice's QR code a few times a second,
// with the browser's BarcodeDetector where it has one and jsQR otherwise; the first text read stops
// the camera and is sent as the form's payload.  A hardware scanner types into the same form.
// The scanner section's data-scan-state (idle, scanning, decoded, error) is for browser tests.
(function () {
  "use strict";
  var INTERVAL = 250; // milliseconds between two looks at the camera's picture
  var WIDTH = 640; // pixels: frames are scaled down to this width for jsQR

  var scanner = document.querySelector("[data-scanner]");
  var form = document.querySelector("[data-scan-form]");
  if (!scanner || !form) return;
  var video = scanner.querySelector("[data-video]");
  var canvas = scanner.querySelector("[data-canvas]");
  var start = scanner.querySelector("[data-action=start-camera]");
  var stop = scanner.querySelector("[data-action=stop-camera]");
  var decoded = scanner.querySelector("[data-decoded]");
  var results = document.querySelector("[data-results]");
  var stream = null;
  var timer = null;

  function setState(state, message) {
    scanner.dataset.scanState = state;
    scanner.querySelectorAll("[data-message]").forEach(function (element) {
      element.hidden = element.dataset.message !== message;
    });
  }

  function stopCamera() {
    clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function payloadInput() {
    return form.querySelector("input[name=payload]");
  }

  function banner(text) {
    var element = document.createElement("p");
    element.className = "banner bad";
    element.setAttribute("role", "alert");
    element.textContent = text;
    results.replaceChildren(element);
  }

  // The error page's explanation (a 429 says when to try again), else the form's own words.
  function failure(html) {
    var page = html ? new DOMParser().parseFromString(html, "text/html") : null;
    var detail = page && page.querySelector("[data-error] p");
    banner(detail ? detail.textContent : form.dataset.textFailed);
  }

  // fromForm: typed by a hardware scanner, which will type the next one into the same box.
  function send(payload, fromForm) {
    var body = new URLSearchParams({ payload: payload });
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          scanner.querySelector("[data-message=decoded]").hidden = true;
          if (response.status === 200) {
            results.innerHTML = html;
            form.querySelectorAll("[data-error-for]").forEach(function (error) { error.remove(); });
            payloadInput().removeAttribute("aria-invalid");
            payloadInput().value = "";
            if (fromForm) payloadInput().focus();
          } else if (response.status === 400) {
            form.querySelector("[data-scan-fields]").innerHTML = html;
            payloadInput().focus();
          } else {
            failure(html);
          }
        });
      })
      .catch(function () { failure(null); });
  }

  function found(text) {
    stopCamera();
    decoded.textContent = text;
    decoded.hidden = false;
    payloadInput().value = text;
    setState("decoded", "decoded");
    send(text, false);
  }

  // A decoder: a function of the video that resolves to the QR code's text, or null.
  function decoder() {
    if ("BarcodeDetector" in window) {
      return BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) return jsqrDecoder();
        var detector = new BarcodeDetector({ formats: ["qr_code"] });
        return function () {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }, jsqrDecoder);
    }
    return Promise.resolve(jsqrDecoder());
  }

  function jsqrDecoder() {
    if (typeof window.jsQR !== "function") return null;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function () {
      var scale = Math.min(1, WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code && code.data ? code.data : null);
    };
  }

  function look(decode) {
    if (!stream) return;
    var ready = video.readyState >= 2 && video.videoWidth > 0;
    (ready ? decode() : Promise.resolve(null))
      .catch(function () { return null; })
      .then(function (text) {
        if (!stream) return;
        if (text) found(text);
        else timer = setTimeout(function () { look(decode); }, INTERVAL);
      });
  }

  function cameraError(error) {
    stopCamera();
    var name = error && error.name;
    var message = "busy";
    if (name === "NotAllowedError" || name === "SecurityError") message = "denied";
    else if (name === "NotFoundError" || name === "OverconstrainedError") message = "missing";
    else if (name === "unsupported") message = "unsupported";
    setState("error", message);
    payloadInput().focus();
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraError({ name: "unsupported" });
      return;
    }
    decoded.hidden = true;
    decoder()
      .then(function (decode) {
        if (!decode) throw { name: "unsupported" };
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
          .then(function (media) {
            stream = media;
            video.srcObject = media;
            video.hidden = false;
            start.hidden = true;
            stop.hidden = false;
            setState("scanning", "scanning");
            return video.play().then(function () { look(decode); });
          });
      })
      .catch(cameraError);
  }

  scanner.hidden = false;
  start.addEventListener("click", startCamera);
  stop.addEventListener("click", function () {
    stopCamera();
    setState("idle", null);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(payloadInput().value, true);
  });
  window.addEventListener("pagehide", stopCamera);
})();
