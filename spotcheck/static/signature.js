// Signature pads: draw with a finger or stylus (pointer events), smooth strokes, clear, submit as PNG.
(function () {
  "use strict";
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

    form.addEventListener("submit", (event) => {
      const refused = form.querySelector("[data-refused]");
      if (refused && refused.checked) return;
      if (!drawn) {
        event.preventDefault();
        form.querySelector("[data-pad-error]").hidden = false;
        return;
      }
      form.querySelector("[data-signature]").value = canvas.toDataURL("image/png");
    });
  });
})();
