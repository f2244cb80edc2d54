// htmx requests carry the session's CSRF token from the page's meta tag.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});

// Team pages: a "Copy" button copies the value of the field it names (the link or the
// new key); the field stays selectable by hand where the clipboard is not allowed.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) { return; }
  field.select();
  if (navigator.clipboard) { navigator.clipboard.writeText(field.value).catch(function () {}); }
});

// Transactions: a receipt dropped on the upload form is uploaded at once (the file
// input and its button stay for the keyboard and for browsers without drag and drop).
document.addEventListener("dragover", function (event) {
  var zone = event.target.closest && event.target.closest("[data-dropzone]");
  if (!zone) { return; }
  event.preventDefault();
  zone.classList.add("dragging");
});
document.addEventListener("dragleave", function (event) {
  var zone = event.target.closest && event.target.closest("[data-dropzone]");
  if (zone) { zone.classList.remove("dragging"); }
});
document.addEventListener("drop", function (event) {
  var zone = event.target.closest && event.target.closest("[data-dropzone]");
  if (!zone) { return; }
  event.preventDefault();
  zone.classList.remove("dragging");
  var input = zone.querySelector('input[type="file"]');
  if (!input || !event.dataTransfer.files.length) { return; }
  input.files = event.dataTransfer.files;
  zone.submit();
});

// htmx: a refused form (400, 409, 422) is an answer to show, like a page without htmx
// would; other errors swap nothing. A fragment marked data-optional (the journal
// preview, the suggestions) stays empty when its request fails: no broken panel.
if (window.htmx) {
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "(400|409|422)", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false }
  ];
}
function quietFailure(event) {
  var where = event.detail && event.detail.elt;
  if (where && where.closest && where.closest("[data-optional]")) {
    where.closest("[data-optional]").innerHTML = "";
    event.preventDefault && event.preventDefault();
  }
}
document.addEventListener("htmx:responseError", quietFailure);
document.addEventListener("htmx:sendError", quietFailure);

// The coding form: choosing a GL account proposes its default VAT code, cost centre and
// cost unit (each only where the line has none yet) and says whether it asks for a cost
// centre; the proposal can be changed.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches('input[data-picker="gl_account"]')) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  if (!list) { return; }
  var option = null;
  Array.prototype.forEach.call(list.options, function (o) { if (o.value === input.value.trim()) { option = o; } });
  var line = input.closest("[data-line]");
  if (!option || !line) { return; }
  var hint = line.querySelector("[data-proposed]");
  [["vat_code", option.dataset.vat], ["cost_center", option.dataset.defaultCostCenter],
   ["cost_unit", option.dataset.defaultCostUnit]].forEach(function (pair) {
    var field = line.querySelector('input[data-picker="' + pair[0] + '"]');
    if (field && pair[1] && !field.value.trim()) {
      field.value = pair[1];
      if (hint) { hint.hidden = false; hint.textContent = hint.dataset.text || ""; }
    }
  });
  var centre = line.querySelector('input[data-picker="cost_center"]');
  if (centre) { centre.required = option.dataset.costCenter === "mandatory"; }
});

// Transactions list: ticking rows shows the bulk bar with how many are ticked; "select
// all on this page" ticks every row of the page.
function bulkBar() {
  var bar = document.querySelector("[data-bulkbar]");
  if (!bar) { return; }
  var picks = document.querySelectorAll("input[data-pick]");
  var ticked = Array.prototype.filter.call(picks, function (p) { return p.checked; }).length;
  var all = bar.querySelector("[data-scope-all]");
  bar.hidden = ticked === 0 && !(all && all.checked) && !bar.querySelector("[data-keep-open]");
  var label = bar.querySelector("[data-selected-count]");
  if (label) { label.textContent = (bar.dataset.selectedText || "%s selected").replace("%s", ticked); }
  var pickAll = document.querySelector("input[data-pick-all]");
  if (pickAll) {
    pickAll.checked = picks.length > 0 && ticked === picks.length;
    pickAll.indeterminate = ticked > 0 && ticked < picks.length;
  }
}
document.addEventListener("change", function (event) {
  var input = event.target;
  if (input.matches && input.matches("input[data-pick-all]")) {
    document.querySelectorAll("input[data-pick]").forEach(function (p) { p.checked = input.checked; });
  }
  if (input.matches && input.matches("input[data-pick], input[data-pick-all], input[name=scope]")) { bulkBar(); }
});
document.addEventListener("DOMContentLoaded", bulkBar);
document.addEventListener("htmx:afterSettle", bulkBar);

// Keyboard, on the list: j/k or the arrows move through the rows, Enter opens the row,
// x ticks it, r marks the open (or else the focused) transaction ready, Escape closes
// the drawer, ? shows the help. Never while typing in a field.
function typing(target) {
  return target && target.closest && target.closest("input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]");
}
function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]")); }
function focusedRow() { return document.querySelector("tr[data-row].focused"); }
var lastRowIndex = -1;
function focusRow(row) {
  rows().forEach(function (r) { r.classList.remove("focused"); });
  if (!row) { return; }
  lastRowIndex = rows().indexOf(row);
  row.classList.add("focused");
  row.focus({ preventScroll: true });
  row.scrollIntoView({ block: "nearest" });
}
function markReady(id) {
  if (!id || !window.htmx) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  htmx.ajax("POST", "/transactions/" + id + "/ready", {
    target: "#drawer", values: { csrf_token: meta ? meta.content : "" }
  });
}
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
  if (!document.querySelector("[data-keyboard-list]")) { return; }
  var list = rows();
  var current = focusedRow();
  var at = current ? list.indexOf(current) : -1;
  var key = event.key;
  if (key === "j" || key === "ArrowDown") {
    if (list.length) { focusRow(list[Math.min(at + 1, list.length - 1)]); event.preventDefault(); }
  } else if (key === "k" || key === "ArrowUp") {
    if (list.length) { focusRow(list[Math.max(at - 1, 0)]); event.preventDefault(); }
  } else if (key === "Enter" && current && event.target === current) {
    var link = current.querySelector("a[data-open]");
    if (link) { link.click(); event.preventDefault(); }
  } else if (key === "x" && current) {
    var pick = current.querySelector("input[data-pick]");
    if (pick) { pick.checked = !pick.checked; bulkBar(); event.preventDefault(); }
  } else if (key === "r") {
    var open = document.querySelector("#drawer [data-transaction]");
    var id = open ? open.dataset.transaction : (current ? current.dataset.row : null);
    if (id) { markReady(id); event.preventDefault(); }
  } else if (key === "Escape") {
    var drawer = document.getElementById("drawer");
    if (drawer && drawer.innerHTML.trim()) {
      drawer.innerHTML = "";
      if (current) { current.focus({ preventScroll: true }); }
      event.preventDefault();
    }
  } else if (key === "?") {
    var help = document.querySelector("details.shortcuts");
    if (help) { help.open = !help.open; event.preventDefault(); }
  }
});
document.addEventListener("click", function (event) {
  var row = event.target.closest && event.target.closest("tr[data-row]");
  if (row) { rows().forEach(function (r) { r.classList.toggle("focused", r === row); }); }
});
// A row that left the list (marked ready from the drawer) hands the focus mark to the
// row that took its place, so j/k go on from there.
document.addEventListener("htmx:afterSettle", function () {
  if (focusedRow() || lastRowIndex < 0) { return; }
  var list = rows();
  if (list.length) { list[Math.min(lastRowIndex, list.length - 1)].classList.add("focused"); }
});
