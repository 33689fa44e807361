// The walk through the checks: one check per screen, every tap saved at once, nothing lost offline.
// Changes and photos wait in the tablet's outbox (queue.js, IndexedDB) with an idempotency key and the time they
// were made, and are sent in order whenever the network is there; the server ignores repeats and older changes.
(function () {
  "use strict";
  const root = document.querySelector("[data-visit]");
  if (!root) return;

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const steps = Array.from(root.querySelectorAll(".step"));
  const labels = root.querySelector("template[data-labels]").content;
  const text = (name) => labels.querySelector(`[data-text="${name}"]`).textContent;
  const resultLabel = (code) => labels.querySelector(`[data-label-for="${code}"]`).textContent;
  // Which results are findings is the campaign's pinned checklist's word (finding = true), not ours.
  const isFinding = (code) => labels.querySelector(`[data-label-for="${code}"]`).dataset.finding === "1";
  const outbox = SpotcheckOutbox.outbox(root.dataset.visit, {
    tokenUrl: location.pathname, onAnswer: answered, onChange: showStatus, onAllSent: keepOffline,
    onSession: () => { sessionLost = true; showError(text("session")); },
  });
  let sessionLost = false;  // the login expired: waiting cannot help until the auditor logs in again
  let backlog = false;  // something waited for the network: say 「すべて送信しました」 once it is all sent
  let current = 0;
  const timers = new Map();  // text fields whose save waits for the typist to pause
  const savers = new Map();  // how to save each text field now

  // Typed text is saved 0.6 s after the last key, on leaving the field, or before leaving the page.
  function saveWhenPaused(field, check, input) {
    const key = `${field}:${check}`;
    savers.set(key, () => record(field, check, input.value));
    input.addEventListener("input", () => {
      outbox.keepDraft(field, check, input.value);  // at every key: a killed browser loses nothing typed
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => commitTyping(key), 600));
    });
    input.addEventListener("blur", () => commitTyping(key));
  }

  function commitTyping(key) {
    if (!timers.has(key)) return Promise.resolve();
    clearTimeout(timers.get(key));
    timers.delete(key);
    return savers.get(key)();
  }

  function commitAllTyping() {
    return Promise.all(Array.from(timers.keys()).map(commitTyping));
  }

  // ---- saving -------------------------------------------------------------------------------
  async function record(field, check, value, changedAt = new Date().toISOString()) {
    if (navigator.onLine) backlog = false;
    await outbox.settleDraft(field, check, { kind: "change", url: root.dataset.changesUrl,
                                             body: { field, check, value, changed_at: changedAt } });
    showStatus();
    flush();
  }

  async function flush() {
    if (!await outbox.flush()) backlog = true;
  }

  // The server's answer to one entry of the outbox.
  function answered(item, ok, body) {
    sessionLost = false;  // the server answered: the login (renewed or not) is good again
    if (ok && item.kind === "sign") {  // a signature given offline: once it locks the visit, show the record
      if (body.locked) window.location.href = body.record;
      return;
    }
    if (!ok && item.kind === "photo") {  // refused (not a photo): its thumbnail goes, the reason stays
      const node = root.querySelector(`[data-local="${item.seq}"]`);
      if (node) node.remove();
    }
    const step = steps.find((s) => s.dataset.check === (item.body || item).check);
    if (!ok) showError(body.error || text("failed"), item.kind === "photo" ? step : undefined);  // beside 写真を撮る
    else if (item.kind === "photo") sentPhoto(item, body);
    // Stored or not, the status must never say 保存済み for a change that lost to a newer one.
    else if (body.applied === false) showError(text("not-applied"));
    else if (root.querySelector("[data-error]").textContent === text("not-applied")) showError("");
  }

  // The server now holds everything that was sent: refresh the offline copy of the pages, then forget the sent entries.
  async function keepOffline() {
    const sent = (await outbox.list()).filter((item) => item.sent).map((item) => item.seq);
    const urls = [location.pathname, root.querySelector("[data-to-sign]").getAttribute("href"),
      ...Array.from(document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]"),
                    (node) => node.getAttribute("src") || node.getAttribute("href")),
      root.dataset.signScript];
    if (await SpotcheckOutbox.keepOffline(root.dataset.visit, urls) !== false) await outbox.pruneSent(sent);
  }

  async function showStatus() {
    const node = root.querySelector("[data-sync]");
    const waiting = await outbox.counts();
    node.classList.toggle("pending", waiting.all > 0);
    if (waiting.all) {
      backlog = backlog || !navigator.onLine;
      node.textContent = (waiting.photos ? text("pending-photos") : text("pending"))
        .replace("{n}", waiting.all).replace("{m}", waiting.photos);
    } else if (!navigator.onLine) node.textContent = text("offline");
    else node.textContent = backlog ? text("all-sent") : text("saved");
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
      photoInput.addEventListener("change", async () => {
        const files = Array.from(photoInput.files);
        photoInput.value = "";
        showError("", step);  // a new photo: an earlier refusal beside 写真を撮る no longer applies
        for (const file of files) {
          const blob = await outbox.downscale(file);
          addThumb(step, { item: await outbox.add({ kind: "photo", url: root.dataset.photosUrl, check, blob }) });
        }
        showStatus();
        flush();
      });
    }
    step.querySelectorAll("[data-remove-url]").forEach(bindRemove);
  });

  const comment = root.querySelector("[data-comment]");
  saveWhenPaused("comment", null, comment);

  // What waits in the outbox (made offline before a reload), or was sent after the page was kept offline,
  // wins over what the page shows.
  // Text a killed page typed but never paused on: it goes to the outbox now, dated by its last key.
  async function settleDrafts() {
    for (const draft of await outbox.drafts()) await record(draft.field, draft.check, draft.value, draft.changed_at);
  }

  async function replayOutbox() {
    for (const item of await outbox.list()) {
      if (item.kind === "remove") {
        const button = root.querySelector(`[data-remove-url="${item.url}"]`);
        if (button) button.closest("li").remove();
      }
      const step = steps.find((s) => s.dataset.check === (item.body || item).check);
      if (item.kind === "photo" && step && !(item.answer && root.querySelector(`[data-photo="${item.answer.id}"]`))) {
        addThumb(step, item.answer ? { id: item.answer.id, thumb: item.answer.thumb } : { item });
      }
      if (item.kind !== "change") continue;
      // A sent change the server refused or did not apply (a newer one won) must not cover what it shows.
      if (item.sent && (!item.answer || item.answer.applied === false)) continue;
      const change = item.body;
      if (change.field === "comment") { comment.value = change.value; continue; }
      if (change.field === "answer") { replayAnswer(change); continue; }
      if (!step) continue;
      if (change.field === "result") selectResult(step, change.value);
      if (change.field === "remark") step.querySelector("[data-remark]").value = change.value;
    }
  }

  // ---- photos -------------------------------------------------------------------------------
  // A thumbnail: of a stored photo ({id, thumb}), or of one still in the outbox ({item}), drawn from its blob.
  function addThumb(step, photo) {
    const item = document.createElement("li");
    const image = document.createElement("img");
    image.alt = "";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = text("remove");
    if (photo.item) {
      item.dataset.local = photo.item.seq;
      image.src = URL.createObjectURL(photo.item.blob);
    } else {
      item.dataset.photo = photo.id;
      image.src = photo.thumb;
      remove.dataset.removeUrl = `${root.dataset.photosUrl}/${photo.id}/remove`;
    }
    item.append(image, remove);
    step.querySelector("[data-thumbs]").append(item);
    bindRemove(remove);
  }

  // A queued photo reached the server: its thumbnail now stands for the stored photo.
  function sentPhoto(item, body) {
    const node = root.querySelector(`[data-local="${item.seq}"]`);
    if (!node) {  // removed while it was on its way: withdraw it on the server too
      outbox.add({ kind: "remove", url: `${root.dataset.photosUrl}/${body.id}/remove`, body: {} }).then(flush);
      return;
    }
    delete node.dataset.local;
    node.dataset.photo = body.id;
    node.querySelector("button").dataset.removeUrl = `${root.dataset.photosUrl}/${body.id}/remove`;
  }

  function bindRemove(button) {
    button.addEventListener("click", async () => {
      if (!window.confirm(text("confirm-remove"))) return;
      const node = button.closest("li");
      node.remove();
      if (button.dataset.removeUrl) {
        await outbox.add({ kind: "remove", url: button.dataset.removeUrl, body: {} });
      } else {
        await outbox.drop(Number(node.dataset.local));  // never sent: it simply leaves the outbox
      }
      showStatus();
      flush();
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

  // ---- the interview (聞き取り): one tap on 正答/誤答 saves through the same outbox and moves on ---------------
  function selectAnswer(step, code) {
    step.querySelectorAll("[data-answer-code]").forEach((button) => {
      const on = button.dataset.answerCode === code;
      button.classList.toggle("selected", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    step.dataset.answer = code;
  }

  function replayAnswer(change) {
    const step = steps.find((s) => s.dataset.question === change.question);
    if (step) selectAnswer(step, change.value);
  }

  steps.filter((step) => step.dataset.question).forEach((step) => {
    step.querySelectorAll("[data-answer-code]").forEach((button) => button.addEventListener("click", async () => {
      if (performance.now() - movedAt < SETTLE_MS || steps[current] !== step) return;
      const code = button.dataset.answerCode;
      const changed = step.dataset.answer !== code;
      selectAnswer(step, code);
      movedAt = performance.now();
      show(current + 1, true);
      if (!changed) return;
      if (navigator.onLine) backlog = false;
      await outbox.add({ kind: "change", url: root.dataset.interviewUrl,
                         body: { field: "answer", question: step.dataset.question, value: code,
                                 changed_at: new Date().toISOString() } });
      showStatus();
      flush();
    }));
  });

  // 署名へ進む waits for typed text and queued changes to reach the server, then goes on.
  // 署名へ進む sends what waits, showing progress, then opens the sign page. With the offline copy (service
  // worker) and no network it opens at once: the sign page counts what still waits on the tablet.
  async function waitThenSign(link) {
    if (link.dataset.waiting) return;
    link.dataset.waiting = "1";
    link.setAttribute("aria-busy", "true");
    const section = link.closest("section");
    await commitAllTyping();
    const offlineCopy = () => !navigator.onLine && navigator.serviceWorker && navigator.serviceWorker.controller;
    sessionLost = false;
    while ((await outbox.counts()).all && !offlineCopy()) {
      showError(navigator.onLine ? text("saving") : text("saving-offline"), section);
      await flush();
      if (sessionLost) {  // say so and stop; 署名へ進む works again once the auditor has logged in
        showError(text("session"), section);
        delete link.dataset.waiting;
        link.removeAttribute("aria-busy");
        return;
      }
      if ((await outbox.counts()).all) await new Promise((resolve) => setTimeout(resolve, 300));
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
      if (step.dataset.question) {  // an interview question: its verdict (正答・誤答・未実施)
        const row = root.querySelector(`[data-summary-question="${step.dataset.question}"]`);
        row.querySelector("[data-summary-answer]").textContent =
          labels.querySelector(`[data-answer-label="${step.dataset.answer || ""}"]`).textContent;
        row.classList.toggle("gap", step.dataset.answer === "wrong");
      }
      if (!step.dataset.check) return;
      const row = root.querySelector(`[data-summary-for="${step.dataset.check}"]`);
      const result = step.dataset.result;
      row.querySelector("[data-summary-result]").textContent = resultLabel(result);
      const gap = step.dataset.claimsDone === "1" && isFinding(result);
      row.querySelector("[data-summary-gap]").textContent = gap ? text("gap") : "";
      const failed = isFinding(result);
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
    event.preventDefault();
    waitThenSign(toSign);
  });
  window.addEventListener("pagehide", commitAllTyping);
  // The outbox is asynchronous: start saving typed text as soon as the tab is hidden, before it may close.
  document.addEventListener("visibilitychange", () => { if (document.hidden) commitAllTyping(); });

  window.addEventListener("offline", showStatus);
  const start = /^#step-(\d+)$/.exec(location.hash);
  show(start ? Number(start[1]) - 1 : 0);
  settleDrafts().then(replayOutbox).then(async () => {
    if ((await outbox.counts()).all) backlog = true;
    showStatus();
    if (navigator.onLine) keepOffline();
    flush();
  });
})();
