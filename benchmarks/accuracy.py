"""Accuracy of a predictor on the test split, whatever its backend (numpy only).

Two figures, as in the evaluation report: stance macro-F1 with gold statements (the stance head
reads the gold cue and content) and end-to-end content-span token-overlap F1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stance.decoding import Predictor, pack_windows, pad_batch
from stance.evaluation import prediction_documents, span_scores, stance_scores
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


def accuracy(predictor: Predictor, docs: list[dict[str, Any]]) -> dict[str, float]:
    """Stance macro-F1 (gold statements) and content token-overlap F1 (end to end)."""
    predicted = predictor.predict([d["text"] for d in docs])
    content = span_scores(docs, prediction_documents(docs, predicted), "content", "overlap")
    return {
        "stance_macro_f1": float(gold_stance(predictor, docs)["macro_f1"]),
        "content_overlap_f1": float(content["f1"]),
    }
