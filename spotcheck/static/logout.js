// Logging out leaves nothing of a visit on the tablet: the offline copy (service worker and its caches) and the
// outbox (IndexedDB) are deleted before the form is sent; the server also asks the browser to (Clear-Site-Data).
// Input still waiting in the outbox would be lost with it, so the auditor is asked first.
(function () {
  "use strict";
  const form = document.querySelector("form[data-logout]");
  if (!form) return;

  async function outboxExists() {
    // Opening a database that does not exist would create an empty one that the walk page could not upgrade.
    if (!window.indexedDB || !indexedDB.databases) return false;
    return (await indexedDB.databases()).some((db) => db.name === "spotcheck");
  }

  async function unsentCount() {
    if (!(await outboxExists())) return 0;
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open("spotcheck");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      if (!db.objectStoreNames.contains("outbox")) return 0;
      const items = await new Promise((resolve, reject) => {
        const request = db.transaction("outbox").objectStore("outbox").getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      return items.filter((item) => !item.sent).length;
    } finally {
      db.close();
    }
  }

  async function forgetEverything() {
    if (window.caches) for (const name of await caches.keys()) await caches.delete(name);
    if (navigator.serviceWorker) {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
    }
    if (window.indexedDB) {
      await new Promise((resolve) => {
        const request = indexedDB.deleteDatabase("spotcheck");
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      });
    }
  }

  let confirmed = false;
  form.addEventListener("submit", async (event) => {
    if (confirmed) return;
    event.preventDefault();
    try {
      const unsent = await unsentCount();
      if (unsent && !window.confirm(form.dataset.unsentConfirm.replace("{n}", unsent))) return;
      await forgetEverything();
    } catch (failed) {
      // Storage the browser will not open is storage Clear-Site-Data still reaches; logging out must not stall.
    }
    confirmed = true;
    form.requestSubmit();
  });
})();
