// The open visit's offline copy: its walk and sign pages (and their photos and the app's static files) are
// fetched from the network first and kept, so a reload or a reopen with no signal still shows the visit.
// Only the visit being worked on is kept; its copy is dropped once the server says the visit is signed.
"use strict";
const STATIC = "spotcheck-static-v1";
const VISIT_PREFIX = "spotcheck-visit-";
const VISIT_PATH = /^\/visits\/(\d+)(\/|$)/;

const visitCache = (visit) => `${VISIT_PREFIX}${visit}`;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.keep) {
    event.waitUntil(keep(String(data.keep), data.urls || []).then((kept) => {
      if (event.ports[0]) event.ports[0].postMessage(kept ? "kept" : "failed");
    }));
  }
  if (data.forget) event.waitUntil(caches.delete(visitCache(data.forget)));
});

async function keep(visit, urls) {
  // Another visit's copy goes: a shared tablet keeps no one else's pages beyond the visit at hand.
  for (const name of await caches.keys()) {
    if (name.startsWith(VISIT_PREFIX) && name !== visitCache(visit)) await caches.delete(name);
  }
  const pages = await caches.open(visitCache(visit));
  const assets = await caches.open(STATIC);
  // Earlier versions of the static files are not needed any more.
  const wanted = new Set(urls.map((url) => new URL(url, self.location.origin).href));
  for (const request of await assets.keys()) if (!wanted.has(request.url)) await assets.delete(request);
  try {
    await Promise.all(urls.map(async (url) => {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.headers.get("X-Visit-State") === "closed") throw new Error("signed");
      if (!response.ok || response.redirected) throw new Error("not kept");
      const path = new URL(url, self.location.origin).pathname;
      await (path.startsWith("/static/") ? assets : pages).put(url, response);
    }));
    return true;
  } catch (failed) {
    if (failed.message === "signed") await caches.delete(visitCache(visit));
    return false;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    // A versioned URL (?v=digest) never changes content: the kept copy answers at once, without a round trip.
    event.respondWith(url.searchParams.has("v") ? cacheFirst(request, STATIC) : networkFirst(request, STATIC, false));
    return;
  }
  const match = VISIT_PATH.exec(url.pathname);
  if (match) event.respondWith(networkFirst(request, visitCache(match[1]), true));
});

async function cacheFirst(request, name) {
  const kept = await (await caches.open(name)).match(request);
  return kept || networkFirst(request, name, false);
}

// The network when it answers (refreshing the kept copy), the kept copy when it does not.
async function networkFirst(request, name, addNew) {
  const kept = await caches.has(name);
  try {
    const response = await fetch(request);
    if (kept && response.headers.get("X-Visit-State") === "closed") {
      await caches.delete(name);
    } else if (kept && response.ok && !response.redirected) {
      const cache = await caches.open(name);
      if (addNew || await cache.match(request)) await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    const cached = kept && await (await caches.open(name)).match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw offline;
  }
}
