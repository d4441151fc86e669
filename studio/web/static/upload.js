// Resumable upload: POST /uploads makes an upload id; PATCH sends chunks with their Upload-Offset; after a
// dropped connection HEAD says how much the server has and the rest is sent. Each chunk carries its sha256
// (tus's Upload-Checksum) where the browser can compute it (crypto.subtle: HTTPS or this machine); a chunk
// damaged on the way (460) is sent again. The server answers a finished upload the same way each time it is
// asked, so a lost answer, a reload or a second tab all end at the same ingest job. Nothing inline (CSP).
(function () {
  "use strict";
  var CHUNK = 8 * 1024 * 1024;  // the page's data-chunk overrides it
  var form, fileInput, bar, statusLine, dropped = null;

  function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }
  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.setAttribute("role", isError ? "alert" : "status");
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function chosen() { return dropped || (fileInput.files && fileInput.files[0]); }
  function key(file) { return "studio-upload:" + file.name + ":" + file.size + ":" + file.lastModified; }
  var canHash = !!(window.isSecureContext && window.crypto && window.crypto.subtle);
  async function checksum(blob) {  // "sha256 <base64>" of the chunk, or null where the browser cannot
    if (!canHash) { return null; }
    var bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return "sha256 " + btoa(text);
  }
  function showProgress(done, total) {
    var pct = total ? Math.floor(done * 100 / total) : 0;
    bar.value = pct; bar.textContent = pct + "%";
  }

  // A chunk sent with XMLHttpRequest, whose upload events say how many of its bytes have left (fetch cannot):
  // `sent(bytes)` moves the bar within the chunk. Answers like fetch's: status, headers.get(), json().
  function patch(url, body, headers, sent) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PATCH", url);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      xhr.upload.addEventListener("progress", function (e) { sent(e.loaded); });
      xhr.addEventListener("load", function () {
        resolve({ status: xhr.status, statusText: xhr.statusText,
                  headers: { get: function (name) { return xhr.getResponseHeader(name); } },
                  json: function () { return Promise.resolve().then(function () { return JSON.parse(xhr.responseText); }); } });
      });
      xhr.addEventListener("error", function () { reject(new TypeError("network error")); });
      xhr.addEventListener("abort", function () { reject(new TypeError("aborted")); });
      xhr.send(body);
    });
  }

  async function currentOffset(id) {
    var answer = await fetch("/uploads/" + id, { method: "HEAD", headers: { "X-CSRFToken": csrf() } });
    if (!answer.ok) { return null; }
    return parseInt(answer.headers.get("Upload-Offset"), 10);
  }

  async function start(file) {
    var saved = localStorage.getItem(key(file));
    if (saved) {
      var offset = await currentOffset(saved);
      if (offset !== null) { return { id: saved, offset: offset }; }
    }
    var body = { name: file.name, size: file.size, show: form.show.value, title: form.title.value,
                 description: form.description.value, recorded_on: form.recorded_on.value };
    var answer = await fetch("/uploads", { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() } });
    var data = await answer.json().catch(function () { return {}; });
    if (!answer.ok) { throw new Error(data.error || form.dataset.refused); }  // never the browser's English
    localStorage.setItem(key(file), data.id);
    return { id: data.id, offset: 0 };
  }

  async function send(file) {
    var upload = await start(file);
    var offset = upload.offset, failures = 0, damaged = 0;
    while (true) {
      showProgress(offset, file.size);
      var end = Math.min(offset + CHUNK, file.size);
      var body = file.slice(offset, end);
      var headers = { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream",
                      "X-CSRFToken": csrf() };
      var sum = await checksum(body);
      if (sum) { headers["Upload-Checksum"] = sum; }
      var answer;
      try {
        if (end === file.size) { say(form.dataset.checking, false); }
        var from = offset;
        answer = await patch("/uploads/" + upload.id, body, headers, function (bytes) {
          showProgress(from + Math.min(bytes, body.size), file.size);
        });
      } catch (err) {  // the connection dropped: ask the server what it has, then go on from there
        failures += 1;
        if (failures > 30) { throw new Error(form.dataset.lost); }
        say(form.dataset.resuming, false);
        await sleep(Math.min(1000 * failures, 10000));
        var known = await currentOffset(upload.id).catch(function () { return null; });
        if (known !== null) { offset = known; }
        continue;
      }
      if (answer.status === 204) {
        offset = parseInt(answer.headers.get("Upload-Offset"), 10); failures = 0; continue;
      }
      if (answer.status === 409) {  // another tab (or a lost answer) got there first: go on from what is stored
        offset = parseInt(answer.headers.get("Upload-Offset"), 10); continue;
      }
      var data = await answer.json().catch(function () { return {}; });
      if (answer.status === 460 && damaged < 5) { damaged += 1; continue; }  // damaged on the way: again
      localStorage.removeItem(key(file));
      if (answer.status === 202) {
        if (data.waiting) { say(data.message, false); }
        return follow(data.status);
      }
      throw new Error(data.error || form.dataset.refused);
    }
  }

  // The upload is in: an ingest job checks it (as `studio ingest` does) and processes it. Ask where it
  // stands until it has made the episode or said why not.
  async function follow(url) {
    say(form.dataset.checking, false);
    while (true) {
      var answer = await fetch(url, { headers: { "Accept": "application/json" } }).catch(function () { return null; });
      var job = answer && answer.ok ? await answer.json().catch(function () { return null; }) : null;
      if (job && job.state === "failed") { throw new Error(job.error); }
      if (job && job.episode) { return job; }
      if (job && job.state === "waiting") { say(job.message, false); await sleep(5000); continue; }
      if (job && job.state === "queued") { say(form.dataset.checking, false); }
      if (job && job.state === "running" && job.progress !== null) {  // the bar stays full: the bytes are in
        say(form.dataset.checking + " " + Math.floor(job.progress * 100) + "%", false);
      }
      await sleep(1000);
    }
  }

  function init() {
    form = document.getElementById("upload-form");
    if (!form) { return; }
    CHUNK = parseInt(form.dataset.chunk, 10) || CHUNK;
    fileInput = document.getElementById("file");
    bar = document.getElementById("upload-progress");
    statusLine = document.getElementById("upload-status");
    var drop = document.getElementById("drop");
    drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault(); drop.classList.remove("over");
      if (e.dataTransfer.files.length) {
        dropped = e.dataTransfer.files[0];
        document.getElementById("file-hint").textContent = dropped.name;
        fileInput.required = false;
      }
    });
    fileInput.addEventListener("change", function () { dropped = null; });
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      var file = chosen();
      if (!file) { return; }
      if (file.size > parseInt(form.dataset.limit, 10)) { say(form.dataset.tooBig, true); return; }
      var button = document.getElementById("upload-button");
      button.disabled = true;
      try {
        var done = await send(file);
        showProgress(1, 1);
        statusLine.textContent = "";
        var link = document.createElement("a");
        link.href = done.url; link.textContent = done.episode;
        statusLine.append(form.dataset.done + " ", link);
        statusLine.setAttribute("role", "status");
      } catch (err) {
        // a fetch that could not reach the server is a TypeError in the browser's words: say it in the page's
        say(form.dataset.failed + ": " + (err instanceof TypeError ? form.dataset.lost : err.message), true);
      } finally {
        button.disabled = false;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
