"""The interactive propagation controller (plmlib.widgets.session) on a synthetic video, and its widget view driven
from Python (no browser: tests/test_browser.py does that)."""

import numpy as np
import pytest

from plmlib.data import make_video
from plmlib.io import MaskError, read_mask, write_mask
from plmlib.widgets import PropagationSession


@pytest.fixture(scope="module")
def video():
    return make_video("translate", n_frames=8, seed=0)


@pytest.fixture
def session(video):
    return PropagationSession.from_sequence(video, method="flow")


def disc(shape, cx, cy, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------- #
# drawing and undo
def test_brush_paints_a_round_stroke_and_eraser_clears_it(session):
    mask = session.brush(0, [(40, 30)], radius=5)
    assert mask[30, 40] == 1 and mask[30, 45] == 1 and mask[30, 46] == 0 and mask[36, 40] == 0
    assert np.count_nonzero(mask) == pytest.approx(np.pi * 25, rel=0.2)
    mask = session.brush(0, [(20, 60), (80, 60)], radius=3)  # a line: every pixel along it
    assert mask[60, 20:81].all() and mask[63, 50] == 1 and mask[65, 50] == 0
    mask = session.brush(0, [(40, 30)], radius=2, erase=True)
    assert mask[30, 40] == 0 and mask[30, 44] == 1
    assert session.edited == {0}


def test_polygon_fills_its_inside(session):
    mask = session.polygon(0, [(10, 10), (50, 10), (50, 40), (10, 40)])
    assert mask[10:41, 10:51].all() and np.count_nonzero(mask) == 41 * 31
    mask = session.polygon(0, [(20, 20), (30, 20), (30, 30)], erase=True)
    assert mask[21, 29] == 0 and mask[35, 15] == 1
    with pytest.raises(ValueError, match="at least 3 points"):
        session.polygon(0, [(0, 0), (5, 5)])


def test_undo_restores_each_previous_mask(session):
    assert session.undo() is None  # nothing yet
    first = session.brush(0, [(40, 30)], radius=5).copy()
    session.brush(0, [(100, 80)], radius=5)
    session.clear(0)
    assert not session.mask(0).any()
    assert session.undo() == 0
    assert session.mask(0)[80, 100] == 1
    session.undo()
    np.testing.assert_array_equal(session.mask(0), first)
    session.undo()
    assert not session.mask(0).any() and session.edited == set()


def test_bad_input_is_refused_with_clear_errors(session, tmp_path):
    with pytest.raises(MaskError, match="mask is 10x10 but its frame is 256x144"):
        session.set_mask(0, np.zeros((10, 10), np.uint8))
    write_mask(tmp_path / "small.png", np.ones((20, 30), np.uint8))
    with pytest.raises(MaskError, match="30x20 but its frame is 256x144"):
        session.import_mask(0, tmp_path / "small.png")
    with pytest.raises(MaskError, match="no mask to propagate"):
        session.propagate(0)  # the first frame is still empty
    with pytest.raises(MaskError, match="frame 3 has no mask"):
        session.propagate(3)
    with pytest.raises(IndexError, match="out of range"):
        session.brush(8, [(1, 1)])
    with pytest.raises(ValueError, match="unknown method"):
        session.method = "magic"
    with pytest.raises(MaskError, match="propagate before exporting"):
        session.export(tmp_path / "out")


def test_import_and_ground_truth(session, video, tmp_path):
    write_mask(tmp_path / "first.png", video.masks[0])
    np.testing.assert_array_equal(session.import_mask(0, tmp_path / "first.png"), video.masks[0])
    session.clear(0)
    np.testing.assert_array_equal(session.use_ground_truth(0), video.masks[0])
    plain = PropagationSession(video.frames)  # no ground truth
    with pytest.raises(MaskError, match="no ground-truth mask"):
        plain.use_ground_truth(0)
    assert np.isnan(plain.frame_j()).all() and plain.worst_frame() is None


# ---------------------------------------------------------------------------------------------------------------- #
# propagation, correction, J, overlays, export
def test_propagate_follows_the_object(session, video):
    session.use_ground_truth(0)
    progress = []
    run = session.propagate(0, progress=lambda done, total: progress.append((done, total)))
    assert run["frames"] == 7 and not run["stopped"] and progress[-1] == (7, 7)
    assert all(m is not None and m.shape == session.size for m in session.masks)
    j = session.frame_j()
    assert j[0] == 1.0 and np.all(j[1:] > 0.4), j  # flow tracks the translating blob
    # The mask moves with the object: its centre follows the ground truth's, not frame 0's.
    last_pred, last_gt = np.argwhere(session.mask(7)).mean(0), np.argwhere(video.masks[7]).mean(0)
    assert np.linalg.norm(last_pred - last_gt) < np.linalg.norm(np.argwhere(video.masks[0]).mean(0) - last_gt)
    assert session.worst_frame() in range(1, 8)


def test_correct_a_frame_and_repropagate_from_there(session, video):
    session.use_ground_truth(0)
    session.propagate(0)
    before = [m.copy() for m in session.masks]
    session.use_ground_truth(4)  # a perfect correction of frame 4
    run = session.propagate(4)
    assert run["start"] == 4 and run["frames"] == 3
    for i in range(4):  # untouched before the correction
        np.testing.assert_array_equal(session.masks[i], before[i])
    np.testing.assert_array_equal(session.masks[4], video.masks[4])
    j = session.frame_j()
    assert j[5] >= 0.6 and session.edited == {0, 4}
    assert session.worst_frame() not in (0, 4)  # the user's own frames are not "worst"


def test_stop_leaves_later_frames_without_mask(session):
    session.use_ground_truth(0)
    for i in session.propagate_iter(0):
        if i == 2:
            session.stop()
    assert session.last_run["stopped"] and session.last_run["frames"] == 2
    assert session.mask(2) is not None and session.mask(3) is None


def test_render_modes(session, video):
    session.use_ground_truth(0)
    frame = session.frame(0)
    fill = session.render(0, "fill", 0.5)
    inside = video.masks[0] > 0
    assert not np.array_equal(fill[inside], frame[inside])
    np.testing.assert_array_equal(session.render(0, "fill", 0.0)[~inside & ~_near_edge(inside)],
                                  frame[~inside & ~_near_edge(inside)])
    contour = session.render(0, "contour")
    assert np.array_equal(contour[inside & ~_near_edge(inside)], frame[inside & ~_near_edge(inside)])
    session.brush(0, [(5, 5)], radius=3)  # a false alarm far from the object
    error = session.render(0, "error", 1.0)
    assert tuple(error[5, 5]) == (230, 30, 30)  # red: false positive
    ys, xs = np.nonzero(inside)
    assert tuple(error[ys[len(ys) // 2], xs[len(xs) // 2]]) == (40, 200, 40)  # green: found
    with pytest.raises(ValueError, match="unknown overlay mode"):
        session.render(0, "sparkles")
    assert np.array_equal(session.render(3), session.frame(3))  # no mask yet: the plain frame


def _near_edge(mask):
    from scipy import ndimage

    return ndimage.binary_dilation(mask, iterations=2) & ~ndimage.binary_erosion(mask, iterations=2)


def test_export_writes_davis_pngs_and_an_overlay_video(session, tmp_path):
    session.use_ground_truth(0)
    session.propagate(0)
    out = session.export(tmp_path / "export")
    pngs = sorted(out.glob("*.png"))
    assert [p.name for p in pngs] == [f"{i:05d}.png" for i in range(8)]
    for i, path in enumerate(pngs):
        np.testing.assert_array_equal(read_mask(path), session.mask(i))
    from PIL import Image

    with Image.open(pngs[0]) as image:
        assert image.mode == "P"  # DAVIS palette
    assert (out / "overlay.mp4").stat().st_size > 1000
    assert not list(out.glob("*.partial*"))  # atomic writes leave nothing behind


def test_an_export_replaces_an_earlier_one_whole_and_refuses_other_folders(session, tmp_path):
    session.use_ground_truth(0)
    session.propagate(0)
    out = tmp_path / "export"
    out.mkdir()
    for i in range(20):  # an earlier export of a longer video: none of its masks may stay beside the new ones
        write_mask(out / f"{i:05d}.png", np.ones((4, 4), np.uint8))
    session.export(out, video=False)
    assert sorted(p.name for p in out.iterdir()) == [f"{i:05d}.png" for i in range(8)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no partial or old folder left
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(ValueError, match="notes: not an export folder"):
        session.export(tmp_path / "notes")
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"


# ---------------------------------------------------------------------------------------------------------------- #
# the view, driven from Python
def test_view_drives_the_session(video, tmp_path):
    pytest.importorskip("anywidget", reason="the widget view needs anywidget (pip install 'plmlib[notebooks]')")
    from plmlib.widgets.view import PropagationView

    session = PropagationSession.from_sequence(video, method="flow")
    view = PropagationView(session, export_dir=str(tmp_path / "export"))
    shown = view.canvas.image
    assert shown.startswith(b"\x89PNG")
    assert not view.on_propagate() and "no mask to propagate" in view.message.value
    view._on_canvas_msg(view.canvas, {"event": "stroke", "points": [[40, 30], [60, 30]], "radius": 6}, [])
    assert session.mask(0)[30, 50] == 1 and view.canvas.image != shown
    view.on_undo()
    assert not session.mask(0).any()
    view._on_canvas_msg(view.canvas, {"event": "polygon", "points": [[10, 10], [30, 10], [30, 30]]}, [])
    assert session.mask(0)[12, 28] == 1
    write_mask(tmp_path / "wrong.png", np.ones((5, 5), np.uint8))  # the upload button, with a mask of another size
    view.on_upload({"new": ({"name": "wrong.png", "content": memoryview((tmp_path / "wrong.png").read_bytes())},)})
    assert "5x5 but its frame is 256x144" in view.message.value
    write_mask(tmp_path / "first.png", video.masks[0])
    view.on_upload({"new": ({"name": "first.png", "content": memoryview((tmp_path / "first.png").read_bytes())},)})
    np.testing.assert_array_equal(session.mask(0), video.masks[0])
    view.clear_button.click()
    view.gt_button.click()
    assert view.on_propagate()
    assert view.wait(timeout=60)
    assert "done: 7 frame(s)" in view.message.value
    assert all(v is not None for v in view.jstrip.values) and view.jstrip.worst == session.worst_frame()
    view._on_canvas_msg(view.jstrip, {"event": "select", "index": 5}, [])  # the strip's click handler is the same
    view.on_select(view.jstrip.worst)
    assert view.frame == session.worst_frame() and "propagated" in view.frame_label.value
    view.mode.value = "error"
    view.frame_slider.value = 3
    assert view.jstrip.current == 3
    assert view.on_export() == tmp_path / "export" and (tmp_path / "export" / "overlay.mp4").is_file()
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"].startswith("PropagationView of synthetic-translate: 8 frames")
    assert bundle["image/png"].startswith(b"\x89PNG")  # the static fallback


def test_matching_probe_answers_for_a_window(video):
    from plmlib.widgets.matching import MatchingProbe

    session = PropagationSession.from_sequence(video)
    with pytest.raises(ValueError, match="no mask"):
        MatchingProbe.for_session(session)
    session.use_ground_truth(0)
    from plmlib.model import build_model

    # Random encoder weights keep the test fast; for_session's default (the hed weights) runs in notebook 08.
    probe = MatchingProbe(session.frame(0), session.mask(0), net=build_model("small", pretrained=False))
    result = probe.probe(session.frame(3), 100, 70, 3)
    size = probe.matcher.size
    assert result.response.shape == (size, size) and 0 <= result.response.min() <= result.response.max() <= 1
    x0, y0, x1, y1 = result.window
    assert (x0 + x1) // 2 == pytest.approx(100, abs=1) and (x1 - x0) == (probe.matcher.query_window[2]
                                                                          - probe.matcher.query_window[0])
    assert result.figure_array(scale=1).shape == (size, 3 * size + 8, 3)
    with pytest.raises(ValueError, match="outside"):
        probe.probe(session.frame(3), 999, 5)


def test_the_probe_of_a_session_without_plm_is_the_shipped_network_and_it_finds_the_object():
    """The probe is the teaching view of pixel-level matching: with no PLM run it uses the shipped pre-trained
    network (not a fresh one, whose response means nothing), which answers on the object and not on the background."""
    import numpy as np

    from plmlib.data import make_video
    from plmlib.widgets.matching import MatchingProbe

    video = make_video("translate", n_frames=6, seed=0)
    session = PropagationSession.from_sequence(video)
    session.use_ground_truth(0)
    probe = MatchingProbe.for_session(session)
    assert "shipped pre-trained" in probe.network
    ys, xs = np.nonzero(video.masks[4])
    on, off = probe.probe(video.frames[4], xs.mean(), ys.mean(), 4), probe.probe(video.frames[4], 5, 5, 4)
    assert on.response.max() > 0.5 and off.response.max() < 0.2  # margins: 1.0 and 0.002 measured
    assert on.response.mean() > off.response.mean() + 0.1
