// The tablet's outbox for one visit, in IndexedDB: every result, remark, comment, photo (a Blob), removal and
// signature waits here, in order, until the server has answered it. Each carries an idempotency key, so sending
// one again after a drop, a reload or a killed browser is harmless; nothing waits anywhere else.
// Also registers the service worker (static/sw.js) that keeps the open visit's pages for working offline.
(function () {
  "use strict";
  const DB_NAME = "spotcheck";
  const STORE = "outbox";
  const DRAFTS = "drafts";  // text being typed, kept at every key until it becomes an outbox entry
  let opening = null;

  function database() {
    opening = opening || new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true }).createIndex("visit", "visit");
        }
        if (!db.objectStoreNames.contains(DRAFTS)) db.createObjectStore(DRAFTS, { keyPath: "id" }).createIndex("visit", "visit");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  }

  // One transaction over the stores (the outbox unless named); work gets the first store and the transaction.
  async function run(mode, work, stores = [STORE]) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      const result = work(tx.objectStore(stores[0]), tx);
      // Resolve only once the transaction is committed: then the entry survives a killed browser.
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  function newKey() {
    // crypto.randomUUID needs https; getRandomValues also works on a plain-http intranet.
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A camera photo shrunk on the tablet (long side 1600 px, JPEG) before it waits: a quarter of the bytes to
  // keep and to send. Anything the browser cannot decode is queued as it is, for the server to refuse clearly.
  async function downscale(file, longSide = 1600) {
    if (!window.createImageBitmap) return file;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (notAnImage) {
      return file;
    }
    const scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob || file;
  }

  function outbox(visit, options) {
    const csrf = { token: document.querySelector('meta[name="csrf-token"]').content };
    let flushing = null;

    const list = () => run("readonly", (store) => store.index("visit").getAll(visit));

    async function add(entry) {
      const item = Object.assign({ visit, key: newKey(), at: new Date().toISOString() }, entry);
      item.seq = await run("readwrite", (store) => store.add(item));
      return item;
    }

    // A field's text at every key, so a browser killed before the typist pauses still has it at the next start.
    const keepDraft = (field, check, value) => run("readwrite", (drafts) => drafts.put(
      { id: `${visit}:${field}:${check}`, visit, field, check, value, changed_at: new Date().toISOString() }), [DRAFTS]);

    // The typed text becomes an outbox entry and stops being a draft in one transaction: never both, never neither.
    async function settleDraft(field, check, entry) {
      const item = Object.assign({ visit, key: newKey(), at: new Date().toISOString() }, entry);
      item.seq = await run("readwrite", (store, tx) => {
        tx.objectStore(DRAFTS).delete(`${visit}:${field}:${check}`);
        return store.add(item);
      }, [STORE, DRAFTS]);
      return item;
    }

    // Drafts left by a page that never paused (killed browser, crash): what was typed, as of its last key.
    const drafts = () => run("readonly", (store) => store.index("visit").getAll(visit), [DRAFTS]);

    const drop = (seq) => run("readwrite", (store) => store.delete(seq));
    const pending = async () => (await list()).filter((item) => !item.sent);

    // An answered entry stays (without its photo) until the offline copy of the pages is fetched again,
    // so a page reopened from that copy still shows it; then it goes.
    const markSent = (item, answer) => run("readwrite", (store) => store.put(
      Object.assign({}, item, { sent: true, blob: null, answer })));

    const pruneSent = (seqs) => run("readwrite", (store) => seqs.forEach((seq) => store.delete(seq)));

    function request(item) {
      const headers = { "X-CSRFToken": csrf.token };
      let body;
      if (item.kind === "photo") {
        body = new FormData();
        body.append("photo", item.blob, "photo.jpg");
        body.append("check", item.check);
        body.append("key", item.key);
      } else {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(Object.assign({ key: item.key }, item.body));
      }
      return fetch(item.url, { method: "POST", headers, body, credentials: "same-origin", redirect: "manual" });
    }

    // The page's token may be older than the session (a cached page, a login in another tab): fetch it afresh.
    async function renewToken() {
      try {
        const page = await fetch(options.tokenUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" });
        const match = /name="csrf-token" content="([^"]+)"/.exec(await page.text());
        if (!match) return false;
        csrf.token = match[1];
        return true;
      } catch (networkError) {
        return false;
      }
    }

    // Sends everything waiting, oldest first; stops at the first one the network or the login holds back.
    async function sendAll() {
      let renewed = false;
      let answered = 0;
      for (;;) {
        const items = await pending();
        if (!items.length) {
          if (answered) options.onAllSent();
          return true;
        }
        const item = items[0];
        let response;
        try {
          response = await request(item);
        } catch (networkError) {
          return false;  // offline: keep everything, try again later
        }
        if (response.status === 400 && !renewed && await renewToken()) {
          renewed = true;
          continue;
        }
        if (response.ok || [403, 409, 413, 422].includes(response.status)) {
          const body = await response.json().catch(() => ({}));
          await markSent(item, response.ok ? body : null);
          options.onAnswer(item, response.ok, body);
          renewed = false;
          answered += 1;
        } else {
          if ([400, 401].includes(response.status) || response.type === "opaqueredirect") options.onSession();
          return false;  // server trouble or expired login: keep it and retry later
        }
      }
    }

    function flush() {
      // One flush at a time per visit, across tabs too where the browser can say so (Web Locks).
      flushing = flushing || (navigator.locks
        ? navigator.locks.request(`spotcheck-outbox-${visit}`, sendAll)
        : sendAll()).finally(() => { flushing = null; options.onChange(); });
      return flushing;
    }

    async function counts() {
      const items = await pending();
      return { all: items.length, photos: items.filter((i) => i.kind === "photo").length,
               signatures: items.filter((i) => i.kind === "sign").length };
    }

    window.addEventListener("online", flush);
    setInterval(flush, 5000);
    return { add, drop, list, pending, pruneSent, flush, counts, downscale, keepDraft, settleDraft, drafts };
  }

  // The service worker needs a secure context (https, or localhost); on a plain-http LAN the pages load
  // from the network as before, and the outbox still keeps every input.
  // Resolves true once the worker holds a fresh copy of the urls, false when it could not fetch them, null when
  // there is no worker here (nothing is kept, so nothing needs to wait for a copy).
  async function keepOffline(visit, urls) {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return null;
    if (!navigator.onLine) return false;  // nothing to fetch a copy from
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/visits/" });
      const registration = await navigator.serviceWorker.ready;
      const channel = new MessageChannel();
      const done = new Promise((resolve) => { channel.port1.onmessage = (event) => resolve(event.data === "kept"); });
      registration.active.postMessage({ keep: visit, urls }, [channel.port2]);
      return await done;
    } catch (unavailable) {
      return false;
    }
  }

  function forgetOffline(visit) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ forget: visit });
    }
  }

  window.SpotcheckOutbox = { outbox, keepOffline, forgetOffline, newKey };
})();
