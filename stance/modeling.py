"""The joint attribution + stance model, in the manner of semantic role labelling.

One shared encoder pass per text window feeds three light heads:

1. a **cue tagger** (BIO) that finds reporting expressions;
2. for each cue, a **cue-conditioned role tagger**: the encoder states plus a cue-distance
   embedding go through a small transformer layer that tags *that cue's* source and content
   spans (BIO), so several statements per sentence, several contents under one cue and nested
   attributions come out without linking heuristics (with ``config.role_dim`` narrower than the
   encoder, the layer reads a projection of the states and its output is projected back onto
   them: the per-cue pass is the one part that grows with the number of statements);
3. a **stance classifier** over each (cue, content) pair, pooled from the cue-conditioned states;
4. optionally (``config.speaker_head``), a **speaker-mention tagger** (BIO over the canonical
   mentions of speakers) and a **mention-ranking head** that links a source ("he", "the
   minister") to one of the document's mentions or to "never named" (:mod:`stance.speakers`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, PreTrainedModel

from stance.base_encoder import verified_weights
from stance.configuration import CUE_TAGS, MENTION_TAGS, ROLE_TAGS, StanceConfig
from stance.errors import ModelFilesError
from stance.hub import PICKLE_SUFFIXES
from stance.speakers import DISTANCE_BUCKETS, MATCH_LEVELS

WEIGHTS_NAME = "model.safetensors"
__all__ = ["ModelFilesError", "StanceModel", "StanceOutput", "load_folder"]


@dataclass
class StanceOutput:
    """Logits and losses of one forward pass (tensors; ``None`` where not computed)."""

    loss: torch.Tensor | None
    cue_logits: torch.Tensor
    role_logits: torch.Tensor | None
    stance_logits: torch.Tensor | None
    losses: dict[str, float]
    mention_logits: torch.Tensor | None = None
    speaker_logits: torch.Tensor | None = None


MAX_CUE_DISTANCE = 48


def cue_distance_buckets(cue_mask: torch.Tensor) -> torch.Tensor:
    """Signed token distance to the cue span, 0 inside it, shifted to [0, 2 * max] ([P, T])."""
    length = cue_mask.shape[1]
    positions = torch.arange(length, device=cue_mask.device)[None, :]
    start = cue_mask.long().argmax(dim=1, keepdim=True)
    end = length - cue_mask.long().flip(dims=[1]).argmax(dim=1, keepdim=True)
    distance = torch.where(
        positions < start,
        positions - start,
        torch.where(positions >= end, positions - end + 1, torch.zeros_like(positions)),
    )
    return distance.clamp(-MAX_CUE_DISTANCE, MAX_CUE_DISTANCE) + MAX_CUE_DISTANCE


def _span_mean(states: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean of ``states[i]`` over the tokens where ``masks[i]`` is 1 ([N, T, H], [N, T])."""
    weights = masks.to(states.dtype)
    summed = torch.einsum("nt,nth->nh", weights, states)
    return summed / weights.sum(dim=1, keepdim=True).clamp(min=1.0)


