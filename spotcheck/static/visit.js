// The walk through the checks: one check per screen, every tap saved at once, nothing lost offline.
// Changes wait in localStorage with an idempotency key and the time they were made, and are sent
// in order whenever the network is there; the server ignores repeats and older changes.
(function () {
  "use strict";
  const root = document.querySelector("[data-visit]");
  if (!root) return;

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const steps = Array.from(root.querySelectorAll(".step"));
  const labels = root.querySelector("template[data-labels]").content;
  const text = (name) => labels.querySelector(`[data-text="${name}"]`).textContent;
  const resultLabel = (code) => labels.querySelector(`[data-label-for="${code}"]`).textContent;
  const queueKey = `spotcheck-queue-${root.dataset.visit}`;
  let queue = JSON.parse(localStorage.getItem(queueKey) || "[]");
  let photoJobs = [];  // photos waiting for the network (kept while this page is open)
  let flushing = false;
  let current = 0;
  const timers = new Map();  // text fields whose save waits for the typist to pause
  const savers = new Map();  // how to save each text field now

  // Typed text is saved 0.6 s after the last key, on leaving the field, or before leaving the page.
  function saveWhenPaused(field, check, input) {
    const key = `${field}:${check}`;
    savers.set(key, () => record(field, check, input.value));
    input.addEventListener("input", () => {
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => commitTyping(key), 600));
    });
    input.addEventListener("blur", () => commitTyping(key));
  }

  function commitTyping(key) {
    if (!timers.has(key)) return;
    clearTimeout(timers.get(key));
    timers.delete(key);
    savers.get(key)();
  }

  function commitAllTyping() {
    Array.from(timers.keys()).forEach(commitTyping);
  }

  // ---- saving -------------------------------------------------------------------------------
  function newKey() {
    // crypto.randomUUID needs https; getRandomValues also works on a plain-http intranet.
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function persist() {
    localStorage.setItem(queueKey, JSON.stringify(queue));
    showStatus();
  }

  function record(field, check, value) {
    queue.push({ key: newKey(), field, check, value, changed_at: new Date().toISOString() });
    persist();
    flush();
  }

  async function post(url, body, isJson) {
    const headers = { "X-CSRFToken": csrf };
    if (isJson) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers, body: isJson ? JSON.stringify(body) : body,
                        credentials: "same-origin", redirect: "manual" });
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length) {
        let response;
        try {
          response = await post(root.dataset.changesUrl, queue[0], true);
        } catch (networkError) {
          break;  // offline: keep everything, try again later
        }
        if (response.ok || response.status === 403 || response.status === 409 || response.status === 422) {
          const body = await response.json().catch(() => ({}));
          if (!response.ok) showError(body.error || text("failed"));
          // Stored or not, the status must never say 保存済み for a change that lost to a newer one.
          else if (body.applied === false) showError(text("not-applied"));
          else if (root.querySelector("[data-error]").textContent === text("not-applied")) showError("");
          queue.shift();
          persist();
        } else {
          if (response.status === 401 || response.status === 400 || response.type === "opaqueredirect") {
            showError(text("session"));
          }
          break;  // server trouble or expired login: keep the change and retry later
        }
      }
      await flushPhotos();
    } finally {
      flushing = false;
      showStatus();
    }
  }

  function showStatus() {
    const node = root.querySelector("[data-sync]");
    const waiting = queue.length + photoJobs.length;
    node.classList.toggle("pending", waiting > 0);
    if (waiting) node.textContent = text("pending").replace("{n}", waiting);
    else node.textContent = navigator.onLine ? text("saved") : text("offline");
  }

  // A message tied to a control goes next to it (`near`: the step or section holding its [data-msg]).
  function showError(message, near) {
    const local = near && near.querySelector("[data-msg]");
    if (local) {
      local.textContent = message;
      if (message) local.scrollIntoView({ block: "nearest" });
      return;
    }
    const node = root.querySelector("[data-error]");
    node.textContent = message;
    node.hidden = !message;
  }

  // ---- inputs -------------------------------------------------------------------------------
  function selectResult(step, code) {
    step.querySelectorAll("[data-result]").forEach((button) => {
      const on = button.dataset.result === code;
      button.classList.toggle("selected", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    step.dataset.result = code;
  }

  steps.forEach((step) => {
    const check = step.dataset.check;
    if (!check) return;
    const selected = step.querySelector("[data-result].selected");
    step.dataset.result = selected ? selected.dataset.result : "";
    step.querySelectorAll("[data-result]").forEach((button) =>
      button.addEventListener("click", () => tapResult(step, check, button)));
    const remark = step.querySelector("[data-remark]");
    saveWhenPaused("remark", check, remark);
    step.querySelectorAll("[data-phrase]").forEach((chip) =>
      chip.addEventListener("click", () => {
        remark.value = remark.value ? `${remark.value}\n${chip.dataset.phrase}` : chip.dataset.phrase;
        record("remark", check, remark.value);
      }));
    const photoInput = step.querySelector("[data-photo-input]");
    if (photoInput) {
      photoInput.addEventListener("change", () => {
        Array.from(photoInput.files).forEach((file) => photoJobs.push({ check, file, step }));
        photoInput.value = "";
        showStatus();
        flush();
      });
    }
    step.querySelectorAll("[data-remove-url]").forEach(bindRemove);
  });

  const comment = root.querySelector("[data-comment]");
  saveWhenPaused("comment", null, comment);

  // Changes not yet sent (e.g. made offline before a reload) win over what the server rendered.
  queue.forEach((change) => {
    if (change.field === "comment") { comment.value = change.value; return; }
    const step = steps.find((s) => s.dataset.check === change.check);
    if (!step) return;
    if (change.field === "result") selectResult(step, change.value);
    if (change.field === "remark") step.querySelector("[data-remark]").value = change.value;
  });

  // ---- photos -------------------------------------------------------------------------------
  async function flushPhotos() {
    while (photoJobs.length) {
      const job = photoJobs[0];
      const form = new FormData();
      form.append("photo", job.file);
      form.append("check", job.check);
      showError("", job.step);
      let response;
      try {
        response = await post(root.dataset.photosUrl, form, false);
      } catch (networkError) {
        return;  // keep it and retry when the network is back
      }
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        addThumb(job.step, body);
      } else if (response.status >= 500) {
        return;
      } else {
        showError(body.error || text("failed"), job.step);
      }
      photoJobs.shift();
      showStatus();
    }
  }

  function addThumb(step, photo) {
    const item = document.createElement("li");
    item.dataset.photo = photo.id;
    const image = document.createElement("img");
    image.src = photo.thumb;
    image.alt = "";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = text("remove");
    remove.dataset.removeUrl = `${root.dataset.photosUrl}/${photo.id}/remove`;
    item.append(image, remove);
    step.querySelector("[data-thumbs]").append(item);
    bindRemove(remove);
  }

  function bindRemove(button) {
    button.addEventListener("click", async () => {
      if (!window.confirm(text("confirm-remove"))) return;
      try {
        const response = await post(button.dataset.removeUrl, "", false);
        if (response.ok) button.closest("li").remove();
        else showError((await response.json().catch(() => ({}))).error || text("failed"));
      } catch (networkError) {
        showError(text("offline"));
      }
    });
  }

  // ---- one tap per check ----------------------------------------------------------------------
  // A result that needs no remark saves and moves on; one that needs a remark (from the form's
  // severity, rendered as data-needs-remark) stays and opens the remark. A tap never clears a result,
  // and taps right after a move are ignored: the finger's second tap would land on the next check.
  let movedAt = -Infinity;
  const SETTLE_MS = 400;

  function tapResult(step, check, button) {
    if (performance.now() - movedAt < SETTLE_MS || steps[current] !== step) return;
    const code = button.dataset.result;
    if (step.dataset.result !== code) {
      selectResult(step, code);
      record("result", check, code);
    }
    if (button.dataset.needsRemark === "1") {
      const remark = step.querySelector("[data-remark]");
      remark.scrollIntoView({ block: "nearest" });
      remark.focus({ preventScroll: true });
      return;
    }
    movedAt = performance.now();
    show(current + 1, true);
  }

  // 署名へ進む waits for typed text and queued changes to reach the server, then goes on.
  async function waitThenSign(link) {
    if (link.dataset.waiting) return;
    link.dataset.waiting = "1";
    link.setAttribute("aria-busy", "true");
    const section = link.closest("section");
    while (queue.length || photoJobs.length) {
      showError(navigator.onLine ? text("saving") : text("saving-offline"), section);
      await flush();
      if (queue.length || photoJobs.length) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    window.location.href = link.href;
  }

  // ---- moving between checks -----------------------------------------------------------------
  function show(index, advanced) {
    if (steps[current]) showError("", steps[current]);  // a message about the check being left no longer applies
    root.querySelector("[data-advanced]").hidden = !advanced;
    current = Math.max(0, Math.min(index, steps.length - 1));
    steps.forEach((step, i) => { step.hidden = i !== current; });
    const total = steps.length - 1;
    root.querySelector(".progress").value = current + 1;
    root.querySelector(".step-count").textContent = current < total ? `${current + 1} / ${total}` : `${total} / ${total}`;
    root.querySelector("[data-prev]").disabled = current === 0;
    root.querySelector("[data-next]").hidden = current === steps.length - 1;
    if (current === steps.length - 1) refreshSummary();
    if (location.hash !== `#step-${current + 1}`) history.replaceState(null, "", `#step-${current + 1}`);
    window.scrollTo(0, 0);
  }

  function refreshSummary() {
    steps.forEach((step) => {
      if (!step.dataset.check) return;
      const row = root.querySelector(`[data-summary-for="${step.dataset.check}"]`);
      const result = step.dataset.result;
      row.querySelector("[data-summary-result]").textContent = resultLabel(result);
      const gap = step.dataset.claimsDone === "1" && (result === "nonconformity" || result === "major");
      row.querySelector("[data-summary-gap]").textContent = gap ? text("gap") : "";
      const failed = result === "nonconformity" || result === "major";
      const silent = failed && !step.querySelector("[data-remark]").value.trim();
      row.querySelector("[data-summary-remark]").textContent = silent ? text("remark-missing") : "";
      row.classList.toggle("gap", gap);
    });
  }

  root.querySelector("[data-prev]").addEventListener("click", () => show(current - 1));
  root.querySelector("[data-undo]").addEventListener("click", () => show(current - 1));
  root.querySelector("[data-next]").addEventListener("click", () => show(current + 1));
  window.addEventListener("hashchange", () => {
    const match = /^#step-(\d+)$/.exec(location.hash);
    if (match) show(Number(match[1]) - 1);
  });
  const toSign = root.querySelector("[data-to-sign]");
  toSign.addEventListener("click", (event) => {
    commitAllTyping();
    if (!queue.length && !photoJobs.length) return;
    event.preventDefault();
    waitThenSign(toSign);
  });
  window.addEventListener("pagehide", commitAllTyping);

  window.addEventListener("online", flush);
  window.addEventListener("offline", showStatus);
  setInterval(flush, 5000);
  const start = /^#step-(\d+)$/.exec(location.hash);
  show(start ? Number(start[1]) - 1 : 0);
  flush();
})();
