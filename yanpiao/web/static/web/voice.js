// Speak instead of typing (web/tickets/_voice.html): where the browser recognises speech
// (SpeechRecognition, webkitSpeechRecognition) the words fill the form's text box
// ([data-voice-target]), in Chinese or English as the page is; otherwise a voice note is
// recorded in the page (MediaRecorder) and put into the form's file input ([data-attachments]),
// for staff to play.  Where neither exists the controls stay hidden.  No inline script: CSP.
(function () {
  "use strict";

  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  var canRecord = !!(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

  function word(box, name) {
    var template = box.querySelector("template[data-voice-words]");
    var found = template && template.content.querySelector('[data-word="' + name + '"]');
    return found ? found.textContent : "";
  }

  function language() {
    var lang = (document.documentElement.lang || "zh-CN").toLowerCase();
    return lang.indexOf("en") === 0 ? "en-US" : "zh-CN";
  }

  function dictate(box, button, target, status) {
    var recognition = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (recognition) {
        recognition.stop();
        return;
      }
      recognition = new Recognition();
      recognition.lang = language();
      recognition.interimResults = false;
      recognition.continuous = false;
      var before = target.value;
      recognition.onresult = function (event) {
        var heard = "";
        for (var i = 0; i < event.results.length; i++) heard += event.results[i][0].transcript;
        target.value = before ? before.replace(/\s*$/, " ") + heard : heard;
        target.dispatchEvent(new Event("input", { bubbles: true }));
      };
      recognition.onend = function () {
        recognition = null;
        button.setAttribute("aria-pressed", "false");
        status.textContent = "";
      };
      recognition.onerror = function () {
        status.textContent = word(box, "denied");
      };
      button.setAttribute("aria-pressed", "true");
      status.textContent = word(box, "listening");
      recognition.start();
    });
  }

  function typeOf() {
    var types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
    for (var i = 0; i < types.length; i++) {
      if (!MediaRecorder.isTypeSupported || MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }

  function record(box, button, input, status) {
    var recorder = null;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (recorder) {
        recorder.stop();
        return;
      }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        var chunks = [];
        var type = typeOf();
        recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
        recorder.ondataavailable = function (event) {
          if (event.data && event.data.size) chunks.push(event.data);
        };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
          var mime = (recorder.mimeType || type || "audio/webm").split(";")[0];
          var extension = mime.split("/")[1] === "mp4" ? "m4a" : mime.split("/")[1];
          var file = new File(chunks, "voice-note." + extension, { type: mime });
          var files = new DataTransfer();
          Array.prototype.forEach.call(input.files, function (each) { files.items.add(each); });
          files.items.add(file);
          input.files = files.files;
          recorder = null;
          button.textContent = label;
          button.setAttribute("aria-pressed", "false");
          status.textContent = word(box, "recorded");
        };
        recorder.start();
        button.textContent = word(box, "stop") || label;
        button.setAttribute("aria-pressed", "true");
        status.textContent = word(box, "recording");
      }, function () {
        status.textContent = word(box, "denied");
      });
    });
  }

  function setUp(box) {
    var form = box.closest("form");
    if (!form) return;
    var target = form.querySelector("[data-voice-target]");
    var input = form.querySelector("input[type=file][data-attachments]");
    var status = box.querySelector("[data-voice-status]");
    var shown = false;
    if (Recognition && target) {
      dictate(box, box.querySelector("[data-voice-dictate]"), target, status);
      shown = true;
    } else if (canRecord && input && window.DataTransfer) {
      record(box, box.querySelector("[data-voice-record]"), input, status);
      shown = true;
    }
    box.hidden = !shown;
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-voice]"), setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