def pool_spans(states: torch.Tensor, rows: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean of ``states[rows[i]]`` over the tokens where ``masks[i]`` is 1 → [N, H].

    One [N, B * T] weight matrix times the flattened states, instead of gathering an
    [N, T, H] copy of the states per span (spans are many, windows few).
    """
    batch, length, hidden = states.shape
    weights = torch.zeros(len(rows), batch, length, dtype=states.dtype, device=states.device)
    weights[torch.arange(len(rows), device=states.device), rows] = masks.to(states.dtype)
    weights = weights.reshape(len(rows), batch * length)
    summed = weights @ states.reshape(batch * length, hidden)
    return summed / weights.sum(dim=1, keepdim=True).clamp(min=1.0)


class StanceModel(PreTrainedModel):
    """Encoder + cue tagger + cue-conditioned role tagger + stance classifier.

    Example:
        >>> config = StanceConfig(encoder_config={"model_type": "bert", "hidden_size": 32,
        ...     "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64,
        ...     "vocab_size": 100}, role_ffn_dim=32)
        >>> model = StanceModel(config)
        >>> ids = torch.tensor([[2, 5, 6, 3]])
        >>> model(input_ids=ids, attention_mask=torch.ones_like(ids)).cue_logits.shape
        torch.Size([1, 4, 3])
    """

    config_class = StanceConfig
    base_model_prefix = "encoder"
    main_input_name = "input_ids"

    def __init__(self, config: StanceConfig):
        super().__init__(config)
        encoder_config = dict(config.encoder_config)
        model_type = encoder_config.pop("model_type", "bert")
        base_config = (
            BertConfig(**encoder_config)
            if model_type == "bert"
            else AutoConfig.for_model(model_type, **encoder_config)
        )
        self.encoder = AutoModel.from_config(base_config, add_pooling_layer=False)
        hidden = config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.cue_classifier = nn.Linear(hidden, len(CUE_TAGS))
        # Marks where the cue being decoded is, so the same encoder states can be read once per
        # cue and each reading tags only that cue's source and content.
        # Token distance to the cue (0 inside it), clipped: as in SRL, where a token sits
        # relative to the predicate is the strongest hint of its role.
        width = config.role_width
        self.cue_distance = nn.Embedding(2 * MAX_CUE_DISTANCE + 1, width)
        if config.role_bottleneck:
            # The role layer runs once per cue over the whole window; at the encoder's width it
            # cost a fifth of inference. Projecting down happens once per window (before the
            # states are copied per cue) and the projection back is added to the encoder
            # states, so the heads read the same kind of states as without the bottleneck.
            self.role_down = nn.Linear(hidden, width)
            self.role_up = nn.Linear(width, hidden)
        layer = nn.TransformerEncoderLayer(
            d_model=width,
            nhead=max(1, width // 64),
            dim_feedforward=config.role_ffn_dim,
            dropout=config.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.role_encoder = nn.TransformerEncoder(
            layer, num_layers=config.role_layers, enable_nested_tensor=False
        )
        self.role_classifier = nn.Linear(hidden, len(ROLE_TAGS))
        self.stance_classifier = nn.Sequential(
            nn.Linear(2 * hidden, hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(hidden, len(config.labels)),
        )
        if config.speaker_head:
            width = config.speaker_dim
            self.mention_classifier = nn.Linear(hidden, len(MENTION_TAGS))
            self.speaker_anchor = nn.Linear(hidden, width)
            self.speaker_candidate = nn.Linear(hidden, width)
            self.speaker_product = nn.Linear(hidden, width)
            self.speaker_distance = nn.Embedding(DISTANCE_BUCKETS, width)
            self.speaker_match = nn.Embedding(MATCH_LEVELS, width)
            self.speaker_out = nn.Sequential(nn.GELU(), nn.Linear(width, 1))
            self.speaker_null = nn.Sequential(
                nn.Linear(hidden, width), nn.GELU(), nn.Linear(width, 1)
            )
            self.speaker_self = nn.Sequential(
                nn.Linear(hidden, width), nn.GELU(), nn.Linear(width, 1)
            )
        self.post_init()
        # Encoder states have a scale of about 0.4: a 0.02-scale distance embedding would be
        # drowned out for hundreds of steps, so it starts at a comparable scale.
        nn.init.normal_(self.cue_distance.weight, std=0.3)
        if config.role_bottleneck:
            # Scale-preserving projections: with the heads' 0.02 normal the projected states
            # (and so the cue-conditioned correction) would start an order of magnitude smaller
            # than the encoder states and the distance embedding they are mixed with.
            nn.init.xavier_uniform_(self.role_down.weight)
            nn.init.xavier_uniform_(self.role_up.weight)

    def _init_weights(self, module: nn.Module) -> None:
        # The encoder's own initialisation is replaced by base weights; heads get small normals.
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Runs the shared encoder: [B, T] ids → [B, T, H] states."""
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def read_cues(
        self,
        states: torch.Tensor,
        attention_mask: torch.Tensor,
        pair_window: torch.Tensor,
        pair_cue_mask: torch.Tensor,
    ) -> torch.Tensor:
        """Cue-conditioned states for each (window, cue) pair.

        Args:
            states: Encoder states [B, T, H].
            attention_mask: [B, T].
            pair_window: [P] window index of each pair.
            pair_cue_mask: [P, T] 1 on the pair's cue tokens.

        Returns:
            [P, T, H] states that know which cue they are read for.
        """
        # Measured: adding a fused [h*c; c] projection here slowed role learning (role loss 0.66
        # vs 0.44 after 30 steps), so the cue is marked by the distance embedding alone.
        distance = self.cue_distance(cue_distance_buckets(pair_cue_mask))
        padding = attention_mask[pair_window] == 0
        if not self.config.role_bottleneck:
            conditioned = states[pair_window] + distance
            return self.role_encoder(self.dropout(conditioned), src_key_padding_mask=padding)
        narrow = self.role_down(states)[pair_window] + distance
        read = self.role_encoder(self.dropout(narrow), src_key_padding_mask=padding)
        return states[pair_window] + self.role_up(read)

    def classify_stance(
        self,
        pair_states: torch.Tensor,
        pair_cue_mask: torch.Tensor,
        item_pair: torch.Tensor,
        item_content_mask: torch.Tensor,
    ) -> torch.Tensor:
        """Stance logits [Q, labels] for Q (pair, content) items."""
        states = pair_states[item_pair]
        content = _span_mean(states, item_content_mask)
        cue = _span_mean(states, pair_cue_mask[item_pair])
        return self.stance_classifier(self.dropout(torch.cat([content, cue], dim=-1)))

    def stance_probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Calibrated stance probabilities: softmax of the logits over the model's
        ``stance_temperature`` plus its ``stance_offsets`` (what every backend reports;
        training's loss reads the logits)."""
        offsets = torch.tensor(self.config.stance_offsets, dtype=torch.float32)
        scaled = logits.float() / self.config.stance_temperature
        return torch.softmax(scaled + offsets.to(scaled.device), dim=-1)

    def score_speakers(
        self, anchors: torch.Tensor, candidates: torch.Tensor, buckets: torch.Tensor
    ) -> torch.Tensor:
        """Mention-ranking logits [A, K + 2]: "never named", "the source itself", then each
        candidate mention.

        Args:
            anchors: [A, H] pooled encoder states of the sources to resolve.
            candidates: [K, H] pooled encoder states of candidate mentions.
            buckets: [A, K] pair features: distance bucket and string match
                (:func:`stance.speakers.pair_features`).
        """
        pair = (
            self.speaker_anchor(anchors)[:, None, :]
            + self.speaker_candidate(candidates)[None, :, :]
            + self.speaker_product(anchors[:, None, :] * candidates[None, :, :])
            + self.speaker_distance(torch.div(buckets, MATCH_LEVELS, rounding_mode="floor"))
            + self.speaker_match(torch.remainder(buckets, MATCH_LEVELS))
        )
        scores = self.speaker_out(self.dropout(pair)).squeeze(-1)
        return torch.cat([self.speaker_null(anchors), self.speaker_self(anchors), scores], dim=1)

    def _speaker_loss(
        self,
        states: torch.Tensor,
        anchor_window: torch.Tensor,
        anchor_mask: torch.Tensor,
        candidate_window: torch.Tensor,
        candidate_mask: torch.Tensor,
        speaker_valid: torch.Tensor,
        speaker_buckets: torch.Tensor,
        speaker_target: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        anchors = pool_spans(states, anchor_window, anchor_mask)
        candidates = pool_spans(states, candidate_window, candidate_mask)
        logits = self.score_speakers(anchors, candidates, speaker_buckets)
        # Each source ranks only its own window's mentions (and "never named", "itself").
        # Two columns of ones whatever K is: speaker_valid[:, :2] would have one column when a
        # batch holds a single candidate (K = 1), and the mask would no longer fit the logits.
        valid = torch.cat([speaker_valid.new_ones(len(speaker_valid), 2), speaker_valid], dim=1)
        logits = logits.masked_fill(~valid.bool(), -1e4)
        return nn.functional.cross_entropy(logits, speaker_target), logits

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        cue_tags: torch.Tensor | None = None,
        pair_window: torch.Tensor | None = None,
        pair_cue_mask: torch.Tensor | None = None,
        role_tags: torch.Tensor | None = None,
        item_pair: torch.Tensor | None = None,
        item_content_mask: torch.Tensor | None = None,
        item_label: torch.Tensor | None = None,
        mention_tags: torch.Tensor | None = None,
        anchor_window: torch.Tensor | None = None,
        anchor_mask: torch.Tensor | None = None,
        candidate_window: torch.Tensor | None = None,
        candidate_mask: torch.Tensor | None = None,
        speaker_valid: torch.Tensor | None = None,
        speaker_buckets: torch.Tensor | None = None,
        speaker_target: torch.Tensor | None = None,
    ) -> StanceOutput:
        """Training/evaluation pass with gold cues (teacher forcing for the role and stance heads).

        Tags use -100 for positions that carry no loss (padding, special tokens).
        """
        states = self.encode(input_ids, attention_mask)
        cue_logits = self.cue_classifier(self.dropout(states))
        role_logits = stance_logits = None
        losses: dict[str, torch.Tensor] = {}
        ce = nn.CrossEntropyLoss(ignore_index=-100)
        if cue_tags is not None:
            losses["cue"] = ce(cue_logits.reshape(-1, len(CUE_TAGS)), cue_tags.reshape(-1))
        if pair_window is not None and pair_cue_mask is not None and len(pair_window) > 0:
            pair_states = self.read_cues(states, attention_mask, pair_window, pair_cue_mask)
            role_logits = self.role_classifier(self.dropout(pair_states))
            if role_tags is not None:
                losses["role"] = ce(role_logits.reshape(-1, len(ROLE_TAGS)), role_tags.reshape(-1))
            if item_pair is not None and item_content_mask is not None and len(item_pair) > 0:
                stance_logits = self.classify_stance(
                    pair_states, pair_cue_mask, item_pair, item_content_mask
                )
                if item_label is not None:
                    losses["stance"] = ce(stance_logits, item_label)
        mention_logits = speaker_logits = None
        if self.config.speaker_head:
            mention_logits = self.mention_classifier(self.dropout(states))
            if mention_tags is not None:
                losses["mention"] = ce(
                    mention_logits.reshape(-1, len(MENTION_TAGS)), mention_tags.reshape(-1)
                )
            if speaker_target is not None and len(speaker_target) > 0:
                losses["speaker"], speaker_logits = self._speaker_loss(
                    states, anchor_window, anchor_mask, candidate_window, candidate_mask,  # type: ignore[arg-type]
                    speaker_valid, speaker_buckets, speaker_target,  # type: ignore[arg-type]
                )  # fmt: skip
        loss = sum(losses.values()) if losses else None
        return StanceOutput(
            loss=loss,  # type: ignore[arg-type]
            cue_logits=cue_logits,
            role_logits=role_logits,
            stance_logits=stance_logits,
            losses={k: float(v.detach()) for k, v in losses.items()},
            mention_logits=mention_logits,
            speaker_logits=speaker_logits,
        )

    # ----------------------------------------------------------------- base weights & saving

    def load_base_encoder(self, parameters: dict[str, torch.Tensor] | None = None) -> list[str]:
        """Copies the verified base encoder weights into ``self.encoder``.

        Args:
            parameters: Only copy these names (default: all the base file has).

        Returns:
            The encoder parameter names copied.
        """
        path = verified_weights(self.config.base_model, self.config.base_weights_sha256)
        try:
            base = load_file(str(path))
        except (SafetensorError, OSError) as err:
            raise ModelFilesError(f"base encoder weights {path} are damaged: {err}") from err
        own = self.encoder.state_dict()
        names = [n for n in base if n in own and (parameters is None or n in parameters)]
        with torch.no_grad():
            for name in names:
                own[name].copy_(base[name].to(own[name].dtype))
        return names

    def save_pretrained(self, save_directory: str | os.PathLike, **kwargs: Any) -> None:  # type: ignore[override]
        """Saves config and the fine-tuned weights (fp16, frozen base parameters left out).

        The frozen parameters (by default the word embeddings) are restored from the verified
        base encoder when loading, which keeps the shipped model small. ``push_to_hub`` calls
        this too, so what is uploaded is exactly what :func:`stance.load` reads.
        """
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        frozen = {f"encoder.{n}" for n in self.config.frozen_base_parameters}
        tensors = {
            name: tensor.detach().to(torch.float16).contiguous()
            for name, tensor in self.state_dict().items()
            if name not in frozen and not name.endswith("position_ids")
        }
        tmp = folder / (WEIGHTS_NAME + ".tmp")
        save_file(tensors, str(tmp), metadata={"format": "pt", "dtype": "float16"})
        tmp.replace(folder / WEIGHTS_NAME)  # atomic: never a half-written weights file
        self.config.architectures = [type(self).__name__]
        self.config.save_pretrained(folder)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls, pretrained_model_name_or_path: str | os.PathLike, *args: Any, **kwargs: Any
    ) -> StanceModel:
        """Loads a model saved by :meth:`save_pretrained` from a folder or the Hub."""
        folder = Path(pretrained_model_name_or_path)
        if not folder.is_dir():
            from stance.hub import download

            folder = download(str(pretrained_model_name_or_path), kwargs.get("revision"))
        return load_folder(folder)


def load_folder(folder: Path) -> StanceModel:
    """Builds a :class:`StanceModel` from a saved folder, checking every file.

    Raises:
        ModelFilesError: naming the missing or damaged file and how to get a good one.
    """
    config_path = folder / "config.json"
    weights_path = folder / WEIGHTS_NAME
    fix = "re-download it with stance.load('org/name') or retrain with `stance train CONFIG`"
    for path in (config_path, weights_path):
        if not path.exists():
            names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
            pickles = sorted(name for name in names if name.endswith(PICKLE_SUFFIXES))
            hint = (
                f" (found {', '.join(pickles)}: pickled weights are never loaded)"
                if pickles
                else ""
            )
            raise ModelFilesError(f"model folder {folder} has no {path.name}{hint}; {fix}")
    try:
        config_dict = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFilesError(f"{config_path} is not valid JSON ({err}); {fix}") from err
    if config_dict.get("model_type") != StanceConfig.model_type:
        raise ModelFilesError(f"{config_path} is not a stance model config (model_type); {fix}")
    try:
        config = StanceConfig.from_dict(config_dict)
    except (ValueError, TypeError) as err:
        raise ModelFilesError(f"{config_path} has a bad value: {err}") from err
    try:
        weights = load_file(str(weights_path))
    except (SafetensorError, OSError) as err:
        raise ModelFilesError(f"{weights_path} is damaged ({err}); {fix}") from err
    model = StanceModel(config)
    frozen = {f"encoder.{n}" for n in config.frozen_base_parameters}
    if frozen:
        model.load_base_encoder({n.removeprefix("encoder.") for n in frozen})
    expected = {n for n in model.state_dict() if not n.endswith("position_ids")} - frozen
    missing = sorted(expected - set(weights))
    unexpected = sorted(set(weights) - expected)
    if missing or unexpected:
        raise ModelFilesError(
            f"{weights_path} does not match config.json: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}; {fix}"
        )
    own = model.state_dict()
    with torch.no_grad():
        for name, tensor in weights.items():
            if tensor.shape != own[name].shape:
                raise ModelFilesError(
                    f"{weights_path}: {name} has shape {tuple(tensor.shape)}, config.json "
                    f"expects {tuple(own[name].shape)}; {fix}"
                )
            if not torch.isfinite(tensor).all():
                raise ModelFilesError(f"{weights_path}: {name} holds NaN or inf values; {fix}")
            own[name].copy_(tensor.to(own[name].dtype))
    model.eval()
    return model


AutoConfig.register(StanceConfig.model_type, StanceConfig, exist_ok=True)
AutoModel.register(StanceConfig, StanceModel, exist_ok=True)
