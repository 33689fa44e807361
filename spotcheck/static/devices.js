// Unmanaged devices: a form is sent once (a second tap waits), and the walk screen's link returns to the same check.
"use strict";
document.querySelectorAll("form[data-once]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.querySelectorAll("button").forEach((button) => button.setAttribute("aria-disabled", "true"));
  });
});
document.querySelectorAll("a[data-device-link]").forEach((link) => {
  link.addEventListener("click", () => {
    const match = /^#step-(\d+)$/.exec(location.hash);
    const url = new URL(link.href, location.href);
    if (match) url.searchParams.set("step", match[1]);
    link.href = url.toString();
  });
});
