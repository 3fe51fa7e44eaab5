"""Training dropout whose masks come from NumPy's PCG64 generator instead of PyTorch's.

Why: on the project's 2-core AMD machine PyTorch draws each dropout mask element by element
from its Mersenne Twister (``bernoulli_``, one thread), and a training step's profile there put
``aten::bernoulli_`` at 21 % of the step: most
of it the attention dropout over batch x heads x tokens x tokens, in the encoder and again in
the role layer, which reads every window once per cue. NumPy's PCG64 fills the same mask about
ten times faster (one attention mask of 16 x 12 x 96 x 96: 16 ms with ``native_dropout`` vs
1-2 ms). The masks are a different random stream, so a model trained with them is a different
(equally random) draw from the one trained with PyTorch's; runs stay reproducible, because the
generator is seeded from the training seed and the masks are drawn in a fixed order. Measured
(``reports/fast-dropout-trial.md``, ``reports/fast-dropout-v7-seeds.md``): faster training, but
lower validation content and statement F1 in all three runs, so the default config keeps
PyTorch's masks.

Only training changes: :func:`fast_dropout` swaps the dropout of a model for the duration of a
``with`` block and puts everything back, so the saved model and inference are untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

#: Name under which the encoder's attention with these masks is registered in transformers.
ATTENTION_NAME = "stance_fast_dropout"

# Masks compare 16-bit draws with a threshold: the drop probability is p rounded to 1/65536.
_LEVELS = 1 << 16


class MaskSource:
    """Keep-masks for dropout, drawn from one seeded NumPy generator.

    Args:
        seed: Seeds the generator: the same seed and the same calls give the same masks.

    Example:
        >>> source = MaskSource(seed=13)
        >>> keep = source.keep((1000, 100), p=0.1)
        >>> keep.dtype, round(1 - keep.float().mean().item(), 2)
        (torch.bool, 0.1)
        >>> bool((MaskSource(13).keep((4, 4), 0.5) == MaskSource(13).keep((4, 4), 0.5)).all())
        True
    """

    def __init__(self, seed: int):
        self.generator = np.random.Generator(np.random.PCG64(seed))

    def keep(self, shape: tuple[int, ...] | torch.Size, p: float) -> torch.Tensor:
        """A boolean mask of ``shape``: True (keep) with probability 1 - ``p``."""
        count = int(np.prod(shape))
        draws = np.frombuffer(self.generator.bytes(2 * count), dtype=np.uint16)
        return torch.from_numpy(draws >= round(p * _LEVELS)).view(*shape)

    def drop(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """``x`` with elements zeroed with probability ``p`` and the rest scaled by 1/(1-p)."""
        if p <= 0.0:
            return x
        scale = self.keep(x.shape, p).to(x.dtype).mul_(1.0 / (1.0 - p))
        return x * scale


class FastDropout(nn.Module):
    """Drop-in for :class:`torch.nn.Dropout` (in training) with masks from a :class:`MaskSource`.

    Example:
        >>> layer = FastDropout(0.5, MaskSource(0))
        >>> out = layer(torch.ones(2, 3))
        >>> sorted(set(out.flatten().tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
        >>> bool((layer.eval()(torch.ones(2, 3)) == 1).all())
        True
    """

    def __init__(self, p: float, source: MaskSource):
        super().__init__()
        self.p = p
        self.source = source

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.source.drop(x, self.p) if self.training else x


def _encoder_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' eager attention, with the attention dropout drawn by the module's source."""
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        weights = weights + attention_mask
    weights = nn.functional.softmax(weights, dim=-1)
    if module.training and dropout > 0:
        weights = module.stance_mask_source.drop(weights, dropout)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()
    return output, weights


def _register_encoder_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    AttentionInterface.register(ATTENTION_NAME, _encoder_attention)
    # The eager attention's additive float mask is what _encoder_attention adds to its scores.
    AttentionMaskInterface.register(ATTENTION_NAME, ALL_MASK_ATTENTION_FUNCTIONS["eager"])


def _role_attention(attention: nn.MultiheadAttention, source: MaskSource) -> Any:
    """A forward for the role layer's (batch-first) self-attention that draws its dropout from
    ``source``; it reads the module's own weights, so nothing is copied or renamed."""

    def forward(
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = False,
        attn_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, None]:
        if attn_mask is not None or need_weights or not (query is key is value):
            raise NotImplementedError("fast_dropout supports the role layer's self-attention only")
        batch, tokens, width = query.shape
        heads = attention.num_heads
        projected = nn.functional.linear(query, attention.in_proj_weight, attention.in_proj_bias)
        q, k, v = projected.view(batch, tokens, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
        weights = torch.matmul(q, k.transpose(-1, -2)) * (width // heads) ** -0.5
        if key_padding_mask is not None:
            if key_padding_mask.dtype == torch.bool:  # True marks padding
                weights = weights.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
            else:  # already additive (0 or -inf), as nn.TransformerEncoder passes it
                weights = weights + key_padding_mask[:, None, None, :].to(weights.dtype)
        weights = nn.functional.softmax(weights, dim=-1)
        if attention.training:
            weights = source.drop(weights, attention.dropout)
        output = torch.matmul(weights, v).transpose(1, 2).reshape(batch, tokens, width)
        return attention.out_proj(output), None

    return forward


@contextlib.contextmanager
def fast_dropout(model: nn.Module, source: MaskSource) -> Iterator[None]:
    """Within the block, every dropout of ``model`` draws its masks from ``source``;
    afterwards the model is as it was (enter it once per epoch, with the same source, so that
    validation runs the model's own attention and each epoch draws new masks).

    Covers :class:`torch.nn.Dropout` modules, the attention dropout of a transformers encoder
    that uses the attention interface (``model.encoder``) and the self-attention dropout of
    :class:`torch.nn.TransformerEncoderLayer` modules.

    Example:
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
        >>> with fast_dropout(model, MaskSource(seed=0)):
        ...     type(model[1]).__name__
        'FastDropout'
        >>> type(model[1]).__name__
        'Dropout'
    """
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    patched: list[nn.Module] = []
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                swapped.append((parent, name, child))
                setattr(parent, name, FastDropout(child.p, source).train(child.training))
        if isinstance(parent, nn.TransformerEncoderLayer):
            parent.self_attn.forward = _role_attention(parent.self_attn, source)  # type: ignore[method-assign]
            patched.append(parent.self_attn)
    encoder = getattr(model, "encoder", None)
    previous_attention = None
    marked: list[nn.Module] = []
    if encoder is not None and hasattr(encoder, "set_attn_implementation"):
        _register_encoder_attention()
        previous_attention = encoder.config._attn_implementation
        marked = list(encoder.modules())
        for module in marked:
            module.stance_mask_source = source
        encoder.set_attn_implementation(ATTENTION_NAME)
    try:
        yield
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child.train(parent.training))
        for attention in patched:
            del attention.forward
        for module in marked:
            del module.stance_mask_source
        if previous_attention is not None:
            encoder.set_attn_implementation(previous_attention)  # type: ignore[union-attr]
