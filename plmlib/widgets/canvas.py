"""The two browser-side pieces of the widget: a drawing canvas over the frame, and the strip of per-frame J.

Why anywidget (our choice): a real brush needs pointer events in the browser. ``ipywidgets.Image`` has none;
ipyevents and ipycanvas add lab extensions of their own; ipympl gives events but sends every mouse move to the kernel
and redraws a matplotlib figure for each. anywidget ships its JupyterLab extension prebuilt inside its wheel (no
build step, nothing to enable), and lets this module carry a few lines of JavaScript: the brush, eraser and polygon
are drawn in the browser as the pointer moves (instant feedback), and one message per finished stroke, polygon or
click goes to the kernel, where :class:`plmlib.widgets.session.PropagationSession` applies it to the mask. The
kernel sends back the rendered frame as a PNG.
"""

from __future__ import annotations

import anywidget
import traitlets

_CANVAS_ESM = r"""
function render({ model, el }) {
  const canvas = document.createElement("canvas");
  canvas.className = "plm-canvas";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let bitmap = null, stroke = null, polygon = [], hover = null;

  function applyWidth() {
    const w = model.get("display_width");
    canvas.style.width = w > 0 ? w + "px" : "";
  }
  function scale() {  // image pixels per displayed pixel
    const r = canvas.getBoundingClientRect();
    return r.width > 0 ? canvas.width / r.width : 1;
  }
  function point(ev) {
    const r = canvas.getBoundingClientRect(), s = scale();
    return [Math.round((ev.clientX - r.left) * s), Math.round((ev.clientY - r.top) * s)];
  }
  function colour() { return model.get("tool") === "eraser" ? "rgba(0,0,0,0.6)" : "rgba(255,40,40,0.6)"; }
  function redraw() {
    if (!bitmap) return;
    ctx.drawImage(bitmap, 0, 0);
    const tool = model.get("tool"), r = model.get("brush_size");
    if (stroke) {
      ctx.strokeStyle = colour(); ctx.fillStyle = colour(); ctx.lineWidth = 2 * r; ctx.lineCap = "round";
      ctx.lineJoin = "round"; ctx.beginPath(); ctx.moveTo(stroke[0][0], stroke[0][1]);
      for (const p of stroke) ctx.lineTo(p[0], p[1]);
      if (stroke.length === 1) { ctx.arc(stroke[0][0], stroke[0][1], r, 0, 2 * Math.PI); ctx.fill(); } else ctx.stroke();
    }
    if (polygon.length) {
      ctx.strokeStyle = "rgba(255,255,0,0.9)"; ctx.lineWidth = Math.max(1, scale()); ctx.beginPath();
      ctx.moveTo(polygon[0][0], polygon[0][1]);
      for (const p of polygon) ctx.lineTo(p[0], p[1]);
      if (hover) ctx.lineTo(hover[0], hover[1]);
      ctx.stroke();
    }
    if (hover && !stroke && (tool === "brush" || tool === "eraser")) {
      ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.lineWidth = Math.max(1, scale());
      ctx.beginPath(); ctx.arc(hover[0], hover[1], r, 0, 2 * Math.PI); ctx.stroke();
    }
  }
  let loads = 0;
  async function load() {  // version and frame are sent before the image: read them now, show them with it
    const data = model.get("image"), version = model.get("version"), frame = model.get("frame");
    if (!data || data.byteLength === 0) return;
    const seq = ++loads;
    const next = await createImageBitmap(new Blob([data], { type: "image/png" }));
    if (seq !== loads) return;  // a newer image arrived meanwhile: never show an older one over it
    bitmap = next;
    if (canvas.width !== bitmap.width) canvas.width = bitmap.width;
    if (canvas.height !== bitmap.height) canvas.height = bitmap.height;
    redraw();
    canvas.dataset.version = String(version);
    canvas.dataset.frame = String(frame);
  }
  canvas.addEventListener("pointerdown", (ev) => {
    const tool = model.get("tool"), p = point(ev);
    if (tool === "brush" || tool === "eraser") {
      stroke = [p]; canvas.setPointerCapture(ev.pointerId); redraw();
    } else if (tool === "polygon") {
      const near = polygon.length >= 3 &&
        Math.hypot(p[0] - polygon[0][0], p[1] - polygon[0][1]) <= 6 * scale();
      if (near) { model.send({ event: "polygon", points: polygon }); polygon = []; }
      else polygon.push(p);
      redraw();
    } else if (tool === "probe") {
      model.send({ event: "probe", x: p[0], y: p[1] });
    }
  });
  canvas.addEventListener("pointermove", (ev) => {
    hover = point(ev);
    if (stroke) stroke.push(hover);
    redraw();
  });
  canvas.addEventListener("pointerleave", () => { hover = null; redraw(); });
  function finish() {
    if (!stroke) return;
    model.send({ event: "stroke", erase: model.get("tool") === "eraser", radius: model.get("brush_size"),
                 points: stroke });
    stroke = null;
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("dblclick", () => {
    if (model.get("tool") === "polygon" && polygon.length >= 3) {
      model.send({ event: "polygon", points: polygon }); polygon = []; redraw();
    }
  });
  model.on("change:image", load);
  model.on("change:display_width", applyWidth);
  model.on("change:tool", () => { polygon = []; stroke = null; redraw(); });
  model.on("change:brush_size", redraw);
  applyWidth();
  load();
}
export default { render };
"""

