/*
 * Step 1 of the "Import audio + CSV" wizard: sends the picked files in batches with progress.
 *
 * One request for a selection of thousands of files gives no progress and loses everything to
 * one timeout, so the files go in batches (at most data-batch-files files or data-batch-bytes
 * bytes; a larger file alone) to data-url, one batch at a time: the first opens the upload
 * session and its id goes with every later batch. The answer of each batch lists the accepted
 * and refused files; refused files are listed on the page and do not stop the upload.
 *
 * Without this script the form posts all files at once, as before. The page's CSP allows
 * scripts from our static files only, so everything is wired here (no inline handlers).
 */
(function () {
  "use strict";

  var root = document.getElementById("batch-upload");
  var form = document.getElementById("audio-upload-form");
  if (!root || !form || !window.FormData || !window.XMLHttpRequest) {
    return; // the plain form keeps working
  }

  var config = {
    url: root.dataset.url,
    batchFiles: parseInt(root.dataset.batchFiles, 10) || 50,
    batchBytes: parseInt(root.dataset.batchBytes, 10) || 20 * 1024 * 1024,
    maxFileBytes: parseInt(root.dataset.maxFileBytes, 10) || 0,
    csrfCookie: root.dataset.csrfCookie || "csrftoken",
  };
  var el = function (id) { return document.getElementById(id); };
  var fileInput = form.querySelector('input[type="file"][name="files"]');
  var folderInput = el("batch-folder");
  var sessionInput = form.querySelector('input[name="session"]');
  var ui = {
    overall: el("batch-overall"), overallText: el("batch-overall-text"),
    current: el("batch-current"), currentText: el("batch-current-text"), currentLabel: el("batch-current-label"),
    title: el("batch-title"), status: el("batch-status"), stop: el("batch-stop"), retry: el("batch-retry"), next: el("batch-continue"),
    refused: el("batch-refused"), refusedTitle: el("batch-refused-title"), refusedRows: el("batch-refused-rows"),
  };

  var state = null; // the upload under way (or last finished), see start()

  // --- Helpers --------------------------------------------------------------------------------------------

  function csrfToken() {
    // Django's documented way: the csrftoken cookie, sent back in the X-CSRFToken header. With
    // CSRF_COOKIE_HTTPONLY or CSRF_USE_SESSIONS the cookie is unreadable; the form's token then serves.
    var prefix = config.csrfCookie + "=";
    var cookies = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < cookies.length; i++) {
      var cookie = cookies[i].trim();
      if (cookie.indexOf(prefix) === 0) {
        return decodeURIComponent(cookie.substring(prefix.length));
      }
    }
    var field = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function formatBytes(bytes) {
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1024 * 1024) { return (bytes / 1024).toFixed(1) + " KB"; }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  // Batches in selection order: a new one starts when the next file would pass either limit.
  function makeBatches(files) {
    var batches = [];
    var current = null;
    files.forEach(function (file) {
      if (!current || current.files.length >= config.batchFiles ||
          (current.files.length && current.bytes + file.size > config.batchBytes)) {
        current = { files: [], bytes: 0 };
        batches.push(current);
      }
      current.files.push(file);
      current.bytes += file.size;
    });
    return batches;
  }

  // --- The page -------------------------------------------------------------------------------------------

  function addRefused(items) {
    items.forEach(function (item) {
      var row = document.createElement("tr");
      var name = document.createElement("td");
      var problem = document.createElement("td");
      name.textContent = item.filename;
      problem.textContent = item.error;
      row.appendChild(name);
      row.appendChild(problem);
      ui.refusedRows.appendChild(row);
    });
    var count = ui.refusedRows.children.length;
    ui.refused.hidden = count === 0;
    ui.refusedTitle.textContent = plural(count, "file") + " refused";
  }

  function showOverall() {
    var s = state;
    var sentBytes = s.doneBytes + s.currentBytes;
    ui.overall.value = s.totalBytes ? sentBytes / s.totalBytes : s.doneFiles / s.totalFiles;
    ui.overallText.textContent = s.doneFiles + " of " + s.totalFiles + " files done (" + s.accepted + " accepted, " +
      s.refused + " refused), " + formatBytes(sentBytes) + " of " + formatBytes(s.totalBytes);
  }

  function showBatch(index, fraction, note) {
    var batch = state.batches[index];
    ui.currentLabel.textContent = "Batch " + (index + 1) + " of " + state.batches.length;
    ui.current.value = fraction;
    ui.currentText.textContent = plural(batch.files.length, "file") + ", " + formatBytes(batch.bytes) +
      ", " + Math.round(fraction * 100) + "% sent" + (note ? "; " + note : "");
  }

  function setBusy(busy) {
    state.busy = busy;
    fileInput.disabled = busy;
    folderInput.disabled = busy;
    ui.stop.hidden = !busy;
    ui.stop.disabled = false;
    if (busy) {
      ui.title.textContent = "Uploading…";
      ui.retry.hidden = true;
      ui.next.hidden = true;
    }
  }

  function useSession(sessionId, nextUrl) {
    state.sessionId = sessionId;
    state.nextUrl = nextUrl;
    sessionInput.value = sessionId; // a later plain form post joins the same session
    ui.next.href = nextUrl;
  }

  // --- The upload -----------------------------------------------------------------------------------------

  function start(picked) {
    var files = Array.prototype.slice.call(picked);
    if (!files.length || (state && state.busy)) {
      return;
    }
    var previous = state;
    state = {
      sessionId: previous ? previous.sessionId : sessionInput.value,
      nextUrl: previous ? previous.nextUrl : root.dataset.nextUrl || "",
      batches: [], index: 0, busy: false, stopping: false,
      totalFiles: files.length, totalBytes: 0, doneFiles: 0, doneBytes: 0, currentBytes: 0,
      accepted: 0, refused: 0,
    };
    // Larger than the per-file limit: the server would refuse it anyway, after its whole upload.
    var tooLarge = [];
    var toSend = files.filter(function (file) {
      state.totalBytes += file.size;
      if (config.maxFileBytes && file.size > config.maxFileBytes) {
        tooLarge.push({ filename: file.name, error: "Not sent: " + file.size + " bytes, over the limit of " +
          config.maxFileBytes + " bytes." });
        state.doneBytes += file.size; // counted as done, so the byte bar can still reach the end
        return false;
      }
      return true;
    });
    state.batches = makeBatches(toSend);
    ui.next.href = state.nextUrl;
    state.refused = state.doneFiles = tooLarge.length;
    ui.refusedRows.textContent = ""; // the list is of this selection (its corrections are often the next one)
    addRefused(tooLarge);
    root.hidden = false;
    setBusy(true);
    showOverall();
    sendNext();
  }

  function sendNext() {
    var s = state;
    if (s.index >= s.batches.length || s.stopping) {
      finish();
      return;
    }
    var index = s.index;
    var batch = s.batches[index];
    var data = new FormData();
    if (s.sessionId) {
      data.append("session", s.sessionId);
    }
    batch.files.forEach(function (file) { data.append("files", file, file.name); });

    var xhr = new XMLHttpRequest();
    xhr.open("POST", config.url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var fraction = event.total ? event.loaded / event.total : 0;
      // The request carries a little more than the files (multipart headers): scale to the files' bytes.
      s.currentBytes = Math.min(batch.bytes, Math.round(fraction * batch.bytes));
      showBatch(index, fraction);
      showOverall();
    });
    xhr.upload.addEventListener("load", function () {
      showBatch(index, 1, "being checked and stored…");
    });
    xhr.addEventListener("load", function () { answered(index, xhr); });
    xhr.addEventListener("error", function () { failed(index, "The connection failed.", true); });
    xhr.addEventListener("timeout", function () { failed(index, "The server did not answer in time.", true); });
    showBatch(index, 0);
    setStatus("Sending batch " + (index + 1) + " of " + s.batches.length + "…");
    xhr.send(data);
  }

  function parse(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("application/json") === -1) { return null; }
    try { return JSON.parse(xhr.responseText); } catch (error) { return null; }
  }

  function answered(index, xhr) {
    var s = state;
    var body = parse(xhr);
    if (xhr.status === 200 && body && Array.isArray(body.accepted)) {
      var batch = s.batches[index];
      if (body.session_id) { useSession(body.session_id, body.next_url); }
      var refused = body.refused || [];
      addRefused(refused);
      s.accepted += body.accepted.length;
      s.refused += refused.length;
      s.doneFiles += batch.files.length;
      s.doneBytes += batch.bytes;
      s.currentBytes = 0;
      s.index = index + 1;
      showBatch(index, 1, "done: " + body.accepted.length + " accepted, " + refused.length + " refused");
      showOverall();
      sendNext();
      return;
    }
    if (body && body.detail && (xhr.status === 404 || xhr.status === 409)) {
      // The session expired or was imported meanwhile: it takes no more files, a new selection opens a new one.
      useSession("", "");
      failed(index, body.detail + " Pick the files again to start a new upload session.", false);
    } else if (body && body.detail) {
      // Wrong for the whole batch (no files, storage down): retrying only helps the latter.
      failed(index, body.detail, xhr.status >= 500);
    } else if (xhr.status === 403) {
      failed(index, "The server refused the upload (403). Reload the page; you may have to sign in again.", false);
    } else if (xhr.status === 200) {
      failed(index, "You are no longer signed in. Sign in again in another tab, then retry.", true);
    } else {
      failed(index, "The server answered " + xhr.status + ".", xhr.status >= 500);
    }
  }

  function failed(index, message, canRetry) {
    var s = state;
    s.currentBytes = 0;
    s.index = index;
    setBusy(false);
    showOverall();
    var left = s.batches.slice(index).reduce(function (sum, batch) { return sum + batch.files.length; }, 0);
    ui.title.textContent = "Upload interrupted";
    showBatch(index, 0, "not kept");
    setStatus("Batch " + (index + 1) + " failed: " + message + " " + plural(left, "file") + " not sent." +
      (s.sessionId ? " The files sent before are kept." : ""));
    ui.retry.hidden = !canRetry;
    ui.retry.textContent = "Retry the " + plural(left, "file") + " not sent";
    ui.next.hidden = !s.nextUrl;
  }

  function finish() {
    var s = state;
    setBusy(false);
    showOverall();
    var left = s.batches.slice(s.index).reduce(function (sum, batch) { return sum + batch.files.length; }, 0);
    ui.title.textContent = left ? "Upload stopped" : "Upload finished";
    if (!s.nextUrl) { // no session yet: nothing was accepted
      setStatus(left ? "Stopped: nothing uploaded yet, " + s.refused + " refused, " + plural(left, "file") +
        " not sent." : "Nothing was uploaded: every file was refused. Pick other files to try again.");
      ui.retry.hidden = !left;
      ui.retry.textContent = "Send the " + plural(left, "file") + " not sent";
      return;
    }
    ui.next.hidden = false;
    if (left) {
      setStatus("Stopped: " + s.accepted + " uploaded, " + s.refused + " refused, " + plural(left, "file") +
        " not sent. Continue to step 2, or pick files to add to this session.");
      ui.retry.hidden = false;
      ui.retry.textContent = "Send the " + plural(left, "file") + " not sent";
    } else if (s.refused) {
      setStatus("Done: " + s.accepted + " uploaded, " + s.refused + " refused (listed below). Continue to step 2, " +
        "or pick the corrected files to add them to this session.");
    } else {
      setStatus("Done: all " + plural(s.accepted, "file") + " uploaded. Opening step 2…");
      // A moment on the finished bars, so the editor sees that everything went through.
      window.setTimeout(function () { window.location.assign(s.nextUrl); }, 800);
    }
  }

  // --- Wiring ---------------------------------------------------------------------------------------------

  [fileInput, folderInput].forEach(function (input) {
    input.addEventListener("change", function () {
      start(input.files);
      input.value = ""; // picking the same files again starts a new upload
    });
  });
  ui.stop.addEventListener("click", function () {
    state.stopping = true;
    ui.stop.disabled = true;
    setStatus("Stopping after batch " + (state.index + 1) + "…");
  });
  ui.retry.addEventListener("click", function () {
    state.stopping = false;
    setBusy(true);
    sendNext();
  });
  form.addEventListener("submit", function (event) {
    // The files are sent as soon as they are picked; a submit would send them a second time.
    if (state) { event.preventDefault(); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (state && state.busy) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  el("batch-folder-row").hidden = false;
  el("audio-upload-submit").hidden = true; // picking starts the upload
})();
