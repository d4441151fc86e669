// Every htmx request carries the page's CSRF token (Flask-WTF reads X-CSRFToken).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});
// A field's own message for a value the browser refuses (data-invalid: its pattern; data-missing: required
// and empty), in the page's language instead of the browser's.
document.addEventListener("invalid", function (event) {
  var field = event.target;
  if (!field.dataset || !(field.dataset.invalid || field.dataset.missing)) { return; }
  var missing = field.validity.valueMissing && field.dataset.missing;
  field.setCustomValidity(missing ? field.dataset.missing : (field.dataset.invalid || ""));
}, true);
document.addEventListener("input", function (event) {
  if (event.target.dataset && (event.target.dataset.invalid || event.target.dataset.missing)) {
    event.target.setCustomValidity("");
  }
}, true);
