"""plmlib.core.methods, the one registry of methods: every per-method table of the package is a view of it, and the
public API is at the package's top."""

import subprocess
import sys
from pathlib import Path

import pytest

from plmlib.core.methods import (DEFAULT_METHOD, METHODS, PAPER_PLM_METHODS, PLM_METHODS, RESULT_LABELS,
                                 _method_class, check_options, method_label)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(METHODS))
def test_each_method_names_a_class_that_knows_its_name(name):
    method = METHODS[name]
    assert method.name == name and method.family in ("traditional", "plm") and method.colour.startswith("#")
    assert _method_class(name).name == name


def test_the_registry_holds_what_the_old_tables_held():
    assert PLM_METHODS == ("plm", "plm_p", "plm_u", "plm_grabcut") and DEFAULT_METHOD in PLM_METHODS
    assert PAPER_PLM_METHODS == ("plm", "plm_p", "plm_u")
    assert len({m.colour for m in METHODS.values()}) == len(METHODS)
    assert method_label("plm_grabcut") == "PLM + GrabCut" and method_label("flow") == "optical flow"
    assert method_label("plm_u_query_only") == "PLM_U, query only" and method_label("jmp") == "jmp"
    assert not set(RESULT_LABELS) & set(METHODS)
    with pytest.raises(ValueError, match="no option 'nope'"):
        check_options("flow", {"nope": 1})


def test_the_tables_of_methods_are_views_of_the_registry():
    from plmlib.experiments.reproduce import VARIANTS
    from plmlib.experiments.tables import OURS, PROTOCOL_METHODS
    from plmlib.viz import drift

    assert VARIANTS == PAPER_PLM_METHODS
    assert all(column == f"{method_label(m)} (ours)" for m, column in OURS.items())
    assert OURS["plm_u_query_only"] == "PLM_U, query only (ours)" and OURS["plm_grabcut"] == "PLM + GrabCut (ours)"
    assert set(PROTOCOL_METHODS) == set(METHODS)
    assert drift.OURS == ("flow", "superpixel", "bvs")


def test_the_widget_offers_the_interactive_methods():
    pytest.importorskip("ipywidgets")
    from plmlib.widgets.view import METHOD_CHOICES

    assert METHOD_CHOICES == tuple((m.label, m.name) for m in METHODS.values() if m.interactive)
    assert DEFAULT_METHOD in dict(METHOD_CHOICES).values()


def test_the_public_api_is_at_the_top_and_import_plmlib_stays_light():
    script = ("import sys, plmlib\n"
              "assert 'numpy' not in sys.modules, 'import plmlib imported numpy'\n"
              "from plmlib import create_segmenter, segment_video, VideoSegmenter, DEFAULT_METHOD\n"
              "from plmlib.core.segmenter import VideoSegmenter as contract\n"
              "assert VideoSegmenter is contract and isinstance(create_segmenter('flow'), VideoSegmenter)\n"
              "assert 'torch' not in sys.modules, 'building a baseline imported torch'\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
