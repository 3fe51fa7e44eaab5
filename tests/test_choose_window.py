"""training/choose_window.py: scoring prediction windows on validation, and the choice rule."""

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def choose_window():
    return load_script("training/choose_window.py")


def _row(length: int, statement_f1: float, long_recall: float, overlap: int = 32) -> dict:
    return {
        "window_length": length,
        "window_overlap": overlap,
        "mean_statement_f1": statement_f1,
        "mean_long_content_recall": long_recall,
    }


def test_choice_keeps_long_contents_and_prefers_the_cheaper_of_equal_windows(
    choose_window,
) -> None:
    rows = [
        _row(64, 0.90, 0.60, 16),
        _row(96, 0.846, 0.79, 24),
        _row(128, 0.85, 0.80, 64),
        _row(256, 0.8, 0.8, 64),
    ]
    # 64 scores best but cuts long contents; 96 / 24 is within the margin of 128 / 64 and runs
    # the encoder over fewer tokens.
    assert choose_window.choose(rows, training_window=(256, 64))["window_length"] == 96
    # Outside the margin, the better window wins whatever it costs.
    rows[1]["mean_statement_f1"] = 0.84
    assert choose_window.choose(rows, training_window=(256, 64))["window_length"] == 128
    # A window that loses speakers is not eligible, however well it scores.
    rows = [_row(96, 0.85, 0.8, 24), _row(96, 0.86, 0.8, 16)]
    rows[0]["speaker_accuracy"], rows[1]["speaker_accuracy"] = 0.85, 0.82
    assert choose_window.choose(rows, training_window=(96, 24))["window_overlap"] == 24
    rows[1]["speaker_accuracy"] = 0.84
    assert choose_window.choose(rows, training_window=(96, 24))["window_overlap"] == 16
    # Equal cost and equal score: the longer window.
    rows = [_row(96, 0.85, 0.8, 24), _row(190, 0.85, 0.8, 48)]
    assert choose_window.encoder_work(rows[0]) == choose_window.encoder_work(rows[1])
    assert choose_window.choose(rows, training_window=(96, 24))["window_length"] == 190


def test_windows_are_scored_on_real_validation_documents(choose_window, corpus) -> None:
    import stance

    nlp = stance.load(backend="torch")
    docs = [d for d in corpus if d["split"] == "validation"][:12]
    rows = choose_window.score_windows(nlp.model, nlp.tokenizer, docs, [(64, 16), (256, 64)])
    assert [(r["window_length"], r["window_overlap"]) for r in rows] == [(64, 16), (256, 64)]
    for row in rows:
        for reading in ("as_written", "packed"):
            assert 0.0 <= row[reading]["statement_f1"] <= 1.0
        assert 0.0 <= row["speaker_accuracy"] <= 1.0
        assert row["mean_statement_f1"] == pytest.approx(
            (row["as_written"]["statement_f1"] + row["packed"]["statement_f1"]) / 2
        )
    # Encoder work is counted: short windows overlap, and read more cues again, than long ones.
    assert rows[0]["encoder_work"] > rows[1]["encoder_work"] >= 1.0
    # The candidates are set on the model's config in turn; the last one stays set.
    assert nlp.model.config.prediction_window == (256, 64)
