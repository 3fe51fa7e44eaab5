"""training/sweep_decoding.py: the choice rule, and a real sweep on validation."""

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def sweep_decoding():
    return load_script("training/sweep_decoding.py")


def _row(a: float, b: float, mean: float) -> dict:
    return {"values": {"A": a, "B": b}, "as_written": mean, "packed": mean, "mean": mean}


def test_choice_needs_a_real_gain_then_prefers_fewest_changes(sweep_decoding) -> None:
    shipped = {"A": 1, "B": 1}
    gain = sweep_decoding.MIN_GAIN
    rows = [_row(1, 1, 0.850), _row(2, 1, 0.850 + gain / 2)]
    assert sweep_decoding.choose(rows, shipped)["values"] == shipped  # within noise: kept
    rows += [_row(2, 2, 0.850 + gain), _row(2, 1, 0.850 + gain)]
    assert sweep_decoding.choose(rows, shipped)["values"] == {"A": 2, "B": 1}


def test_sweep_scores_validation_and_restores_the_constants(sweep_decoding) -> None:
    from stance import decoding

    before = decoding.CUE_MIN_CONFIDENCE
    rows = sweep_decoding.sweep(None, {"CUE_MIN_CONFIDENCE": (0.999, before)})
    assert [r["values"]["CUE_MIN_CONFIDENCE"] for r in rows] == [0.999, before]
    assert decoding.CUE_MIN_CONFIDENCE == before
    # Keeping only near-certain cues loses statements, as written and in articles.
    assert rows[0]["as_written"] < rows[1]["as_written"] and rows[0]["packed"] < rows[1]["packed"]
    # Every token of the packed texts runs through the encoder at least once (overlaps: more).
    assert all(row["encoder_work"] > 1 for row in rows)
    shipped = {"CUE_MIN_CONFIDENCE": before}
    chosen = sweep_decoding.choose(rows, shipped)
    assert chosen["values"] == shipped
    assert sweep_decoding.render(rows, chosen, shipped).count("| shipped, kept |") == 1
    assert "for the model in `runs/x/model`" in sweep_decoding.render(
        rows, chosen, shipped, model="runs/x/model"
    )
    assert "(`--inserted-words`)" in sweep_decoding.render(
        rows, chosen, shipped, inserted_words=True
    )
    assert "--inserted-words" not in sweep_decoding.render(rows, chosen, shipped)


def test_grid_option_refuses_unknown_constants(sweep_decoding, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        sweep_decoding.main(["--grid", '{"NO_SUCH_CONSTANT": [1, 2]}', "--output", str(tmp_path)])
    assert "NO_SUCH_CONSTANT" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_min_gain_zero_takes_any_improvement(sweep_decoding) -> None:
    rows = [_row(1, 1, 0.850), _row(2, 1, 0.8501)]
    assert sweep_decoding.choose(rows, {"A": 1, "B": 1}, min_gain=0)["values"] == {"A": 2, "B": 1}


def test_source_objective_chooses_by_source_f1(sweep_decoding) -> None:
    shipped = {"A": 1, "B": 1}
    rows = [
        {**_row(1, 1, 0.850), "source_mean": 0.90, "source_exact": 0.88, "source_overlap": 0.92},
        {**_row(2, 1, 0.860), "source_mean": 0.90, "source_exact": 0.88, "source_overlap": 0.92},
        {**_row(1, 2, 0.850), "source_mean": 0.91, "source_exact": 0.89, "source_overlap": 0.93},
    ]
    key = sweep_decoding.OBJECTIVES["source"]
    assert sweep_decoding.choose(rows, shipped, key=key)["values"] == {"A": 1, "B": 2}
    assert sweep_decoding.choose(rows, shipped)["values"] == {"A": 2, "B": 1}  # statement F1
    report = sweep_decoding.render(rows, rows[2], shipped, objective="source")
    assert "source exact F1" in report and "mean of source exact and overlap F1" in report


def test_content_objective_chooses_by_content_f1(sweep_decoding) -> None:
    shipped = {"A": 1, "B": 1}
    spans = {"source_mean": 0.9, "source_exact": 0.9, "source_overlap": 0.9}
    rows = [
        {**_row(1, 1, 0.85), **spans, "content_exact": 0.80, "content_overlap": 0.94},
        {**_row(1, 2, 0.85), **spans, "content_exact": 0.82, "content_overlap": 0.94},
    ]
    for row in rows:
        row["content_mean"] = (row["content_exact"] + row["content_overlap"]) / 2
    key = sweep_decoding.OBJECTIVES["content"]
    assert sweep_decoding.choose(rows, shipped, key=key)["values"] == {"A": 1, "B": 2}
    assert sweep_decoding.choose(rows, shipped)["values"] == shipped  # statement F1 is equal
    report = sweep_decoding.render(rows, rows[1], shipped, objective="content")
    assert "content exact F1" in report and "source exact F1" not in report


def test_cost_objective_takes_the_cheapest_setting_that_loses_less_than_the_min_gain(
    sweep_decoding,
) -> None:
    shipped = {"A": 1, "B": 1}
    gain = sweep_decoding.MIN_GAIN
    rows = [
        {**_row(1, 1, 0.870), "encoder_work": 2.9},
        {**_row(2, 1, 0.870 - gain / 2), "encoder_work": 2.0},
        {**_row(3, 1, 0.870 - gain), "encoder_work": 1.7},  # a real loss: not chosen
    ]
    key = sweep_decoding.OBJECTIVES["cost"]
    assert sweep_decoding.choose(rows, shipped, key=key)["values"] == {"A": 2, "B": 1}
    assert sweep_decoding.choose(rows, shipped)["values"] == shipped  # by F1 alone
    report = sweep_decoding.render(rows, rows[1], shipped, objective="cost")
    assert "least encoder work" in report and "| encoder work |" in report
    # Shown best first by statement F1, with their cost beside it.
    assert report.index("| 2.9000 |") < report.index("| 2.0000 |") < report.index("| 1.7000 |")
