"""training/sweep_speaker_rules.py: the choice rule, and a real sweep on validation."""

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def sweep_rules():
    return load_script("training/sweep_speaker_rules.py")


def _row(a: float, b: float, resolution: float, overall: float) -> dict:
    return {"values": {"A": a, "B": b}, "all": resolution, "overall": overall}


def test_choice_prefers_resolution_then_overall_then_fewest_changes(sweep_rules) -> None:
    shipped = {"A": 1.0, "B": 1.0}
    rows = [_row(1, 1, 0.80, 0.90), _row(2, 1, 0.85, 0.88), _row(2, 2, 0.85, 0.89)]
    assert sweep_rules.choose(rows, shipped)["values"] == {"A": 2, "B": 2}
    rows[2]["overall"] = 0.88  # now tied with the row that changes one constant only
    assert sweep_rules.choose(rows, shipped)["values"] == {"A": 2, "B": 1}


def test_sweep_scores_validation_and_restores_the_constants(sweep_rules) -> None:
    from stance import speakers

    before = speakers.PRONOUN_RECENCY_BONUS
    rows = sweep_rules.sweep(None, {"PRONOUN_RECENCY_BONUS": (0.0, before)})
    assert [r["values"]["PRONOUN_RECENCY_BONUS"] for r in rows] == [0.0, before]
    assert speakers.PRONOUN_RECENCY_BONUS == before
    # The pronoun rule is what resolves most pronouns: switching it off must cost accuracy.
    assert rows[0]["pronoun"] < rows[1]["pronoun"]
    shipped = {"PRONOUN_RECENCY_BONUS": before}
    report = sweep_rules.render(rows, sweep_rules.choose(rows, shipped), shipped)
    assert report.count("| chosen |") == 1


def test_grid_option_sweeps_only_the_constants_it_names(sweep_rules, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        sweep_rules.main(["--grid", '{"NO_SUCH_CONSTANT": [1, 2]}', "--output", str(tmp_path)])
    assert "NO_SUCH_CONSTANT" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written
