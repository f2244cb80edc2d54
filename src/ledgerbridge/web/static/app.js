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
