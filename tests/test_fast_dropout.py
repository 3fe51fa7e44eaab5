"""Training dropout from NumPy masks (stance.fast_dropout): same model maths, other masks."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_stance_model
from torch import nn

from stance.fast_dropout import FastDropout, MaskSource, fast_dropout
from stance.modeling import StanceModel


def tiny_model(dropout: float) -> StanceModel:
    """A tiny random StanceModel in training mode, every dropout (heads, encoder, attention)
    at ``dropout``."""
    probabilities = {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    return tiny_stance_model(encoder=probabilities, dropout=dropout).train()


def batch() -> dict[str, torch.Tensor]:
    """Two windows, the second padded, with two cues and one content item."""
    ids = torch.tensor([[2, 50, 60, 70, 80, 90, 3], [2, 55, 65, 75, 3, 0, 0]])
    mask = (ids != 0).long()
    cue_mask = torch.zeros(2, 7, dtype=torch.long)
    cue_mask[0, 2] = cue_mask[1, 1] = 1
    content = torch.zeros(1, 7, dtype=torch.long)
    content[0, 3:6] = 1
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "pair_window": torch.tensor([0, 1]),
        "pair_cue_mask": cue_mask,
        "item_pair": torch.tensor([0]),
        "item_content_mask": content,
    }


def outputs(model: StanceModel) -> list[torch.Tensor]:
    out = model(**batch())
    return [out.cue_logits, out.role_logits, out.stance_logits]


def test_without_dropout_the_swapped_attention_computes_the_same_model() -> None:
    # With every probability at 0 the masks drop nothing, so what is left to compare is the
    # replacement attention of the encoder and of the role layer against the originals
    # (in training mode, where the role layer runs its self_attn module).
    model = tiny_model(dropout=0.0)
    assert_same_outputs_inside_and_outside(model)


def assert_same_outputs_inside_and_outside(model: StanceModel) -> None:
    before = outputs(model)
    with fast_dropout(model, MaskSource(0)):
        inside = outputs(model)
    for a, b in zip(before, inside, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_masks_follow_the_seed_and_change_between_steps() -> None:
    model = tiny_model(dropout=0.3)
    source = MaskSource(7)
    with fast_dropout(model, source):
        first, second = outputs(model), outputs(model)
    with fast_dropout(model, MaskSource(7)):
        again = outputs(model)
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a, b)  # same seed, same calls: the same masks
    assert not torch.equal(first[1], second[1])  # each call draws new masks
    # PyTorch's own random stream is left alone (the batch order and pair sampling use it).
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    with fast_dropout(model, MaskSource(7)):
        outputs(model)
    assert torch.equal(torch.rand(3), expected)


def test_model_is_restored_after_the_block() -> None:
    model = tiny_model(dropout=0.1)
    names = {name: type(module) for name, module in model.named_modules()}
    keys = list(model.state_dict())
    attention = model.encoder.config._attn_implementation
    with fast_dropout(model, MaskSource(0)):
        assert any(isinstance(m, FastDropout) for m in model.modules())
        assert not any(type(m) is nn.Dropout for m in model.modules())
    assert {name: type(module) for name, module in model.named_modules()} == names
    assert list(model.state_dict()) == keys  # nothing renamed or added to what is saved
    assert model.encoder.config._attn_implementation == attention
    assert all("forward" not in vars(m) for m in model.modules())
    assert not any(hasattr(m, "stance_mask_source") for m in model.modules())


def test_eval_mode_inside_the_block_applies_no_dropout() -> None:
    with torch.no_grad():
        assert_same_outputs_inside_and_outside(tiny_model(dropout=0.5).eval())


def test_drop_rate_and_scale() -> None:
    source = MaskSource(3)
    out = source.drop(torch.ones(200_000), p=0.1)
    assert abs((out == 0).float().mean().item() - 0.1) < 0.005
    assert torch.allclose(out[out != 0], torch.tensor(1 / 0.9))
    assert source.drop(torch.ones(5), p=0.0).equal(torch.ones(5))


def test_unsupported_attention_use_is_refused() -> None:
    model = tiny_model(dropout=0.1)
    layer = model.role_encoder.layers[0]
    x = torch.randn(1, 4, 32)
    refused = pytest.raises(NotImplementedError, match="self-attention")
    with fast_dropout(model, MaskSource(0)), refused:
        layer.self_attn(x, x, x, need_weights=True)
