// The scheduler's page: "copy" buttons for a new station's token and the commands for the station's side.
// navigator.clipboard where the browser allows it (HTTPS or localhost); else the text is selected and copied with
// execCommand, and where even that is refused the text stays selected and the note says to press Ctrl+C.
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function say(button, key) {
    var note = button.closest("section, details, .card").querySelector(".copy-note") ||
      document.querySelector(".copy-note");
    if (note) { note.textContent = note.dataset[key] || ""; }
    if (key === "copied") { button.classList.add("done"); }
  }

  function fallback(button, source) {
    selectText(source);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    say(button, copied ? "copied" : "byHand");
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) { return; }
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(button, "copied"); },
        function () { fallback(button, source); });
    } else {
      fallback(button, source);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
