"""A tiny real training run (≤ 64 documents) through the CLI, reproducible and loadable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import stance

REPO = Path(__file__).resolve().parent.parent


def train(tmp_path: Path, name: str, **overrides: object) -> dict:
    config = json.loads((REPO / "training" / "configs" / "default.json").read_text())
    config.update(
        output_dir=str(tmp_path / name),
        epochs=2,
        batch_size=8,
        max_train_documents=48,
        max_eval_documents=16,
        select_from_epoch=2,
        average_from_epoch=1,
        show_progress=False,
        **overrides,
    )
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "training/train.py", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((tmp_path / name / "run.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[dict, dict, Path]:
    tmp = tmp_path_factory.mktemp("train")
    return train(tmp, "a"), train(tmp, "b"), tmp


def test_run_record(runs) -> None:
    record, _, _ = runs
    assert record["train_documents"] == 48 and len(record["history"]) == 3
    assert len(record["data_sha256"]) == 64 and record["versions"]["torch"].startswith("2.")
    default = json.loads((REPO / "training" / "configs" / "default.json").read_text())
    assert record["config"]["seed"] == default["seed"] and "train.py" in " ".join(record["command"])


def test_bfloat16_autocast_only_where_the_cpu_has_it(runs) -> None:
    # The default config asks for bfloat16 autocast; on a CPU that would emulate it (over 20x
    # slower: benchmarks/train_step.py) the run falls back to fp32 and says so in its record.
    from stance.trainer import native_bfloat16

    record, _, _ = runs
    assert record["config"]["bf16_autocast"] and record["config"]["bf16_fallback"]
    assert record["bf16_autocast_used"] is native_bfloat16()
    # The record names the CPU, so a training time can be read against the machine it ran on.
    machine = record["machine"]
    assert machine["native_bfloat16"] is native_bfloat16() and machine["cpu"]
    capabilities = {"DEFAULT", "VSX", "Z VECTOR", "NO AVX", "AVX2", "AVX512", "SVE256"}
    assert machine["cpu_capability"] in capabilities


def test_stance_temperature_is_fitted_on_validation_and_saved(runs) -> None:
    record, _, tmp = runs
    temperature = record["stance_temperature"]
    assert 0.25 <= temperature <= 10 and temperature != 1.0
    saved = json.loads((tmp / "a" / "model" / "config.json").read_text())
    assert saved["stance_temperature"] == temperature


def test_validation_is_scored_from_select_from_epoch(runs) -> None:
    record, _, _ = runs
    first, last, _ = record["history"]
    assert record["config"]["select_from_epoch"] == 2
    assert "selection_score" not in first and "selection_score" in last


def test_weight_average_is_a_scored_candidate(runs) -> None:
    record, _, _ = runs
    _, last, mean = record["history"]
    assert mean["epoch"] == "mean of the weights of epochs 1-2" and "train_loss" not in mean
    # The kept weights are whichever candidate scored best on validation.
    best = max((last, mean), key=lambda h: h["selection_score"])
    assert record["best_epoch"] == best["epoch"]


def test_two_runs_give_identical_metrics(runs) -> None:
    a, b, _ = runs
    assert a["history"] == b["history"]


def test_fast_dropout_runs_are_reproducible_and_draw_other_masks(runs) -> None:
    torch_dropout, _, tmp = runs
    first = train(tmp, "fast-a", fast_dropout=True)
    second = train(tmp, "fast-b", fast_dropout=True)
    assert first["config"]["fast_dropout"] is True
    assert first["history"] == second["history"]
    # Other masks, so other training losses from the same seed and data.
    assert first["history"][0]["train_loss"] != torch_dropout["history"][0]["train_loss"]


def test_trained_model_loads_and_predicts(runs) -> None:
    _, _, tmp = runs
    nlp = stance.load(tmp / "a" / "model")
    text = "Officials said the bridge would reopen in May."
    for st in nlp.predict(text):
        assert text[st.content.start : st.content.end] == st.content.text


def test_bad_config_names_the_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"epochz": 3}))
    result = subprocess.run(
        [sys.executable, "-m", "stance.cli", "train", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "epochz" in result.stderr


def test_packing_keeps_every_statement_on_its_text(corpus) -> None:
    from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
    from stance.tokenization import WordPieceTokenizer
    from stance.trainer import pack_into_windows

    tokenizer = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
    # Packing joins documents up to the budget; a document longer than it (the full-length
    # articles of corpus v2) is left to the windowing, so only ones that fit are packed here.
    docs = [d for d in corpus[:200] if len(tokenizer.encode(d["text"])[0]) <= 254][:120]
    packed = pack_into_windows(docs, tokenizer, 254, seed=1)
    assert len(packed) < len(docs)
    assert sum(len(p["statements"]) for p in packed) == sum(len(d["statements"]) for d in docs)
    for doc in packed:
        assert len(tokenizer.encode(doc["text"])[0]) <= 254
        for st in doc["statements"]:
            for part in ("source", "cue", "content"):
                span = st[part]
                if span is not None:
                    assert doc["text"][span["start"] : span["end"]] == span["text"]


def test_evaluation_packing_is_seeded_and_fills_windows(corpus) -> None:
    from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
    from stance.tokenization import WordPieceTokenizer
    from stance.trainer import pack_for_evaluation

    tokenizer = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
    docs = [d for d in corpus[:150] if len(tokenizer.encode(d["text"])[0]) <= 80][:60]
    packed = pack_for_evaluation(docs, tokenizer)
    # Every model compared is scored on the same texts, whatever window it was trained in.
    assert packed == pack_for_evaluation(docs, tokenizer)
    assert len(packed) <= len(docs) / 2
    assert all(len(tokenizer.encode(p["text"])[0]) <= 254 for p in packed)


def test_quote_normalized_training_text_reads_like_prediction(corpus) -> None:
    from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
    from stance.tokenization import WordPieceTokenizer, normalize_quotes
    from stance.trainer import quote_normalized

    tokenizer = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
    curly = [d for d in corpus if "“" in d["text"] or "’" in d["text"]][:5]
    assert curly, "the corpus has documents with typographic quotes"
    straight = quote_normalized(curly)
    for before, after in zip(curly, straight, strict=True):
        assert len(before["text"]) == len(after["text"]) and "“" not in after["text"]
        # Training now tokenizes exactly what prediction tokenizes.
        ids_after = tokenizer.encode(after["text"])[0]
        assert ids_after.tolist() == tokenizer.encode(normalize_quotes(before["text"]))[0].tolist()
        for st in after["statements"]:
            for part in ("source", "cue", "content"):
                if st[part] is not None:
                    assert after["text"][st[part]["start"] : st[part]["end"]] == st[part]["text"]


def test_speaker_loss_takes_a_batch_with_one_candidate() -> None:
    import torch

    from stance.configuration import StanceConfig
    from stance.modeling import StanceModel

    # A batch whose only source has a single candidate mention (K = 1): the ranking mask must
    # still cover "never named", "the source itself" and that candidate (a seed-13 run on
    # corpus v8 stopped in its fourth epoch on such a batch).
    config = StanceConfig(
        encoder_config={"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1,
                        "num_attention_heads": 2, "intermediate_size": 64, "vocab_size": 100},
        role_ffn_dim=32,
        speaker_head=True,
    )  # fmt: skip
    torch.manual_seed(0)
    model = StanceModel(config)
    ids = torch.tensor([[2, 5, 6, 7, 8, 3]])
    span = lambda a, b: torch.tensor([[int(a <= i < b) for i in range(6)]])  # noqa: E731
    out = model(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        mention_tags=torch.zeros_like(ids),
        anchor_window=torch.tensor([0]),
        anchor_mask=span(4, 5),
        candidate_window=torch.tensor([0]),
        candidate_mask=span(1, 3),
        speaker_valid=torch.tensor([[1]]),
        speaker_buckets=torch.tensor([[0]]),
        speaker_target=torch.tensor([2]),
    )
    assert out.speaker_logits.shape == (1, 3) and torch.isfinite(out.loss)


def test_attention_dropout_reaches_the_encoder() -> None:
    from stance.trainer import TrainingArguments, build_model

    default = TrainingArguments.from_json(REPO / "training" / "configs" / "default.json")
    args = TrainingArguments.from_json(
        REPO / "training" / "configs" / "default.json", attention_dropout=0.0
    )
    base, _ = build_model(default)
    model, _ = build_model(args)
    assert base.encoder.config.attention_probs_dropout_prob == 0.1
    assert model.encoder.config.attention_probs_dropout_prob == 0.0
    # Saved with the model, so a run's config says how it was trained.
    assert model.config.encoder_config["attention_probs_dropout_prob"] == 0.0


def test_shipped_model_was_trained_with_the_committed_default_config() -> None:
    # What makes "one command reproduces the default model" true: the shipped run record's
    # config is training/configs/default.json (only where the output went may differ).
    config = json.loads((REPO / "training" / "configs" / "default.json").read_text())
    record = json.loads((REPO / "stance" / "default_model" / "training_run.json").read_text())
    differing = {
        key: (value, record["config"].get(key))
        for key, value in config.items()
        if key != "output_dir" and record["config"].get(key) != value
    }
    assert not differing, f"default.json and the shipped run record differ: {differing}"


def test_encoder_layers_keeps_the_bottom_of_the_base_stack() -> None:
    import torch
    from safetensors.torch import load_file

    from stance.base_encoder import verified_weights
    from stance.trainer import TrainingArguments, build_model

    path = REPO / "training" / "configs" / "default.json"
    model, _ = build_model(TrainingArguments.from_json(path, encoder_layers=2))
    assert len(model.encoder.encoder.layer) == 2
    assert model.config.encoder_config["num_hidden_layers"] == 2  # saved: reloads as trained
    base = load_file(
        str(verified_weights(model.config.base_model, model.config.base_weights_sha256))
    )
    own = model.encoder.state_dict()
    for name in (
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.1.output.dense.bias",
    ):
        assert torch.equal(own[name], base[name])
    with pytest.raises(ValueError, match="between 1 and 6"):
        build_model(TrainingArguments.from_json(path, encoder_layers=7))


def test_frozen_encoder_layers_stay_base_and_are_not_shipped(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    from stance.base_encoder import verified_weights
    from stance.corpus import read_corpus
    from stance.modeling import load_folder
    from stance.trainer import (
        TrainingArguments,
        _train_step,
        build_model,
        build_optimizer,
        training_batch,
        training_windows,
    )

    path = REPO / "training" / "configs" / "default.json"
    # No warm-up: its first step has learning rate 0 and would move nothing.
    args = TrainingArguments.from_json(
        path, freeze_encoder_layers=2, batch_size=4, warmup_ratio=0.0
    )
    model, tokenizer = build_model(args)
    frozen = set(model.config.frozen_base_parameters)
    assert "embeddings.LayerNorm.weight" in frozen and "encoder.layer.1.output.dense.bias" in frozen
    assert not any(name.startswith("encoder.layer.2.") for name in frozen)
    # A real optimisation step: no gradient reaches the frozen block, the layers above it learn.
    docs = [d for d in read_corpus(Path(args.corpus)) if d["split"] == "train"][:4]
    windows = training_windows(args, docs, tokenizer, model.config)
    optimizer, scheduler = build_optimizer(model, args, 10)
    generator = torch.Generator().manual_seed(0)
    batch = training_batch(windows, list(range(4)), args, generator, tokenizer.pad_token_id)
    before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    model.train()
    _train_step(model, batch, optimizer, scheduler, False)
    after = model.encoder.state_dict()
    base = load_file(str(verified_weights(args.base_model, args.base_weights_sha256)))
    for name in frozen:
        assert torch.equal(after[name], base[name]), name
    assert not torch.equal(
        after["encoder.layer.2.output.dense.weight"], before["encoder.layer.2.output.dense.weight"]
    )
    # Saved without the frozen block; loading restores it from the verified base encoder.
    model.save_pretrained(tmp_path / "model")
    saved = load_file(str(tmp_path / "model" / "model.safetensors"))
    assert not {f"encoder.{name}" for name in frozen} & set(saved)
    loaded = load_folder(tmp_path / "model").encoder.state_dict()
    assert torch.equal(loaded["encoder.layer.0.attention.self.query.weight"],
                       base["encoder.layer.0.attention.self.query.weight"])  # fmt: skip
    with pytest.raises(ValueError, match="between 0 and 6"):
        build_model(TrainingArguments.from_json(path, freeze_encoder_layers=7))
