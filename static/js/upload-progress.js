/* Upload progress for forms marked data-upload-progress: sends the form with XHR so the
   browser reports upload progress, then follows the server's redirect or shows its answer.
   Without JavaScript the form posts normally. No inline script: CSP allows 'self' only. */
(function () {
  "use strict";

  function showAnswer(form, xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var main = doc.querySelector("main");
    var here = document.querySelector("main");
    if (main && here) {
      here.innerHTML = main.innerHTML;
    } else {
      form.querySelector("[data-upload-status]").textContent = "Upload failed (" + xhr.status + ").";
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress")) {
      return;
    }
    if (!window.XMLHttpRequest || !window.FormData) {
      return;
    }
    event.preventDefault();
    var bar = form.querySelector("[data-upload-bar]");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && bar) {
        bar.hidden = false;
        bar.value = Math.round((e.loaded / e.total) * 100);
        if (status) { status.textContent = "Uploading… " + bar.value + "%"; }
      }
    });
    xhr.upload.addEventListener("load", function () {
      if (status) { status.textContent = "Checking the file and making previews…"; }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);
      } else {
        showAnswer(form, xhr);
      }
    });
    xhr.addEventListener("error", function () {
      if (status) { status.textContent = "The upload was interrupted. Please try again."; }
      if (button) { button.disabled = false; }
    });
    if (button) { button.disabled = true; }
    xhr.send(new FormData(form));
  });
})();
