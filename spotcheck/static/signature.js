// Signature pads: draw with a finger or stylus (pointer events), smooth strokes, clear, submit as PNG.
// A signature joins the visit's outbox (queue.js) behind the inputs still waiting there, so it can be given with
// no network: the visit locks and its sheet is issued when the outbox reaches the server.
(function () {
  "use strict";
  const status = document.querySelector("[data-sync][data-sign-url]");
  const texts = document.querySelector("template[data-sign-texts]");
  const text = (name) => texts.content.querySelector(`[data-text="${name}"]`).textContent;
  const outbox = status && SpotcheckOutbox.outbox(status.dataset.visit, {
    tokenUrl: location.pathname, onAnswer: answered, onChange: showStatus, onAllSent: () => {},
    onSession: () => { status.textContent = text("session"); },
  });
  let backlog = false;

  document.querySelectorAll("[data-signature-form]").forEach((form) => {
    const canvas = form.querySelector("[data-pad]");
    const context = canvas.getContext("2d");
    let drawn = false;
    let points = [];

    function position(event) {
      const box = canvas.getBoundingClientRect();
      return { x: (event.clientX - box.left) * (canvas.width / box.width),
               y: (event.clientY - box.top) * (canvas.height / box.height) };
    }

    function strokeStyle() {
      context.lineWidth = 3;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
    }

    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      points = [position(event)];
      strokeStyle();
      context.beginPath();
      context.arc(points[0].x, points[0].y, 1.5, 0, Math.PI * 2);
      context.fill();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!points.length) return;
      event.preventDefault();
      points.push(position(event));
      if (points.length < 3) return;
      // Quadratic curves through the midpoints make a smooth line from jittery touch samples.
      const [a, b, c] = points.slice(-3);
      context.beginPath();
      context.moveTo((a.x + b.x) / 2, (a.y + b.y) / 2);
      context.quadraticCurveTo(b.x, b.y, (b.x + c.x) / 2, (b.y + c.y) / 2);
      context.stroke();
      drawn = true;
    });
    const end = () => { points = []; };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    form.querySelector("[data-clear]").addEventListener("click", () => {
      context.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const refused = form.querySelector("[data-refused]");
      const refusing = Boolean(refused && refused.checked);
      if (!refusing && !drawn) {
        form.querySelector("[data-pad-error]").hidden = false;
        return;
      }
      form.querySelector("[data-pad-error]").hidden = true;
      const value = (name) => (form.elements[name] ? form.elements[name].value : "");
      const item = await outbox.add({ kind: "sign", url: status.dataset.signUrl, body: {
        role: value("role"), name: value("name"), signature: refusing ? null : canvas.toDataURL("image/png"),
        refused: refusing, reason: value("reason") } });
      waiting(item);
      showStatus();
      if (!await outbox.flush()) backlog = true;
    });
  });

  function card(role) {
    const input = document.querySelector(`[data-signature-form] input[name="role"][value="${role}"]`);
    return input && input.closest(".signature-card");
  }

  // A signature given on this tablet and not yet answered: the pad is put away and the card says so.
  function waiting(item) {
    const box = card(item.body.role);
    if (!box) return;
    box.querySelector("[data-signature-form]").hidden = true;
    box.querySelector("[data-sign-waiting]").hidden = false;
    box.querySelector("[data-sign-error]").hidden = true;
  }

  async function answered(item, ok, body) {
    if (item.kind !== "sign") return;
    if (ok && body.locked) {
      SpotcheckOutbox.forgetOffline(status.dataset.visit);
      window.location.href = body.record;
    } else if (ok) {
      // The server's page shows the signature (and its notice), unless the other one is on its way too.
      if (!(await outbox.counts()).signatures) window.location.reload();
    } else {
      const box = card(item.body.role);
      if (!box) return;
      box.querySelector("[data-sign-waiting]").hidden = true;
      box.querySelector("[data-signature-form]").hidden = false;
      const error = box.querySelector("[data-sign-error]");
      error.textContent = body.error || text("failed");
      error.hidden = false;
    }
  }

  async function showStatus() {
    const waitingNow = await outbox.counts();
    if (waitingNow.signatures) status.textContent = text("signed-waiting");
    else if (waitingNow.all) {
      status.textContent = (waitingNow.photos ? text("pending-photos") : text("pending"))
        .replace("{n}", waitingNow.all).replace("{m}", waitingNow.photos);
    } else status.textContent = backlog ? text("all-sent") : "";
    status.classList.toggle("pending", waitingNow.all > 0);
    status.hidden = !status.textContent;
  }

  // The page may be the offline copy, older than the inputs still on the tablet: the results shown and whether
  // the visit is ready to sign follow those inputs (the server checks again when the signatures arrive).
  async function catchUp() {
    const rows = Array.from(document.querySelectorAll("tr[data-check]"));
    const label = (code) => texts.content.querySelector(`[data-label-for="${code}"]`).textContent;
    const items = await outbox.list();
    items.filter((item) => item.kind === "change").forEach(({ body }) => {
      if (body.field === "comment") {
        document.querySelector("[data-comment-text]").textContent = (body.value || "").trim();
        document.querySelector("[data-comment-view]").hidden = !(body.value || "").trim();
      }
      const row = rows.find((r) => r.dataset.check === body.check);
      if (!row) return;
      if (body.field === "result") {
        row.dataset.result = body.value || "";
        row.querySelector("[data-result-label]").textContent = label(body.value || "");
      }
      if (body.field === "remark") row.dataset.remark = (body.value || "").trim();
    });
    const failed = status.dataset.failed.split(" ");
    const missing = rows.filter((r) => !r.dataset.result).map((r) => r.dataset.title);
    const silent = rows.filter((r) => failed.includes(r.dataset.result) && !r.dataset.remark)
      .map((r) => r.dataset.title);
    if (items.some((item) => item.kind === "change")) {
      showFindings(rows.filter((r) => failed.includes(r.dataset.result)), label);
      rows.forEach((r) => {
        const gap = r.dataset.claimsDone === "1" && failed.includes(r.dataset.result);
        r.classList.toggle("gap", gap);
        r.querySelector("[data-gap]").textContent = gap ? text("gap") : "";
      });
      const problems = document.querySelector("[data-problems]");
      problems.replaceChildren(...[["missing", missing], ["silent", silent]].filter(([, list]) => list.length)
        .map(([name, list]) => Object.assign(document.createElement("p"), {
          className: "flash error", textContent: text(name).replace("{checks}", list.join("、")) })));
      const ready = !missing.length && !silent.length;
      document.querySelectorAll("[data-signature-form]").forEach((form) => { form.hidden = !ready; });
    }
    items.filter((item) => item.kind === "sign" && !item.sent).forEach(waiting);
    if (items.some((item) => !item.sent)) backlog = true;
    showStatus();
    outbox.flush();
  }

  // The findings as the sheet will print them: the auditor's remark as the fact.
  function showFindings(rows, label) {
    const list = document.querySelector("[data-findings]");
    if (!rows.length) {
      list.replaceChildren(Object.assign(document.createElement("p"), { textContent: text("no-findings") }));
      return;
    }
    list.replaceChildren(...rows.map((row, index) => {
      const entry = Object.assign(document.createElement("dl"), { className: "finding" });
      entry.append(
        Object.assign(document.createElement("dt"), {
          textContent: `${text("finding")}${index + 1}　${row.dataset.title}（${label(row.dataset.result)}）` }),
        Object.assign(document.createElement("dd"), {
          className: "prewrap", textContent: `${text("fact")}: ${row.dataset.remark || text("no-remark")}` }));
      return entry;
    }));
  }

  if (outbox) catchUp();
})();
