// The episode page: waveform player, transcript synced to the audio, highlight range on the waveform, and the
// A/B switch between the original recording and the podcast version (when the sound processing ran).
// Loaded with `defer`; no inline script anywhere (the CSP forbids it). The page works without it:
// the <audio> element plays, forms post normally, times are typed by hand.
(function () {
  "use strict";

  var player = document.getElementById("episode-player");
  var audio = document.getElementById("episode-audio");
  if (!player || !audio) return;

  var MIN_CLIP = Number(player.dataset.minClip || 15);
  var MAX_CLIP = Number(player.dataset.maxClip || 90);
  var cueList = document.getElementById("cues");
  var startInput = document.getElementById("highlight-start");
  var endInput = document.getElementById("highlight-end");
  var regions = null;
  var waveform = null;

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (r < 10 ? "0" : "") + r;
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  // -- waveform (peaks from the server: the browser never decodes the MP3) ----------------------
  function startWaveform(peaks) {
    if (!window.WaveSurfer) return;
    var data = peaks.data.map(function (v) { return v / 128; });
    waveform = window.WaveSurfer.create({
      container: "#waveform",
      media: audio,
      peaks: [data],
      duration: peaks.duration,
      height: 96,
      waveColor: "#7a8699",
      progressColor: "#0b4f94",
      cursorColor: "#b3261e",
      cursorWidth: 2,
      normalize: true,
      cspNonce: player.dataset.nonce || undefined
    });
    if (window.WaveSurfer.Regions && startInput && endInput) {
      regions = waveform.registerPlugin(window.WaveSurfer.Regions.create());
      regions.enableDragSelection({ color: "rgba(255, 194, 14, 0.35)", minLength: MIN_CLIP, maxLength: MAX_CLIP });
      regions.on("region-created", function (region) {
        regions.getRegions().forEach(function (other) { if (other !== region) other.remove(); });
        fitRegion(region);
      });
      regions.on("region-updated", fitRegion);
      [startInput, endInput].forEach(function (input) {
        input.addEventListener("change", showTypedRange);
      });
    }
  }

  // A dragged range is kept within 15-90 s and written into the highlight form.
  function fitRegion(region) {
    var duration = audio.duration || Number(player.dataset.duration) || region.end;
    var start = Math.max(0, region.start), end = region.end;
    if (end - start < MIN_CLIP) end = Math.min(duration, start + MIN_CLIP);
    if (end - start > MAX_CLIP) end = start + MAX_CLIP;
    if (end - start < MIN_CLIP) start = Math.max(0, end - MIN_CLIP);
    if (start !== region.start || end !== region.end) region.setOptions({ start: start, end: end });
    startInput.value = start.toFixed(1);
    endInput.value = end.toFixed(1);
    var length = document.getElementById("highlight-length");
    if (length) length.textContent = clock(start) + " – " + clock(end) + " (" + Math.round(end - start) + " s)";
  }

  function showTypedRange() {
    var start = Number(startInput.value), end = Number(endInput.value);
    if (!regions || !(end > start)) return;
    regions.clearRegions();
    regions.addRegion({ start: start, end: end, color: "rgba(255, 194, 14, 0.35)",
                        minLength: MIN_CLIP, maxLength: MAX_CLIP });
  }

  if (player.dataset.peaks) {
    fetch(player.dataset.peaks, { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(startWaveform)
      .catch(function () { player.classList.add("no-waveform"); });
  }

  // -- A/B: the original recording and the podcast rendition in the one player (issue 24) -------------
  // The switch swaps the player's source at the same moment, playing or paused as it was, and plays the
  // original through a Web Audio gain that brings it to the rendition's loudness (data-gain, from the
  // measured figures; it may be above 1, which the element's volume cannot be). What the page applied is
  // written back into data-applied-gain.
  var ab = document.getElementById("sound-ab");
  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (ab && AudioContextClass) startSwitch(ab);

  function startSwitch(box) {
    var link = document.getElementById("sound-ab-link");
    var now = document.getElementById("sound-ab-now");
    var buttons = box.querySelectorAll("[data-ab]");
    var sources = { original: box.dataset.original, processed: box.dataset.processed };
    var gains = { original: Number(box.dataset.gain), processed: 1 };
    var context = null, gain = null, lastAt = 0, lastPlaying = false;
    box.hidden = false;
    if (link) link.hidden = true;  // without JavaScript, the link plays the original on its own

    function graph() {
      if (context) return;
      context = new AudioContextClass();
      gain = context.createGain();
      context.createMediaElementSource(audio).connect(gain);
      var ceiling = Number(box.dataset.ceilingDbtp);
      box.dataset.limited = String(Number(box.dataset.peakDbtp) > ceiling);
      if (box.dataset.limited === "true") {
        // The original raised above the show's ceiling would clip: a fast limiter there, as the podcast has.
        // A compressor node adds its own make-up gain (Web Audio: (1 / gain at 0 dBFS) ^ 0.6); the trim after
        // it takes that back, so the loudness stays matched.
        var limiter = context.createDynamicsCompressor(), trim = context.createGain(), ratio = 20;
        limiter.threshold.value = ceiling;
        limiter.knee.value = 0;
        limiter.ratio.value = ratio;
        limiter.attack.value = 0.001;
        limiter.release.value = 0.1;
        var makeupDb = -0.6 * (ceiling + (0 - ceiling) / ratio);
        trim.gain.value = Math.pow(10, -makeupDb / 20);
        gain.connect(limiter);
        limiter.connect(trim);
        trim.connect(context.destination);
      } else {
        gain.connect(context.destination);
      }
    }

    function choose(which, from) {
      if (box.dataset.source === which || !sources[which]) return;
      graph();
      if (context.state === "suspended") context.resume();
      var at = from ? from.at : audio.currentTime;
      var playing = from ? from.playing : !audio.paused && !audio.ended;
      lastAt = at;
      lastPlaying = playing;
      gain.gain.value = gains[which];
      box.dataset.source = which;
      box.dataset.appliedGain = String(gain.gain.value);
      buttons.forEach(function (button) {
        button.setAttribute("aria-pressed", button.dataset.ab === which ? "true" : "false");
      });
      if (now) now.textContent = now.dataset[which + "Text"] || "";
      audio.addEventListener("loadedmetadata", function resume() {
        audio.removeEventListener("loadedmetadata", resume);
        audio.currentTime = Math.min(at, audio.duration || at);
        if (playing) {
          var started = audio.play();
          if (started && started.catch) started.catch(function () {});
        }
      });
      audio.src = sources[which];
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () { choose(button.dataset.ab); });
    });
    // A browser that cannot play the original's format: back to the podcast version, and say so.
    audio.addEventListener("error", function () {
      if (box.dataset.source !== "original") return;
      box.querySelector("[data-ab=original]").disabled = true;
      box.classList.add("cannot-play");
      choose("processed", { at: lastAt, playing: lastPlaying });
      if (now) now.textContent = now.dataset.failedText || "";
    });
  }

  // -- transcript: click a cue to play from it; the playing cue is highlighted -----------------
  document.addEventListener("click", function (event) {
    var seek = event.target.closest("[data-seek]");
    if (!seek) return;
    event.preventDefault();
    audio.currentTime = Number(seek.dataset.seek);
    var playing = audio.play();
    if (playing && playing.catch) playing.catch(function () {});
  });

  var current = null;
  function markPlaying() {
    if (!cueList) return;
    var t = audio.currentTime;
    var found = null;
    var cues = cueList.querySelectorAll("[data-start]");
    for (var i = 0; i < cues.length; i++) {
      if (Number(cues[i].dataset.start) <= t && t < Number(cues[i].dataset.end)) { found = cues[i]; break; }
    }
    if (found === current && (!found || found.isConnected)) return;
    if (current) { current.classList.remove("is-playing"); current.removeAttribute("aria-current"); }
    current = found;
    if (!found) return;
    found.classList.add("is-playing");
    found.setAttribute("aria-current", "true");
    // Keep the playing cue in view inside the transcript's own scroll box (never scroll the page).
    var top = found.offsetTop - cueList.offsetTop, bottom = top + found.offsetHeight;
    if (top < cueList.scrollTop || bottom > cueList.scrollTop + cueList.clientHeight) {
      cueList.scrollTop = Math.max(0, top - cueList.clientHeight / 3);
    }
  }
  audio.addEventListener("timeupdate", markPlaying);
  audio.addEventListener("seeked", markPlaying);
  document.body.addEventListener("htmx:afterSwap", function () { current = null; markPlaying(); });

  // An opened cue editor gets the focus; Escape cancels it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var editor = event.target.querySelector && event.target.querySelector("textarea[data-autofocus]");
    if (editor) editor.focus();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var cancel = event.target.closest && event.target.closest("form") &&
      event.target.closest("form").querySelector("[data-cancel]");
    if (cancel) cancel.click();
  });
})();
