// The listener site's enhancements: the transcript follows the audio, sentences and #t= links seek,
// copy buttons. Pages read completely without it; it needs no other script.
"use strict";
(function () {
  document.documentElement.classList.add("js");

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    var mm = (m < 10 ? "0" : "") + m, ss = (s % 60 < 10 ? "0" : "") + (s % 60);
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function parseTime(text) {
    var parts = String(text).split(":"), total = 0;
    for (var i = 0; i < parts.length; i++) {
      var n = parseFloat(parts[i]);
      if (isNaN(n)) return null;
      total = total * 60 + n;
    }
    return total;
  }

  function copy(text, button) {
    function done() {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "✓";
      setTimeout(function () { button.textContent = label; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
      area.remove();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var audio = document.getElementById("player");
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(document.getElementById(button.getAttribute("data-copy")).value, button);
      });
    });
    if (!audio) return;

    var sentences = Array.prototype.slice.call(document.querySelectorAll("#sentences .s"));
    var starts = sentences.map(function (s) { return parseFloat(s.getAttribute("data-start")); });
    var current = null;

    function seek(seconds, play) {
      if (seconds === null || isNaN(seconds)) return;
      function go() {
        audio.currentTime = seconds;
        if (play) audio.play().catch(function () {});
        follow(true);
      }
      if (audio.readyState >= 1) go(); else audio.addEventListener("loadedmetadata", go, { once: true });
      highlightAt(seconds, true);
    }

    function indexAt(t) {  // the last sentence that starts at or before t
      var lo = 0, hi = starts.length - 1, found = -1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (starts[mid] <= t + 0.05) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      return found;
    }

    function highlightAt(t, scroll) {
      var i = indexAt(t), next = i >= 0 ? sentences[i] : null;
      if (next === current) return;
      if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
      current = next;
      if (!current) return;
      current.classList.add("current");
      current.setAttribute("aria-current", "true");
      if (scroll) keepInView(current);
    }

    function keepInView(element) {
      var box = element.getBoundingClientRect(), player = audio.getBoundingClientRect();
      var top = Math.max(0, player.bottom);
      if (box.top < top || box.bottom > window.innerHeight) {
        element.scrollIntoView({ block: "center", behavior: "smooth" });
      }
    }

    function follow(scroll) { highlightAt(audio.currentTime, scroll); }
    audio.addEventListener("timeupdate", function () { follow(!audio.paused); });
    audio.addEventListener("seeked", function () { follow(true); });

    // Sentences: click to play from one; one of them is in the tab order, arrows move, Enter/Space plays.
    var help = document.querySelector(".transcript .help");
    if (help) help.hidden = false;
    sentences.forEach(function (s, i) {
      s.setAttribute("role", "button");
      s.tabIndex = i === 0 ? 0 : -1;
      s.addEventListener("click", function () { focusSentence(i); seek(starts[i], true); });
    });
    function focusSentence(i) {
      if (i < 0 || i >= sentences.length) return;
      sentences.forEach(function (s, j) { s.tabIndex = j === i ? 0 : -1; });
      sentences[i].focus();
    }
    var box = document.getElementById("sentences");
    if (box) box.addEventListener("keydown", function (event) {
      var i = sentences.indexOf(event.target);
      if (i < 0) return;
      if (event.key === "ArrowDown" || event.key === "ArrowRight") { focusSentence(i + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp" || event.key === "ArrowLeft") { focusSentence(i - 1); event.preventDefault(); }
      else if (event.key === "Enter" || event.key === " ") { seek(starts[i], true); event.preventDefault(); }
    });

    // #t=MM:SS links (chapters, timestamps, shared links) seek in place.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='#t=']");
      if (!link) return;
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href"));
      seek(parseTime(link.getAttribute("href").slice(3)), true);
    });
    function fromHash() {
      var match = /^#t=([0-9:.]+)$/.exec(location.hash);
      if (match) seek(parseTime(match[1]), false);
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();

    var share = document.querySelector("[data-copy-time]");
    if (share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        copy(location.href.split("#")[0] + "#t=" + clock(audio.currentTime), share);
      });
    }

    // The embed page: the caption line under the player, from the Podcasting 2.0 JSON transcript.
    var caption = document.getElementById("caption"), cuesUrl = audio.getAttribute("data-cues");
    if (caption && cuesUrl && window.fetch) {
      fetch(cuesUrl).then(function (r) { return r.json(); }).then(function (data) {
        var segments = data.segments || [];
        audio.addEventListener("timeupdate", function () {
          var t = audio.currentTime, text = "";
          for (var i = 0; i < segments.length; i++) {
            if (segments[i].startTime <= t && t < segments[i].endTime) { text = segments[i].body; break; }
          }
          if (caption.textContent !== text) caption.textContent = text;
        });
      }).catch(function () {});
    }
  });
})();
