"""The torch backend: a :class:`StanceModel`'s forward passes behind the shared decoder.

Decoding (cues, then each cue's source and contents, then stance) lives in
:mod:`stance.decoding` and is shared with the ONNX backend; only the forward passes are here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from stance.decoding import (
    CONTENT_MIN_CONFIDENCE,
    CONTENT_MIN_STRAY_TOKENS,
    MAX_PAIRS_PER_PASS,
    finalize,
)
from stance.decoding import Predictor as _SharedPredictor
from stance.modeling import StanceModel, pool_spans

__all__ = [
    "CONTENT_MIN_CONFIDENCE",
    "CONTENT_MIN_STRAY_TOKENS",
    "MAX_PAIRS_PER_PASS",
    "Predictor",
    "TorchBackend",
    "finalize",
]


def _probs(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits.float(), dim=-1).cpu().numpy()


class TorchBackend:
    """The three forward passes of a :class:`StanceModel` on numpy inputs (fp32, any device).

    States stay torch tensors on the model's device between passes; only probabilities come
    back as numpy.
    """

    def __init__(self, model: StanceModel, device: str | torch.device = "cpu"):
        self.model = model.eval().to(device)
        self.device = torch.device(device)
        self.has_speakers = bool(getattr(model.config, "speaker_head", False))

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array)).to(self.device)

    @torch.inference_mode()
    def encode(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[Any, np.ndarray]:
        """Encoder states (kept as tensors) and cue-tag probabilities."""
        mask = self._tensor(attention_mask)
        states = self.model.encode(self._tensor(input_ids), mask)
        return (states, mask), _probs(self.model.cue_classifier(states))

    @torch.inference_mode()
    def read_cues(
        self,
        states: Any,
        attention_mask: np.ndarray,
        pair_window: np.ndarray,
        pair_cue_mask: np.ndarray,
    ) -> tuple[Any, np.ndarray]:
        """Cue-conditioned states and role-tag probabilities."""
        encoded, mask = states
        cue_mask = self._tensor(pair_cue_mask)
        pair_states = self.model.read_cues(encoded, mask, self._tensor(pair_window), cue_mask)
        return (pair_states, cue_mask), _probs(self.model.role_classifier(pair_states))

    @torch.inference_mode()
    def classify_stance(
        self,
        pair_states: Any,
        pair_cue_mask: np.ndarray,
        item_pair: np.ndarray,
        item_content_mask: np.ndarray,
    ) -> np.ndarray:
        """Stance probabilities of (pair, content) items."""
        states, cue_mask = pair_states
        logits = self.model.classify_stance(
            states, cue_mask, self._tensor(item_pair), self._tensor(item_content_mask)
        )
        return self.model.stance_probabilities(logits).cpu().numpy()

    @torch.inference_mode()
    def tag_mentions(self, states: Any) -> np.ndarray:
        """Speaker-mention tag probabilities."""
        return _probs(self.model.mention_classifier(states[0]))

    @torch.inference_mode()
    def pool(self, states: Any, rows: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Mean encoder states of token ranges."""
        pooled = pool_spans(states[0], self._tensor(rows), self._tensor(masks))
        return pooled.float().cpu().numpy()

    @torch.inference_mode()
    def score_speakers(
        self, anchors: np.ndarray, candidates: np.ndarray, buckets: np.ndarray
    ) -> np.ndarray:
        """Mention-ranking logits (never named, the source itself, then the candidates)."""
        logits = self.model.score_speakers(
            self._tensor(anchors), self._tensor(candidates), self._tensor(buckets)
        )
        return logits.float().cpu().numpy()


class Predictor(_SharedPredictor):
    """Runs a :class:`StanceModel` over texts of any length (the torch backend).

    Example:
        >>> from stance.pipeline import DEFAULT_MODEL_DIR
        >>> from stance.modeling import load_folder
        >>> from stance.tokenization import WordPieceTokenizer
        >>> predictor = Predictor(load_folder(DEFAULT_MODEL_DIR),
        ...                       WordPieceTokenizer.from_folder(DEFAULT_MODEL_DIR))
        >>> found = predictor.predict(["Talks could resume by spring, a diplomat said."])
        >>> [s.label for s in found[0]]
        ['speculation']
    """

    def __init__(self, model: StanceModel, tokenizer: Any, device: str | torch.device = "cpu"):
        backend = TorchBackend(model, device)
        config = model.config
        super().__init__(backend, tokenizer, config.labels, *config.prediction_window)
        self.model = backend.model
        self.device = backend.device
