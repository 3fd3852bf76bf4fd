// Poll an export job's status until it is done or failed, and show its progress and file.
(function () {
  "use strict";
  var root = document.getElementById("export-job");
  if (!root || root.dataset.finished === "true") { return; }
  var url = root.dataset.statusUrl;
  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function show(data) {
    field("status_label").textContent = data.status_label;
    var bar = field("progress");
    bar.max = Math.max(data.total, 1);
    bar.value = data.progress;
    field("progress_text").textContent = data.progress + " / " + data.total;
    if (data.error) { field("error").textContent = data.error; field("error").hidden = false; }
    if (data.status === "done") {
      field("filename").textContent = data.filename;
      field("sha256").textContent = data.sha256;
      field("files").hidden = false;
    }
    return data.status === "done" || data.status === "failed";
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) { if (!show(data)) { window.setTimeout(poll, 2000); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
