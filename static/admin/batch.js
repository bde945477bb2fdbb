// The batch page keeps up by itself: it polls the batch's JSON figures and
// updates the counts, the bar and the failed list (as text, never as HTML),
// until nothing remains. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";
  var page = document.querySelector("[data-progress-url]");
  if (!page) return;
  var url = page.getAttribute("data-progress-url");
  var delay = 1000;

  function renderFailed(list) {
    var body = document.querySelector("#batch-failed tbody");
    if (!body) return;
    while (body.firstChild) body.removeChild(body.firstChild);
    if (!list.length) {
      var empty = body.insertRow();
      empty.className = "none";
      var cell = empty.insertCell();
      cell.colSpan = 3;
      cell.textContent = "None so far.";
      return;
    }
    list.forEach(function (item) {
      var row = body.insertRow();
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.filename;
      row.insertCell().appendChild(link);
      row.insertCell().textContent = item.line ? String(item.line) : "—";
      row.insertCell().textContent = item.error;
    });
  }

  function update(data) {
    document.querySelectorAll("[data-count]").forEach(function (node) {
      var key = node.getAttribute("data-count");
      if (key in data) node.textContent = String(data[key]);
    });
    var bar = document.getElementById("batch-bar");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + " %"; }
    var shown = document.querySelectorAll("#batch-failed tbody tr:not(.none)").length;
    if (shown !== data.failed_list.length) renderFailed(data.failed_list);
    var state = document.getElementById("batch-state");
    if (state) state.textContent = data.done ? "Finished." : "Importing…";
    page.setAttribute("data-done", data.done ? "1" : "0");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        update(data);
        delay = 1000;
        if (!data.done) window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);  // the server is busy or gone: back off
        window.setTimeout(poll, delay);
      });
  }

  if (page.getAttribute("data-done") !== "1") window.setTimeout(poll, delay);
}());
