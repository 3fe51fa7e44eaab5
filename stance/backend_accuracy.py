"""Accuracy of a predictor on corpus documents, whatever its backend.

The evaluation report's figures, for either backend: stance macro-F1 with gold statements (the
stance head reads the gold cue and content), end-to-end content-span token-overlap F1 and
statement F1, and speaker-resolution accuracy given the gold sources. The evaluation report
uses it for the shipped ONNX form on validation, the benchmark for both backends on test.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stance.decoding import Predictor, pack_windows, pad_batch
from stance.evaluation import (
    prediction_documents,
    span_scores,
    stance_scores,
    statement_scores,
)
from stance.trainer import speaker_resolution
from stance.windows import label_windows


def gold_stance(predictor: Predictor, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Stance scores of every gold (cue, content) pair, read through the predictor's backend."""
    labels = predictor.labels
    windows = label_windows(
        predictor.tokenizer,
        docs,
        predictor.window_length,
        predictor.window_overlap,
        labels,
    )
    gold: list[str] = []
    pred: list[str] = []
    backend = predictor.backend
    for batch in pack_windows([len(w) for w in windows], 4096):
        chunk = [windows[i] for i in batch]
        ids, attention = pad_batch(chunk, predictor.tokenizer.pad_token_id)
        width = ids.shape[1]
        pair_window, cue_masks, item_pair, content_masks = [], [], [], []
        for w_index, window in enumerate(chunk):
            for pair in window.pairs:
                for item in pair["items"]:
                    item_pair.append(len(pair_window))
                    mask = np.zeros(width, dtype=np.int64)
                    mask[item["content"][0] : item["content"][1]] = 1
                    content_masks.append(mask)
                    gold.append(labels[item["label"]])
                pair_window.append(w_index)
                mask = np.zeros(width, dtype=np.int64)
                mask[pair["cue"][0] : pair["cue"][1]] = 1
                cue_masks.append(mask)
        if not item_pair:
            continue
        states, _ = backend.encode(ids, attention)
        cue_mask = np.stack(cue_masks)
        pair_states, _ = backend.read_cues(
            states, attention, np.asarray(pair_window, dtype=np.int64), cue_mask
        )
        probs = backend.classify_stance(
            pair_states, cue_mask, np.asarray(item_pair, dtype=np.int64), np.stack(content_masks)
        )
        pred += [labels[i] for i in probs.argmax(-1)]
    return stance_scores(gold, pred)


def backend_accuracy(predictor: Predictor, docs: list[dict[str, Any]]) -> dict[str, float]:
    """Stance macro-F1 (gold statements), content token-overlap and statement F1 (end to end),
    speaker-resolution accuracy (sources whose speaker is named elsewhere)."""
    predicted = prediction_documents(docs, predictor.predict([d["text"] for d in docs]))
    figures = {
        "stance_macro_f1": float(gold_stance(predictor, docs)["macro_f1"]),
        "content_overlap_f1": float(span_scores(docs, predicted, "content", "overlap")["f1"]),
        "statement_f1": float(statement_scores(docs, predicted)["f1"]),
    }
    if getattr(predictor.backend, "has_speakers", False):
        resolved = speaker_resolution(predictor, docs)["model"]["all"]["accuracy"]
        figures["speaker_resolution_accuracy"] = float(resolved)
    return figures