_CANVAS_CSS = """
.plm-canvas { max-width: 100%; cursor: crosshair; touch-action: none; image-rendering: pixelated; display: block; }
"""


class MaskCanvas(anywidget.AnyWidget):
    """The frame as a PNG, drawn on with the pointer. Messages to the kernel (``on_msg``):
    ``{"event": "stroke", "points": [[x, y], ...], "radius": r, "erase": bool}``, ``{"event": "polygon", "points"}``,
    ``{"event": "probe", "x", "y"}``, in image pixels."""

    _esm = _CANVAS_ESM
    _css = _CANVAS_CSS
    image = traitlets.Bytes(b"").tag(sync=True)  # PNG of what to show
    version = traitlets.Int(0).tag(sync=True)  # bumped before each new image (the page shows it as data-version)
    frame = traitlets.Int(0).tag(sync=True)  # the frame the image shows (data-frame), set before the image
    tool = traitlets.Unicode("brush").tag(sync=True)  # brush | eraser | polygon | probe
    brush_size = traitlets.Int(8).tag(sync=True)  # brush radius, image pixels
    display_width = traitlets.Int(0).tag(sync=True)  # CSS width in pixels; 0: the image's own


_STRIP_ESM = r"""
function render({ model, el }) {
  const strip = document.createElement("div");
  strip.className = "plm-jstrip";
  el.appendChild(strip);
  function draw() {
    strip.innerHTML = "";
    const values = model.get("values"), current = model.get("current"), worst = model.get("worst");
    values.forEach((v, i) => {
      const bar = document.createElement("div");
      bar.className = "plm-jstrip-bar" + (i === current ? " current" : "") + (i === worst ? " worst" : "");
      bar.dataset.frame = String(i);
      const fill = document.createElement("div");
      fill.className = "plm-jstrip-fill";
      fill.style.height = (v === null ? 0 : Math.max(2, 100 * v)) + "%";
      bar.title = v === null ? `frame ${i}: no J` : `frame ${i}: J = ${v.toFixed(3)}`;
      bar.appendChild(fill);
      bar.addEventListener("click", () => model.send({ event: "select", index: i }));
      strip.appendChild(bar);
    });
  }
  model.on("change:values", draw);
  model.on("change:current", draw);
  model.on("change:worst", draw);
  draw();
}
export default { render };
"""

_STRIP_CSS = """
.plm-jstrip { display: flex; align-items: flex-end; gap: 1px; height: 48px; width: 100%; max-width: 640px; }
.plm-jstrip-bar { flex: 1; height: 100%; display: flex; align-items: flex-end; cursor: pointer;
                  background: #eee; border-bottom: 2px solid transparent; }
.plm-jstrip-fill { width: 100%; background: #4a8; }
.plm-jstrip-bar.worst .plm-jstrip-fill { background: #d33; }
.plm-jstrip-bar.current { border-bottom: 2px solid #15c; }
"""


class JStrip(anywidget.AnyWidget):
    """Per-frame J as bars (``None``: no value); the worst frame red, the current one underlined.
    A click sends ``{"event": "select", "index": i}``."""

    _esm = _STRIP_ESM
    _css = _STRIP_CSS
    values = traitlets.List([]).tag(sync=True)
    current = traitlets.Int(0).tag(sync=True)
    worst = traitlets.Int(-1).tag(sync=True)
