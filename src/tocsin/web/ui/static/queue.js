// The incident queue's keyboard and selection helpers. The page works without them:
// every action is a link or a form button.
(function () {
  "use strict";
  // Looked up each time: the live updates may replace the rows' element itself.
  function tbody() { return document.getElementById("queue-rows"); }
  var table = document.querySelector("table.queue");
  if (!tbody() || !table) { return; }
  var bulk = document.getElementById("bulk");
  var help = document.getElementById("queue-help");
  var search = document.getElementById("queue-search");
  var filterBox = document.querySelector("details.filter-box");
  var selectAll = document.getElementById("select-all");
  var keysButton = document.getElementById("keys-button");
  var current = null; // the data-key of the row with the focus ring

  // After a bulk action or a refused form the page answers a POST: show the queue's own
  // address, so a reload (or the live updates' re-fetch) gets the queue, not the form again.
  var queueUrl = bulk && bulk.getAttribute("data-queue-url");
  if (queueUrl && window.location.pathname !== "/" && window.history.replaceState) {
    window.history.replaceState(null, "", queueUrl);
  }

  // Phones: the filters fold away behind their summary; wide screens always show them.
  var narrow = window.matchMedia("(max-width: 700px)");
  function fitFilters() {
    if (filterBox) { filterBox.open = !narrow.matches; }
  }
  fitFilters();
  if (narrow.addEventListener) { narrow.addEventListener("change", fitFilters); }

  function allRows() {
    return Array.prototype.slice.call(tbody().querySelectorAll("tr[data-key]"));
  }

  function boxes() {
    return Array.prototype.slice.call(tbody().querySelectorAll("input[name=ids]"));
  }

  function mark(row) {
    allRows().forEach(function (r) { r.classList.remove("cursor"); r.removeAttribute("aria-current"); });
    if (!row) { current = null; return; }
    current = row.getAttribute("data-key");
    row.classList.add("cursor");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("td.number a");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    if (!current) { return null; }
    return tbody().querySelector('tr[data-key="' + current + '"]');
  }

  function move(step) {
    var list = allRows();
    if (!list.length) { return; }
    var index = list.indexOf(currentRow());
    var next = index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
    mark(list[next]);
  }

  function syncSelectAll() {
    if (!selectAll) { return; }
    var all = boxes();
    var checked = all.filter(function (b) { return b.checked; }).length;
    selectAll.checked = all.length > 0 && checked === all.length;
    selectAll.indeterminate = checked > 0 && checked < all.length;
  }

  function toggleHelp(show) {
    if (!help) { return; }
    help.hidden = show === undefined ? !help.hidden : !show;
    if (keysButton) { keysButton.setAttribute("aria-expanded", String(!help.hidden)); }
    if (!help.hidden) { help.querySelector("button").focus(); }
  }

  if (selectAll) {
    selectAll.closest("label").hidden = false;
    selectAll.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = selectAll.checked; });
    });
    table.addEventListener("change", function (event) {
      if (event.target !== selectAll) { syncSelectAll(); }
    });
    syncSelectAll();
  }
  if (keysButton) {
    keysButton.hidden = false;
    keysButton.setAttribute("aria-expanded", "false");
    keysButton.addEventListener("click", function () { toggleHelp(); });
  }
  var close = document.getElementById("queue-help-close");
  if (close) { close.addEventListener("click", function () { toggleHelp(false); }); }

  // A click on a row moves the ring there, so the keys continue from what was clicked.
  table.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-key]");
    if (row) { mark(row); }
  });

  function ours(element) {
    return element === document.body || (element && element.closest && element.closest("#queue-rows"));
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) { return true; }
    if (tag !== "input") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) < 0;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    var row = currentRow();
    if (key === "j" || key === "ArrowDown") {
      move(1);
    } else if (key === "k" || key === "ArrowUp") {
      move(-1);
    } else if (key === "Enter" && row && !ours(document.activeElement)) {
      return; // Enter on a button or link elsewhere does what that control does
    } else if ((key === "Enter" || key === "o") && row) {
      var link = row.querySelector("td.number a");
      if (!link) { return; }
      window.location.href = link.href;
    } else if (key === "x" && row) {
      var box = row.querySelector("input[name=ids]");
      if (!box) { return; }
      box.checked = !box.checked;
      syncSelectAll();
    } else if (key === "A" && event.shiftKey) {
      var ack = document.getElementById("bulk-acknowledge");
      if (!ack || !bulk) { return; }
      bulk.requestSubmit(ack);
    } else if (key === "/") {
      if (!search) { return; }
      if (filterBox) { filterBox.open = true; }
      search.focus();
      search.select();
    } else if (key === "?") {
      toggleHelp();
    } else if (key === "Escape" && help && !help.hidden) {
      toggleHelp(false);
    } else {
      return;
    }
    event.preventDefault();
  });

  // The live region is swapped in place when incidents change: keep the ring on its row.
  new MutationObserver(function () {
    var row = currentRow();
    if (row) { row.classList.add("cursor"); row.setAttribute("aria-current", "true"); }
    syncSelectAll();
  }).observe(table, { childList: true, subtree: true });
})();
