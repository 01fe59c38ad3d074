"""Parameter counts and the memory estimate/measurement (plmlib.model.memory)."""

import pytest

from plmlib.model import build_model
from plmlib.model.memory import (GB, compressor_ratio, count_parameters, estimate_training_memory,
                                 measure_training_memory, memory_report, write_report)


def test_counts_match_a_real_model():
    real = build_model("small", pretrained=False)
    counts = count_parameters("small")
    assert counts["total"] == real.num_parameters()
    assert counts["trainable"] == real.num_parameters(trainable_only=True)
    assert counts["encoder"] + counts["compressors"] + counts["fc"] + counts["decoder"] == counts["total"]


def test_the_slides_comparison_holds_in_the_computed_figures():
    """Slides: without compressors more than 12 GB at batch 1; with them far less, even at batch 32."""
    without = estimate_training_memory("plm_no_compressor", 1, "sgd")["total"] / GB
    with_c = estimate_training_memory("plm", 32, "sgd")["total"] / GB
    assert without > 12
    assert with_c < without / 3
    est = estimate_training_memory("plm", 1, "adam")
    assert est["optimizer_state"] == 2 * est["gradients"]


def test_measured_in_a_subprocess_agrees_with_computed(tmp_path):
    m = measure_training_memory("small", 2, "adam")
    assert m["net"] > 0 and m["peak_rss"] > m["baseline_rss"]
    est = estimate_training_memory("small", 2, "adam")["total"]
    assert 0.5 < m["net"] / est < 2.5


def test_report_files(tmp_path):
    rows = memory_report(plan=(("small", "adam", (1,)), ("plm_no_compressor", "sgd", (1,)),
                               ("plm", "sgd", (32,))), measure=False, log=lambda *_: None)
    assert [r["method"] for r in rows] == ["computed"] * 3
    assert compressor_ratio(rows, "sgd")["ratio"] > 3
    csv_path, md_path = write_report(rows, tmp_path)
    assert csv_path.read_text().startswith("preset,optimizer,batch")
    assert "more than 12" in md_path.read_text()


@pytest.mark.slow
def test_measured_plm_batch_1():
    m = measure_training_memory("plm", 1, "sgd")
    assert 2 * GB < m["net"] < 6 * GB
