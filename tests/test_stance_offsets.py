"""Bias-corrected temperature scaling: the fit, and the trial script's cross-fit."""

from __future__ import annotations

import numpy as np
from conftest import load_script

from stance.evaluation import fit_bias_corrected_temperature


def leaning_scores(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Overconfident scores of a 4-label model, wrong on a tenth of its statements, which
    reads another third of its assertions (label 3) as denials (label 0), assertion a close
    second."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 4, count)
    read = np.where(rng.random(count) < 0.1, rng.integers(0, 4, count), gold)
    leaning = (gold == 3) & (rng.random(count) < 1 / 3)
    read[leaning] = 0
    logits = rng.normal(0, 1, (count, 4))
    logits[np.arange(count), read] += 20.0
    logits[leaning, 3] += 17.0
    probabilities = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))
    return gold, probabilities


def test_fit_converges_on_overconfident_scores() -> None:
    """Raw scores whose log-probabilities reach -20 made a full Newton step diverge."""
    gold, probabilities = leaning_scores(400, 0)
    temperature, offsets = fit_bias_corrected_temperature(probabilities, gold)
    assert 1.0 < temperature < 10.0
    assert offsets[0] == 0.0 and offsets[3] > 0.5  # assertion moved up against denial
    scaled = np.log(probabilities) / temperature + np.array(offsets)
    calibrated = np.exp(scaled - np.logaddexp.reduce(scaled, axis=1, keepdims=True))
    nll = -np.log(calibrated[np.arange(len(gold)), gold]).mean()
    assert nll < -np.log(probabilities[np.arange(len(gold)), gold]).mean()


def test_cross_fit_scores_held_out_folds() -> None:
    trial = load_script("training/trial_stance_offsets.py")
    gold, probabilities = leaning_scores(600, 1)
    labels = ["denial", "speculation", "hedge", "assertion"]
    rows = trial.cross_fit(gold.tolist(), probabilities.tolist(), labels, 2, 0)
    assert [row["statements"] for row in rows] == [300, 300]
    for row in rows:
        assert row["macro_f1_with"] > row["macro_f1_without"]
        assert row["offsets"]["assertion"] > row["offsets"]["denial"] == 0.0


def test_cross_fit_with_one_fitted_offset_leaves_the_others_at_zero() -> None:
    trial = load_script("training/trial_stance_offsets.py")
    gold, probabilities = leaning_scores(600, 2)
    labels = ["denial", "speculation", "hedge", "assertion"]
    rows = trial.cross_fit(gold.tolist(), probabilities.tolist(), labels, 2, 0, [3])
    for row in rows:
        assert row["offsets"]["speculation"] == row["offsets"]["hedge"] == 0.0
        assert row["offsets"]["assertion"] > 0.5
        assert row["macro_f1_with"] > row["macro_f1_without"]
