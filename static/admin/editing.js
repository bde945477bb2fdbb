// The article form's editing aids (no inline script: served under the CSP).
// - asks before leaving a form with unsaved changes;
// - autosaves a working copy every few seconds while typing (see data-autosave-url);
// - says who else has the form open (a heartbeat to data-presence-url).
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // The editor's editable area is named by the body field's label (screen readers).
  function labelEditor(editable) {
    var field = editable.closest(".prose-editor");
    var textarea = field && field.querySelector("textarea");
    var label = textarea && document.querySelector('label[for="' + textarea.id + '"]');
    if (!label) return;
    label.id = label.id || textarea.id + "_label";
    editable.setAttribute("aria-labelledby", label.id);
  }
  document.addEventListener("prose-editor:ready", function (event) {
    labelEditor(event.detail.editor.view.dom);
  });

  ready(function () {
    document.querySelectorAll(".prose-editor .ProseMirror[contenteditable]").forEach(labelEditor);
    var form = document.getElementById("article_form");
    if (!form) return;
    var dirty = false;

    function changed() { dirty = true; }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (event) {
      // A save leaves the page on purpose; a preview opens a new tab and keeps it.
      var via = event.submitter;
      if (!(via && via.getAttribute("formtarget") === "_blank")) dirty = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";  // older browsers show the prompt only for this
    });

    var aids = document.getElementById("editing-aids");
    if (!aids) return;  // a new article: nothing to autosave against yet
    function post(url, extra, whole) {
      var data = new FormData(whole === false ? undefined : form);
      data.delete("lead_image");  // files are never autosaved
      data.set("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
      Object.keys(extra || {}).forEach(function (key) { data.set(key, extra[key]); });
      return fetch(url, {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; });
    }

    // Autosave: every few seconds while typing, only when something changed.
    var typed = false;
    form.addEventListener("input", function () { typed = true; });
    form.addEventListener("change", function () { typed = true; });
    var status = document.getElementById("autosave-status");
    window.setInterval(function () {
      if (!typed) return;
      typed = false;
      post(aids.dataset.autosaveUrl).then(function (answer) {
        if (answer && status) status.textContent = "Autosaved at " + answer.saved_at + " (not saved).";
      });
    }, 3000);
    var discard = document.getElementById("discard-working-copy");
    if (discard) {
      discard.addEventListener("click", function () {
        post(aids.dataset.autosaveUrl, {discard: "1"}, false).then(function () {
          discard.closest("p").remove();
        });
      });
    }

    // Presence: a heartbeat; the answer names who else has the form open.
    var presence = document.getElementById("presence");
    function beat() {
      post(aids.dataset.presenceUrl, {}, false).then(function (answer) {
        if (!answer || !presence) return;
        presence.textContent = answer.others.length
          ? "Also open by " + answer.others.join(", ") + ": save often, or talk first."
          : "";
      });
    }
    window.setInterval(beat, 15000);
  });
})();
