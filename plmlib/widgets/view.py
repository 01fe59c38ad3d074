"""PropagationView: a thin ipywidgets view on a :class:`PropagationSession` (all logic is in the session).

    view = PropagationView(session)      # display it: the last expression of a notebook cell
    show(session)                        # the same, or a static figure where widgets are not available

Layout, top to bottom: drawing tools (brush, eraser with a size, polygon, probe; undo, clear, ground truth, PNG
import), the canvas, frame slider with a play button, overlay mode and opacity, method and propagation (progress bar,
stop), the strip of per-frame J (click a bar to jump to that frame), export, and the matching probe's answer.

Propagation runs in a background thread, so the notebook stays responsive (scrub, stop) while it runs; drawing is
refused until it ends. "Propagate from this frame": from the first frame after drawing it, from a later frame after
correcting it. Where widgets cannot render (a static viewer, nbconvert, a front end without the widget manager) the
output falls back to a static figure that says so, and to one line of text.
"""

from __future__ import annotations

import html
import tempfile
import threading
import time
from pathlib import Path

import cv2
import ipywidgets as W
import numpy as np

from plmlib.core.methods import METHODS
from plmlib.widgets.canvas import JStrip, MaskCanvas
from plmlib.widgets.session import OVERLAY_MODES, PropagationSession
from plmlib.widgets.static import STATIC_MESSAGE, static_png

# (label, method name) of the methods the widget offers (plmlib.core.methods: Method.interactive)
METHOD_CHOICES = tuple((m.label, m.name) for m in METHODS.values() if m.interactive)
TOOLS = ("brush", "eraser", "polygon", "probe")


