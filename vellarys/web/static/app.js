// The dashboard's only script of its own. The Content-Security-Policy allows no inline
// script and no eval, so behaviour that htmx's hx-on would hold lives here.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-after-send") &&
      event.detail.successful) {
    form.reset();
  }
});
