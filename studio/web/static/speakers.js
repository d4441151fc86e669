// The speakers panel: a voice's sample button plays a few seconds of its longest turn and stops (the
// page's player seeks there: episode.js handles [data-seek]); the move form's select gets the focus.
(function () {
  "use strict";
  var audio = document.getElementById("episode-audio");
  if (!audio) return;
  var until = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".speaker-play");
    until = button ? Number(button.dataset.until) : null;
  }, true);
  audio.addEventListener("timeupdate", function () {
    if (until !== null && audio.currentTime >= until) {
      until = null;
      audio.pause();
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var focus = event.detail.target && event.detail.target.querySelector("[data-autofocus]");
    if (focus) focus.focus();
  });
})();
