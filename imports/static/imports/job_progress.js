// Follows an import job on its admin page: updates the bar from the job's JSON every half
// second, and reloads the page (which then shows the report) once the job has ended.
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root) { return; }
  var bar = document.getElementById("import-job-bar");
  var percent = document.getElementById("import-job-percent");
  var text = document.getElementById("import-job-text");
  var title = document.getElementById("import-job-title");

  function show(job) {
    var done = job.progress.done, total = job.progress.total;
    bar.max = total || 1;
    bar.value = done;
    percent.textContent = (total ? Math.round(100 * done / total) : 0) + "%";
    text.textContent = done + " of " + total + " rows written.";
    title.textContent = job.state === "queued" ? "Waiting for a worker…" : "Importing…";
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", root.dataset.statusUrl);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) { setTimeout(poll, 2000); return; }
      var job = JSON.parse(request.responseText);
      if (job.state === "succeeded" || job.state === "failed") { window.location.reload(); return; }
      show(job);
      setTimeout(poll, 500);
    };
    request.onerror = function () { setTimeout(poll, 2000); };
    request.send();
  }

  setTimeout(poll, 500);
}());
