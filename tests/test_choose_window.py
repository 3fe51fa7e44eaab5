"""training/choose_window.py: scoring prediction windows on validation, and the choice rule."""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def choose_window():
    spec = importlib.util.spec_from_file_location(
        "choose_window", REPO / "training" / "choose_window.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(length: int, statement_f1: float, long_recall: float) -> dict:
    return {
        "window_length": length,
        "mean_statement_f1": statement_f1,
        "mean_long_content_recall": long_recall,
    }


def test_choice_keeps_long_contents_and_breaks_ties_to_the_longer_window(choose_window) -> None:
    rows = [_row(64, 0.90, 0.60), _row(96, 0.85, 0.79), _row(128, 0.85, 0.80), _row(256, 0.8, 0.8)]
    # 64 scores best but cuts long contents; 96 and 128 tie and are both eligible.
    assert choose_window.choose(rows, training_window=256)["window_length"] == 128
    rows[1]["mean_statement_f1"] = 0.86
    assert choose_window.choose(rows, training_window=256)["window_length"] == 96


def test_windows_are_scored_on_real_validation_documents(choose_window, corpus) -> None:
    import stance

    nlp = stance.load(backend="torch")
    docs = [d for d in corpus if d["split"] == "validation"][:12]
    rows = choose_window.score_windows(nlp.model, nlp.tokenizer, docs, [(64, 16), (256, 64)])
    assert [(r["window_length"], r["window_overlap"]) for r in rows] == [(64, 16), (256, 64)]
    for row in rows:
        for reading in ("as_written", "packed"):
            assert 0.0 <= row[reading]["statement_f1"] <= 1.0
        assert row["mean_statement_f1"] == pytest.approx(
            (row["as_written"]["statement_f1"] + row["packed"]["statement_f1"]) / 2
        )
    # The candidates are set on the model's config in turn; the last one stays set.
    assert nlp.model.config.prediction_window == (256, 64)
