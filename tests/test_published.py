"""The published numbers shipped in plmlib.published agree with themselves and with the leaderboard."""

import pytest

from plmlib.data.davis import DAVIS2016_VAL
from plmlib.published import LEADERBOARD_METHODS, leaderboard_per_frame, leaderboard_summary, paper_table


@pytest.mark.parametrize("method", ["bvs", "plm", "hvs", "osvos"])
def test_leaderboard_means_are_recomputed_from_per_frame_data(method):
    frames = leaderboard_per_frame(method)
    per_sequence = frames[frames.sequence.isin(DAVIS2016_VAL)].groupby("sequence")[["J", "F"]].mean()
    assert len(per_sequence) == 20
    summary = leaderboard_summary().loc[method]
    assert per_sequence.J.mean() == pytest.approx(summary.Jmean, abs=6e-4)
    assert per_sequence.F.mean() == pytest.approx(summary.Fmean, abs=6e-4)


def test_paper_table_averages_match_their_rows_where_the_slides_agree():
    table = paper_table("davis2016_val_per_sequence")
    j = table[(table.measure == "J") & (table.sequence != "average")]
    assert len(j) == 20 and set(j.sequence) == set(DAVIS2016_VAL)
    printed = table[(table.measure == "J") & (table.sequence == "average")].iloc[0]
    for method in ["HVS", "NLC", "JMP", "SEA", "BVS", "PLM", "PLM_P"]:
        assert j[method].mean() == pytest.approx(printed[method], abs=0.011)
    assert printed.PLM == 0.68 and printed.PLM_P == 0.70


def test_the_leaderboard_plm_entry_is_plm_p_of_the_paper():
    summary = leaderboard_summary().loc["plm"]
    assert summary.Jmean == pytest.approx(0.702) and summary.Fmean == pytest.approx(0.625)
    assert "plm" in LEADERBOARD_METHODS and leaderboard_summary().loc["ground_truth"]["T"] == pytest.approx(0.088)


def test_unknown_names_are_refused():
    with pytest.raises(KeyError, match="available"):
        paper_table("nope")
    with pytest.raises(KeyError, match="available"):
        leaderboard_per_frame("nope")
