// Search over every transcript with Pagefind; each result opens its episode at the moment the words are said.
"use strict";
(function () {
  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    var mm = (m < 10 ? "0" : "") + m, ss = (s % 60 < 10 ? "0" : "") + (s % 60);
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  // A moment as #t= writes it: [h:]mm:ss, with hundredths when the moment is not on a whole second.
  function stamp(seconds) {
    var whole = Math.floor(seconds + 0.005), rest = Math.round((seconds - whole) * 100);
    return clock(whole) + (rest > 0 ? "." + (rest < 10 ? "0" : "") + rest : "");
  }

  // Where the first matched word of the transcript is said: the start of the sentence that holds it (its
  // element id is "s" and its start in hundredths), else of its paragraph ("t" and its start in seconds).
  // A match in the title or description comes before the first sentence and has no moment.
  function moment(data) {
    var anchors = (data.anchors || []).filter(function (a) { return /^[st]\d+x*$/.test(a.id); });
    var locations = (data.locations || []).slice().sort(function (a, b) { return a - b; });
    for (var i = 0; i < locations.length; i++) {
      var best = null;
      anchors.forEach(function (a) {
        if (a.location > locations[i]) return;
        if (!best || a.location > best.location || (a.location === best.location && a.id[0] === "s")) best = a;
      });
      if (best) return best.id[0] === "s" ? parseInt(best.id.slice(1), 10) / 100 : parseInt(best.id.slice(1), 10);
    }
    return null;
  }

  // Who said the first matched word in the transcript: the speaker's name before it (an anchor "w<seconds>"
  // at each change of speaker: "Ani:"); "" when the transcript names nobody.
  function speaker(data) {
    var names = (data.anchors || []).filter(function (a) { return /^w\d+x*$/.test(a.id); });
    var paragraphs = (data.anchors || []).filter(function (a) { return /^t\d+x*$/.test(a.id); });
    var locations = (data.locations || []).slice().sort(function (a, b) { return a - b; });
    for (var i = 0; i < locations.length; i++) {
      if (!paragraphs.some(function (a) { return a.location <= locations[i]; })) continue;
      var best = null;
      names.forEach(function (a) { if (a.location <= locations[i]) best = a; });
      return best ? String(best.text || "").replace(/:\s*$/, "").trim() : "";
    }
    return "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("results"), status = document.getElementById("search-status");
    var query = new URLSearchParams(location.search).get("q") || "";
    var input = document.getElementById("q");
    if (input) input.value = query;
    if (!list || !query.trim()) return;
    var root = new URL(list.getAttribute("data-root"), location.href);
    var indexes = list.getAttribute("data-indexes").split(" ").filter(Boolean).map(function (path) {
      return new URL(path, location.href).href;
    });
    if (!indexes.length) { status.textContent = status.getAttribute("data-none"); return; }
    // One index per show (so a change re-indexes one show): the first is loaded, the others merged in.
    import(indexes[0] + "pagefind.js").then(function (pagefind) {
      return Promise.resolve(pagefind.options({ baseUrl: root.pathname })).then(function () {
        return Promise.all(indexes.slice(1).map(function (url) {
          return pagefind.mergeIndex(url, { baseUrl: root.pathname });
        }));
      }).then(function () { return pagefind.search(query); });
    }).then(function (search) {
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
    }).then(function (results) {
      status.textContent = results.length ? results.length + " " + status.getAttribute("data-results")
                                          : status.getAttribute("data-none");
      results.forEach(function (data) {
        var at = moment(data), item = document.createElement("li"), link = document.createElement("a");
        link.href = data.url + (at === null ? "" : "#t=" + stamp(at));
        link.textContent = (data.meta && data.meta.title) || data.url;
        var excerpt = document.createElement("p");
        excerpt.innerHTML = data.excerpt;  // Pagefind's excerpt: page text, escaped, with <mark> around matches
        var who = at === null ? "" : speaker(data);
        if (who) {
          var said = document.createElement("b");
          said.className = "who";
          said.textContent = who + ": ";
          excerpt.insertBefore(said, excerpt.firstChild);
        }
        item.appendChild(link);
        if (at !== null) {
          var time = document.createElement("span");
          time.className = "meta";
          time.textContent = " " + clock(at);
          item.appendChild(time);
        }
        item.appendChild(excerpt);
        list.appendChild(item);
      });
    }).catch(function (error) { status.textContent = String(error); });
  });
})();