def png_bytes(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the image as PNG")
    return data.tobytes()


class PropagationView(W.VBox):
    """The widget. Every control calls one session method; tests may call the ``on_*`` handlers directly."""

    def __init__(self, session: PropagationSession, display_width: int = 640, export_dir: str = "outputs/widget"):
        self.session = session
        self._thread: threading.Thread | None = None
        self._probe = None
        n = len(session)
        height, width = session.size
        # drawing
        self.tool = W.ToggleButtons(options=TOOLS, value="brush", description="tool",
                                    style={"button_width": "76px"})
        self.brush_size = W.IntSlider(value=max(2, min(height, width) // 20), min=1, max=max(8, min(height, width) // 4),
                                      description="size")
        self.undo_button = W.Button(description="undo", icon="undo")
        self.clear_button = W.Button(description="clear frame")
        self.gt_button = W.Button(description="ground truth", disabled=not session.has_ground_truth,
                                  tooltip="take the dataset's mask for this frame")
        self.upload = W.FileUpload(accept=".png", multiple=False, description="import PNG")
        self.canvas = MaskCanvas(display_width=display_width if width < display_width else 0)
        W.link((self.brush_size, "value"), (self.canvas, "brush_size"))  # kernel-side links: tests see them too
        W.link((self.tool, "value"), (self.canvas, "tool"))
        # frames
        self.frame_slider = W.IntSlider(value=0, min=0, max=n - 1, description="frame", continuous_update=True)
        self.play = W.Play(value=0, min=0, max=n - 1, interval=150, description="play")
        W.jslink((self.play, "value"), (self.frame_slider, "value"))
        self.frame_label = W.Label()
        modes = OVERLAY_MODES if session.has_ground_truth else tuple(m for m in OVERLAY_MODES if m != "error")
        self.mode = W.Dropdown(options=modes, value="fill", description="overlay")
        self.opacity = W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="opacity")
        # propagation
        self.method = W.Dropdown(options=list(METHOD_CHOICES),
                                 description="method")
        if session.method in dict(METHOD_CHOICES).values():
            self.method.value = session.method
        self.propagate_button = W.Button(description="propagate from this frame", button_style="primary",
                                         layout=W.Layout(width="220px"))
        self.stop_button = W.Button(description="stop", button_style="warning", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=max(1, n - 1), description="progress")
        self.status = W.Label(value=session.status())
        # J strip
        self.jstrip = JStrip(values=[None] * n)
        self.worst_label = W.Label()
        # export
        self.export_dir = W.Text(value=str(export_dir), description="export to")
        self.export_video = W.Checkbox(value=True, description="overlay mp4")
        self.export_button = W.Button(description="export")
        # probe and messages
        self.probe_image = W.Image(format="png", layout=W.Layout(max_width="600px", display="none"))  # until a probe
        self.probe_label = W.Label()
        self.message = W.HTML()

        self.undo_button.on_click(lambda _: self.on_undo())
        self.clear_button.on_click(lambda _: self._edit(self.session.clear, self.frame))
        self.gt_button.on_click(lambda _: self._edit(self.session.use_ground_truth, self.frame))
        self.upload.observe(self.on_upload, names="value")
        self.canvas.on_msg(self._on_canvas_msg)
        self.jstrip.on_msg(lambda _w, content, _b: self.on_select(content.get("index", 0)))
        self.frame_slider.observe(lambda _: self.refresh(), names="value")
        self.mode.observe(lambda _: self.refresh(), names="value")
        self.opacity.observe(lambda _: self.refresh(), names="value")
        self.method.observe(self.on_method, names="value")
        self.propagate_button.on_click(lambda _: self.on_propagate())
        self.stop_button.on_click(lambda _: self.on_stop())
        self.export_button.on_click(lambda _: self.on_export())

        rows = [
            W.HBox([self.tool, self.brush_size]),
            W.HBox([self.undo_button, self.clear_button, self.gt_button, self.upload]),
            self.canvas,
            W.HBox([self.play, self.frame_slider, self.frame_label]),
            W.HBox([self.mode, self.opacity]),
            W.HBox([self.method, self.propagate_button, self.stop_button]),
            W.HBox([self.progress, self.status]),
            self.jstrip, self.worst_label,
            W.HBox([self.export_dir, self.export_video, self.export_button]),
            self.message,
            W.VBox([self.probe_label, self.probe_image]),
        ]
        super().__init__(rows)
        self.add_class("plm-propagation-view")
        self.refresh()
        self.update_scores()

    # ------------------------------------------------------------------------------------------------------------
    @property
    def frame(self) -> int:
        return int(self.frame_slider.value)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def say(self, text: str, error: bool = False) -> None:
        colour = "#b00" if error else "#333"
        self.message.value = f'<span class="plm-message" style="color:{colour}">{_escape(text)}</span>'

    def refresh(self) -> None:
        """Redraw the current frame with its mask, in the chosen overlay mode."""
        index, mode = self.frame, self.mode.value
        if mode == "error" and self.session.gt(index) is None:
            mode = "fill"
        rgb = self.session.render(index, mode, float(self.opacity.value))
        self.canvas.version += 1  # version and frame first: the page reads them when the image arrives
        self.canvas.frame = index
        self.canvas.image = png_bytes(rgb)
        mask = self.session.mask(index)
        state = ("drawn" if index in self.session.edited else "propagated") if mask is not None else "no mask"
        self.frame_label.value = f"frame {index} / {len(self.session) - 1} ({self.session.frame_names[index]}): {state}"
        self.jstrip.current = index

    def update_scores(self) -> None:
        """Refresh the J strip, the worst-frame note and the status line."""
        values = self.session.frame_j()
        self.jstrip.values = [None if np.isnan(v) else round(float(v), 4) for v in values]
        worst = self.session.worst_frame()
        self.jstrip.worst = -1 if worst is None else worst
        if worst is None:
            self.worst_label.value = ("per-frame J appears here after propagation" if self.session.has_ground_truth
                                      else "no ground truth: no per-frame J")
        else:
            self.worst_label.value = f"worst frame {worst}: J = {values[worst]:.3f} (click a bar to jump to its frame)"
        self.status.value = self.session.status()

    # ------------------------------------------------------------------------------------------------------------
    # handlers (each one a session call)
    def _edit(self, action, *args, **kwargs) -> bool:
        if self.busy:
            self.say("propagation is running: stop it or wait before editing", error=True)
            return False
        try:
            action(*args, **kwargs)
        except (ValueError, OSError) as err:  # MaskError is a ValueError
            self.say(str(err), error=True)
            return False
        self.say("")
        self.refresh()
        self.update_scores()
        return True

    def on_stroke(self, points, radius: float, erase: bool = False) -> bool:
        return self._edit(self.session.brush, self.frame, points, radius, erase)

    def on_polygon(self, points) -> bool:
        return self._edit(self.session.polygon, self.frame, points)

    def on_undo(self) -> None:
        if self.busy:
            self.say("propagation is running: stop it or wait before editing", error=True)
            return
        changed = self.session.undo()
        self.say("nothing to undo" if changed is None else f"undid an edit of frame {changed}")
        if changed is not None and changed != self.frame:
            self.frame_slider.value = changed
        self.refresh()
        self.update_scores()

    def on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        with tempfile.TemporaryDirectory(prefix="plm-upload-") as tmp:
            path = Path(tmp) / Path(upload["name"]).name
            path.write_bytes(bytes(upload["content"]))
            self._edit(self.session.import_mask, self.frame, path)

    def on_select(self, index: int) -> None:
        self.frame_slider.value = int(index)

    def on_method(self, change) -> None:
        self.session.method = change["new"]
        self._probe = None
        self.status.value = self.session.status()

    def on_probe(self, x: float, y: float) -> None:
        """The teaching extra: the network's response for the window centred on (x, y) against the first frame."""
        from plmlib.widgets.matching import MatchingProbe  # lazy: the probe loads torch; the view opens without it

        if self.busy:
            self.say("propagation is running: probe when it ends", error=True)
            return
        try:
            if self._probe is None:
                self.probe_label.value = "preparing the network..."
                self._probe = MatchingProbe.for_session(self.session)
            result = self._probe.probe(self.session.frame(self.frame), x, y, self.frame)
        except (ValueError, RuntimeError) as err:
            self.say(str(err), error=True)
            return
        self.probe_image.value = png_bytes(result.figure_array())
        self.probe_image.layout.display = None
        self.probe_label.value = (f"frame {self.frame}, pixel ({result.point[0]}, {result.point[1]}): query (first "
                                  f"frame) | search window | response, by {result.network}; max response "
                                  f"{result.response.max():.2f}")

    def on_propagate(self) -> bool:
        """Start propagating from the current frame in a background thread; False if it cannot start."""
        if self.busy:
            self.say("propagation is already running", error=True)
            return False
        start = self.frame
        mask = self.session.mask(start)
        if mask is None or not mask.any():
            self.say(f"frame {start} has no mask to propagate: draw one first (or take the ground truth)", error=True)
            return False
        if start == len(self.session) - 1:
            self.say("this is the last frame: nothing to propagate after it", error=True)
            return False
        self.progress.max, self.progress.value = len(self.session) - start - 1, 0
        self.propagate_button.disabled, self.stop_button.disabled = True, False
        note = " (fine-tuning on this frame first: a while on a CPU)" if self.session.method.startswith("plm") else ""
        self.say(f"propagating from frame {start} with {self.session.method}{note}...")
        self._probe = None
        self._thread = threading.Thread(target=self._propagate, args=(start,), name="plm-propagation", daemon=True)
        self._thread.start()
        return True

    def _propagate(self, start: int) -> None:
        started = time.perf_counter()
        try:
            run = self.session.propagate(start, progress=self._on_progress)
            what = "stopped" if run["stopped"] else "done"
            self.say(f"{what}: {run['frames']} frame(s) propagated from frame {start} with {run['method']} in "
                     f"{time.perf_counter() - started:.1f} s")
        except Exception as err:  # shown in the widget: a thread's exception would otherwise vanish
            self.say(f"propagation failed: {type(err).__name__}: {err}", error=True)
        finally:
            self.propagate_button.disabled, self.stop_button.disabled = False, True
            self.refresh()
            self.update_scores()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.value = done
        self.status.value = f"propagating: {done}/{total} frames"
        if self.session.last_run.get("start", 0) + done == self.frame:
            self.refresh()

    def on_stop(self) -> None:
        self.session.stop()
        self.say("stopping after the current frame...")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running propagation ends (tests, notebooks run top to bottom); True if it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.busy

    def on_export(self) -> Path | None:
        try:
            out = self.session.export(self.export_dir.value, video=self.export_video.value,
                                      opacity=float(self.opacity.value))
        except (ValueError, OSError) as err:
            self.say(str(err), error=True)
            return None
        self.say(f"exported {len(self.session)} DAVIS PNGs{' and overlay.mp4' if self.export_video.value else ''} "
                 f"to {out}")
        return out

    def _on_canvas_msg(self, _widget, content, _buffers) -> None:
        event = content.get("event")
        if event == "stroke":
            self.on_stroke(content["points"], content.get("radius", self.brush_size.value), content.get("erase", False))
        elif event == "polygon":
            self.on_polygon(content["points"])
        elif event == "probe":
            self.on_probe(content["x"], content["y"])

    # ------------------------------------------------------------------------------------------------------------
    # where widgets cannot render
    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (f"PropagationView of {self.session.name}: {len(self.session)} frames, method "
                                f"{self.session.method}. {STATIC_MESSAGE}")
        bundle["image/png"] = static_png(self.session, self.frame, self.mode.value, float(self.opacity.value))
        return bundle


def _escape(text: str) -> str:
    return html.escape(text)
