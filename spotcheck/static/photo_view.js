// Full-size photo view during a visit: tap a thumbnail, see the stored photo, pinch to zoom, tap to toggle 原寸.
// Separate from visit.js on purpose; it needs only the <dialog data-photo-view> of walk.html.
(() => {
  "use strict";
  const dialog = document.querySelector("dialog[data-photo-view]");
  if (!dialog) return;
  const frame = dialog.querySelector("[data-photo-frame]");
  const image = frame.querySelector("img");
  const failed = dialog.querySelector("[data-photo-failed]");

  // A server thumbnail's full photo is the same URL ending in /full; a photo still on the tablet (blob:) is itself.
  const fullUrl = (thumb) => thumb.getAttribute("src").replace(/\/thumb$/, "/full");

  function open(thumb) {
    dialog.classList.remove("actual");
    failed.hidden = true;
    image.hidden = false;
    image.src = fullUrl(thumb);
    dialog.showModal();
  }

  function tappable(thumb) {  // thumbnails added later by visit.js get the same role and focus
    thumb.tabIndex = 0;
    thumb.setAttribute("role", "button");
    thumb.setAttribute("aria-haspopup", "dialog");
  }

  document.querySelectorAll("[data-thumbs] img").forEach(tappable);
  new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
    if (node.nodeType === 1) node.querySelectorAll("img").forEach(tappable);
  }))).observe(document.body, { childList: true, subtree: true });

  document.addEventListener("click", (event) => {
    const thumb = event.target.closest("[data-thumbs] img");
    if (thumb) open(thumb);
  });
  document.addEventListener("keydown", (event) => {
    const thumb = event.target.closest && event.target.closest("[data-thumbs] img");
    if (thumb && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      open(thumb);
    }
  });

  // Tap the photo: fit the screen ⇄ one photo pixel per screen pixel, keeping the tapped spot under the finger.
  image.addEventListener("click", (event) => {
    const fx = event.offsetX / image.clientWidth, fy = event.offsetY / image.clientHeight;
    const box = frame.getBoundingClientRect();
    dialog.classList.toggle("actual");
    frame.scrollLeft = fx * image.clientWidth - (event.clientX - box.left);
    frame.scrollTop = fy * image.clientHeight - (event.clientY - box.top);
  });
  image.addEventListener("error", () => {
    if (!image.getAttribute("src")) return;
    image.hidden = true;
    failed.hidden = false;
  });
  dialog.addEventListener("close", () => image.removeAttribute("src"));  // frees the decoded photo
})();
