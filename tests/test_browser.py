"""Notebook 08's widget in a real browser: JupyterLab on 127.0.0.1, Chromium driven by Playwright.

Runs the notebook, moves the frame slider, draws a brush stroke on the canvas, presses propagate, and checks that the
rendered frames changed. Screenshots go to ``outputs/browser_test/``. Uses the system Chromium (Debian's package,
installed by ``.ci/install_browser.sh``) through Playwright's ``executable_path``; skips, saying why, without it.

JupyterLab gets its own temporary config, data, runtime, settings and workspace folders (nothing of the user's is
read or written), a random free port and a token; it serves a copy of the notebook (the committed one is never
autosaved over), and is always shut down, with bounded waits.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "08_interactive_widget.ipynb"
SCREENSHOTS = REPO / "outputs" / "browser_test"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install 'plmlib[test]')")
pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (pip install 'plmlib[notebooks]')")
pytest.importorskip("anywidget", reason="anywidget is not installed (pip install 'plmlib[notebooks]')")
if CHROMIUM is None:
    pytest.skip("chromium is not on PATH (.ci/install_browser.sh installs Debian's package)", allow_module_level=True)

SERVER_START_S = 60
RUN_ALL_S = 120
STEP_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status


class Lab:
    """A JupyterLab server in a temporary home, on a free port with a token."""

    def __init__(self, tmp: Path):
        self.root = tmp / "work"
        self.root.mkdir()
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        # papermill's injected parameters (an output folder of whoever ran it last) are dropped: outputs go to ../outputs
        notebook.cells = [c for c in notebook.cells if "injected-parameters" not in c.metadata.get("tags", [])]
        for cell in notebook.cells:  # a blank copy: every output the test sees comes from this run
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, self.root / NOTEBOOK.name)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                     "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
            env[name] = str(tmp / name.lower())
            Path(env[name]).mkdir()
        # No "news" prompt over the page.
        labconfig = tmp / "jupyter_config_dir" / "labconfig"
        labconfig.mkdir(parents=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the kernel is this venv's
        env["OMP_NUM_THREADS"] = "1"
        env["PLM_DAVIS_ROOT"] = ""  # the notebook runs on its smoke profile's synthetic video
        self.log = open(tmp / "jupyterlab.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            env=env, cwd=self.root, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = tmp / "jupyterlab.log"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.process.returncode}):\n{self.log_path.read_text()[-3000:]}")
            try:
                if _get(f"{self.url}/api/status?token={self.token}") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer within {SERVER_START_S} s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then terminate, then kill its process group."""
        try:
            request = urllib.request.Request(f"{self.url}/api/shutdown?token={self.token}", method="POST")
            urllib.request.urlopen(request, timeout=5).close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        try:  # kernels left behind, if any: the server's own process group only
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()


@pytest.fixture
def lab(tmp_path):
    server = Lab(tmp_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def changed(a: bytes, b: bytes) -> float:
    """Mean absolute pixel difference of two screenshots (different sizes: infinitely different)."""
    pa, pb = pixels(a), pixels(b)
    return float("inf") if pa.shape != pb.shape else float(np.abs(pa - pb).mean())


def test_notebook_08_in_chromium(lab):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    started = time.monotonic()
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(STEP_S * 1000)

        def shot(name: str) -> None:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

        try:
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
            page.locator(".jp-Notebook").first.wait_for()
            page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=SERVER_START_S * 1000)
            # Run > Run All Cells
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            # The export cell's output: every cell ran.
            page.locator(".jp-OutputArea-output", has_text=" PNGs").first.wait_for(timeout=RUN_ALL_S * 1000)
            view = page.locator(".plm-propagation-view").first
            canvas = view.locator("canvas.plm-canvas")
            canvas.scroll_into_view_if_needed()
            canvas.wait_for()
            shot("01_after_run_all")

            version = lambda: int(canvas.get_attribute("data-version") or 0)  # noqa: E731
            label = view.locator(".widget-label", has_text="/ ").first  # "frame k / N (name): state"

            def shown(frame: int, after: int) -> bytes:
                """Wait until the canvas shows ``frame`` from an image newer than version ``after``; its screenshot."""
                page.wait_for_function("([el, f, v]) => el.dataset.frame === String(f) && Number(el.dataset.version) > v",
                                       arg=[canvas.element_handle(), frame, after])
                page.wait_for_function("([el, f]) => el.textContent.startsWith(`frame ${f} /`)",
                                       arg=[label.element_handle(), frame])
                return canvas.screenshot()

            def keys(*names: str) -> int:
                before = version()
                handle.focus()
                for name in names:
                    page.keyboard.press(name)
                return before

            # 1. The frame slider (Home -> frame 0, then the arrow keys) changes the picture.
            slider = view.locator(".widget-hslider", has=page.locator(".widget-label", has_text="frame")).first
            handle = slider.locator(".noUi-handle").first
            frame0 = shown(0, keys("Home"))
            frame3 = shown(3, keys("ArrowRight", "ArrowRight", "ArrowRight"))
            shot("02_slider_frame3")
            assert changed(frame0, frame3) > 1.0, "moving the frame slider did not change the picture"
            frame5_before = shown(5, keys("ArrowRight", "ArrowRight"))
            shown(3, keys("ArrowLeft", "ArrowLeft"))

            # 2. A brush stroke across the top of frame 3 (the tool is the brush by default).
            box = canvas.bounding_box()
            y = box["y"] + 0.12 * box["height"]
            before = version()
            page.mouse.move(box["x"] + 0.05 * box["width"], y)
            page.mouse.down()
            for k in range(1, 21):
                page.mouse.move(box["x"] + (0.05 + 0.9 * k / 20) * box["width"], y)
            page.mouse.up()
            stroke = shown(3, before)
            assert "drawn" in label.inner_text(), label.inner_text()
            shot("03_stroke_on_frame3")
            assert changed(frame3, stroke) > 1.0, "the stroke did not show on the canvas"

            # 3. Propagate from frame 3, wait for the background run to finish, look at frame 5 again.
            view.get_by_role("button", name="propagate from this frame").click()
            view.locator(".plm-message", has_text=re.compile(r"^(done|stopped|propagation failed).*")).wait_for()
            message = view.locator(".plm-message").inner_text()
            assert message.startswith("done:") and "from frame 3 with flow" in message, message
            shot("04_propagated")
            frame5_after = shown(5, keys("ArrowRight", "ArrowRight"))
            shot("05_frame5_after_propagation")
            assert changed(frame5_before, frame5_after) > 1.0, "propagating the new stroke did not change frame 5"

            # 4. The J strip: a click on the worst bar jumps to that frame.
            worst = view.locator(".plm-jstrip-bar.worst").first
            worst_frame = worst.get_attribute("data-frame")
            before = version()
            worst.click()
            shown(int(worst_frame), before)
            shot("06_worst_frame")
        except Exception:
            shot("99_failure")
            raise
        finally:
            browser.close()
    assert time.monotonic() - started < 180
