"""Exports a stance model to ONNX Runtime int8: ``python -m stance.export_onnx``.

Usage::

    python -m stance.export_onnx --model stance/default_model --output stance/default_model/onnx

Writes the graphs and a manifest into the output folder:

- ``encoder.onnx``: input ids and attention mask → encoder states and cue-tag probabilities;
- ``roles.onnx``: states, (window, cue) pairs → cue-conditioned states and role probabilities;
- ``stance.onnx``: cue-conditioned states, (pair, content) items → stance probabilities;
- for models with a speaker head, ``mentions.onnx`` (encoder states → speaker-mention tag
  probabilities) and ``speakers.onnx`` (pooled source and mention states, distance buckets →
  mention-ranking logits);
- ``manifest.json``: labels, window sizes, sha256 of every graph and of the weights exported.

Quantization (why this one): results must not depend on which texts share a batch, which rules
out ``quantize_dynamic`` (its activation scale is one number per tensor over the whole batch).
Every MatMul weight becomes int8 with one scale per block of 128 input rows (ONNX Runtime's
``MatMulNBits``, 8 bits), and the kernels quantize activations per row and block at run time
(``accuracy_level=4``), so each row's result depends on that row alone, provided the row
count is even: the kernel computes rows in pairs and an odd last row takes another path with
slightly different results (found by the fuzz tests), so the backend pads windows to even
widths and the heads' items to even counts (``stance.decoding.pad_batch``,
``stance.onnx_backend.even_rows``). Computing the small heads in fp32 instead
(``accuracy_level=1``) was measured 3.5x slower per call for a typical speaker pass (0.28 ms
vs 0.08 ms: the weights are dequantized on every call) and took the heads from about 2 % to 5 %
of the backend's time. The embedding tables become int8 with one scale per row (a Gather, then
a multiply).

``--static-encoder`` quantizes the encoder (most of the backend's time) statically instead:
QDQ, int8 weights per output channel, uint8 activations whose scales are fixed in the file from
calibration windows of training-split documents, except the feed-forward output projections,
which keep the weight-only form. Fixed scales depend on no batch either, and ONNX Runtime's
integer kernels for them are faster. On the v1 model's test split (encoder speed relative to
fp32, one run each) weight-only was 1.2×, static quantization of every product 1.7× but 1.7
points of content F1 lower, the mixed form no faster. For the v3 model
``benchmarks/quantization_trial.py`` measures the three forms in one run
(``reports/quantization-trial.md``): the mixed form is faster than weight-only with validation
F1 within the 0.5-point bound, but fewer of its statements are identical to the torch
backend's, so the default export stays weight-only.

The export is deterministic: the same weights give byte-identical files.

The exported ``accuracy_level=4`` is the "int8" compute mode. The backend can switch the
weight-only products of the encoder and role graphs to fp32 activations (``accuracy_level=1``)
when it loads them (``stance.load(onnx_compute=...)``, :data:`stance.onnx_backend.ONNX_COMPUTE`):
on CPUs without VNNI or AMX that int8 kernel emulates its dot products and is slower than fp32.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from stance.base_encoder import streamed_sha256
from stance.modeling import WEIGHTS_NAME, StanceModel, cue_distance_buckets, load_folder
from stance.onnx_backend import (
    ENCODER_FILE,
    MANIFEST_FILE,
    MENTIONS_FILE,
    ROLES_FILE,
    SPEAKERS_FILE,
    STANCE_FILE,
)

FORMAT_VERSION = 1
OPSET = 18
#: Input rows per int8 weight scale: 128 measured as accurate as 32 on the test split (stance
#: macro-F1 0.920 vs 0.921, content F1 equal) and keeps the graphs 1 MB smaller.
BLOCK_SIZE = 128
#: Training-split documents whose windows calibrate the encoder's static activation scales.
CALIBRATION_DOCUMENTS = 200


class Int8RowEmbedding(nn.Module):
    """An embedding table stored as int8 with one fp32 scale per row (exported as Gathers).

    One scale per row keeps rare tokens with small vectors as precise as common ones, and the
    table (the largest tensor of MiniLM) shrinks fourfold.
    """

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        scale = weight.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127.0
        self.register_buffer("table", torch.round(weight / scale).to(torch.int8))
        self.register_buffer("scale", scale.float())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.table[ids].float() * self.scale[ids]


class CueReader(nn.Module):
    """:meth:`StanceModel.read_cues` in inference form: the same function (eval mode), cheaper.

    The first role layer reads ``states[window] + distance[bucket]`` once per cue. Its layer
    norm is affine in the centred input and its query/key/value projection is linear, so the
    projection splits into a per-window part (computed once per window, not once per cue) and
    a per-distance part (a constant table), divided by each token's norm: only the attention,
    the output projection and the feed-forward block still run per cue. With 2.5 cues per
    window that had any (the benchmark's paragraphs), this removes 27 % of the role layer's
    matrix arithmetic. Built from a trained model (the folded weights are copied, so rebuild
    it after changing the model). The ONNX role graph is this form; the torch backend keeps
    :meth:`StanceModel.read_cues`, whose fused eager kernel is faster than this in eager torch.

    Example:
        >>> from stance.configuration import StanceConfig
        >>> config = StanceConfig(encoder_config={"model_type": "bert", "hidden_size": 32,
        ...     "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64,
        ...     "vocab_size": 100}, role_ffn_dim=32)
        >>> model = StanceModel(config).eval()
        >>> states, mask = torch.randn(2, 5, 32), torch.ones(2, 5, dtype=torch.long)
        >>> window, cue = torch.tensor([0, 1, 1]), torch.zeros(3, 5, dtype=torch.long)
        >>> cue[:, 2] = 1
        >>> expected = model.read_cues(states, mask, window, cue)
        >>> torch.allclose(CueReader(model)(states, mask, window, cue), expected, atol=1e-5)
        True
    """

    def __init__(self, model: StanceModel):
        super().__init__()
        first = model.role_encoder.layers[0]
        if not first.norm_first:
            raise ValueError("CueReader needs a pre-norm role layer (norm_first=True)")
        self.model = model
        self.first = first
        attention = first.self_attn
        self.heads = attention.num_heads
        width = attention.embed_dim
        with torch.no_grad():
            # Query rows carry the attention's 1/sqrt(head width), so no per-cue scaling is left.
            scale = torch.ones(3 * width)
            scale[:width] = (width // self.heads) ** -0.5
            weight = attention.in_proj_weight.float() * first.norm1.weight.float()[None, :]
            bias = attention.in_proj_weight.float() @ first.norm1.bias.float()
            bias = (bias + attention.in_proj_bias.float()) * scale
            self.window_projection = nn.Linear(width, 3 * width, bias=False)
            self.window_projection.weight.copy_(weight * scale[:, None])
        self.register_buffer("projection_bias", bias, persistent=False)
        self.eps = first.norm1.eps

    def forward(
        self,
        states: torch.Tensor,
        attention_mask: torch.Tensor,
        pair_window: torch.Tensor,
        pair_cue_mask: torch.Tensor,
    ) -> torch.Tensor:
        """[P, T, H] cue-conditioned states, as :meth:`StanceModel.read_cues` (see there)."""
        model, first = self.model, self.first
        base = model.role_down(states) if model.config.role_bottleneck else states
        buckets = cue_distance_buckets(pair_cue_mask)
        _, length, width = base.shape
        head_width = width // self.heads
        table = model.cue_distance.weight
        rows = len(table)
        centred = (base - base.mean(dim=-1, keepdim=True)).reshape(-1, width)
        centred_table = table - table.mean(dim=-1, keepdim=True)
        # The layer norm's variance of x = base[window] + table[bucket], from per-window and
        # per-distance sums: |a + b|^2 = |a|^2 + 2 a.b + |b|^2 (no [P, T, H] tensor needed).
        cross = centred @ centred_table.T  # [B*T, buckets]
        squares = centred.pow(2).sum(dim=-1)
        # Row of each (pair, position) in the flattened [B*T] window tokens.
        positions = torch.arange(length, device=base.device)[None, :]
        token = (pair_window[:, None] * length + positions).reshape(-1)
        flat_buckets = buckets.reshape(-1)
        pair_cross = cross.index_select(0, token).gather(1, flat_buckets[:, None])[:, 0]
        square_sum = (
            squares.index_select(0, token)
            + 2 * pair_cross
            + centred_table.pow(2).sum(dim=-1).index_select(0, flat_buckets)
        )
        norm = torch.sqrt(square_sum / width + self.eps).reshape(-1, length, 1)
        # The table's projection is computed per call (97 rows) rather than stored: as a
        # constant it took the ONNX files over the 25 MB limit. One product for table and
        # windows keeps one int8 copy of the weight; the table goes first, padded to an even
        # row count, so its rows pair up the same way in every call (see ``even_rows``).
        stacked = torch.cat([centred_table, centred_table[-1:], centred])
        projected = self.window_projection(stacked)
        qkv = projected[rows + 1 :].index_select(0, token) + projected[:rows].index_select(
            0, flat_buckets
        )
        qkv = qkv.reshape(-1, length, 3 * width) / norm + self.projection_bias
        query, key, value = qkv.view(-1, length, 3, self.heads, head_width).permute(2, 0, 3, 1, 4)
        blocked = (1 - attention_mask.index_select(0, pair_window)).to(qkv.dtype)[:, None, None, :]
        scores = query @ key.transpose(-1, -2) + blocked * torch.finfo(qkv.dtype).min
        context = (scores.softmax(dim=-1) @ value).transpose(1, 2).reshape(-1, length, width)
        read = base.reshape(-1, width).index_select(0, token) + table.index_select(0, flat_buckets)
        read = read.reshape(-1, length, width)
        read = read + first.self_attn.out_proj(context)
        read = read + first.linear2(first.activation(first.linear1(first.norm2(read))))
        padding = attention_mask[pair_window] == 0
        for layer in model.role_encoder.layers[1:]:
            read = layer(read, src_key_padding_mask=padding)
        if not model.config.role_bottleneck:
            return read
        return states[pair_window] + model.role_up(read)


class _Encoder(nn.Module):
    def __init__(self, model: StanceModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        # The same computation as StanceModel.encode, with the additive [B, 1, 1, T] padding
        # mask built here: transformers' own mask builder exports as index grids that took
        # ~3 kB per (window, token, token) at run time (370 MB for 117 windows of 70 tokens).
        bert = self.model.encoder
        embedded = bert.embeddings(input_ids=input_ids)
        blocked = (1 - attention_mask[:, None, None, :]).to(embedded.dtype)
        additive = blocked * torch.finfo(embedded.dtype).min
        states = bert.encoder(embedded, attention_mask=additive).last_hidden_state
        return states, torch.softmax(self.model.cue_classifier(states), dim=-1)


class _Roles(nn.Module):
    def __init__(self, model: StanceModel):
        super().__init__()
        self.model = model
        self.reader = CueReader(model)

    def forward(
        self,
        states: torch.Tensor,
        attention_mask: torch.Tensor,
        pair_window: torch.Tensor,
        pair_cue_mask: torch.Tensor,
    ) -> Any:
        pair_states = self.reader(states, attention_mask, pair_window, pair_cue_mask)
        return pair_states, torch.softmax(self.model.role_classifier(pair_states), dim=-1)


class _Stance(nn.Module):
    def __init__(self, model: StanceModel):
        super().__init__()
        self.model = model

    def forward(
        self,
        pair_states: torch.Tensor,
        pair_cue_mask: torch.Tensor,
        item_pair: torch.Tensor,
        item_content_mask: torch.Tensor,
    ) -> Any:
        logits = self.model.classify_stance(
            pair_states, pair_cue_mask, item_pair, item_content_mask
        )
        return self.model.stance_probabilities(logits)


class _Mentions(nn.Module):
    def __init__(self, model: StanceModel):
        super().__init__()
        self.model = model

    def forward(self, states: torch.Tensor) -> Any:
        return torch.softmax(self.model.mention_classifier(states), dim=-1)


class _Speakers(nn.Module):
    def __init__(self, model: StanceModel):
        super().__init__()
        self.model = model

    def forward(
        self, anchors: torch.Tensor, candidates: torch.Tensor, buckets: torch.Tensor
    ) -> Any:
        return self.model.score_speakers(anchors, candidates, buckets)


def _export(
    module: nn.Module,
    args: tuple[torch.Tensor, ...],
    input_names: list[str],
    output_names: list[str],
    dynamic: list[dict[int, str]],
    path: Path,
) -> None:
    from torch.export import Dim

    dims: dict[str, Any] = {}
    shapes = tuple({axis: dims.setdefault(n, Dim(n)) for axis, n in d.items()} for d in dynamic)
    # The fast-path attention kernel has no ONNX form; the plain path exports as ordinary ops.
    # (The TorchScript exporter baked the token count of the sample into the role head's
    # reshapes, so the dynamo exporter is used.)
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=input_names,
            output_names=output_names,
            dynamic_shapes=shapes,
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    finally:
        torch.backends.mha.set_fastpath_enabled(True)


def export_fp32(model: StanceModel, folder: Path) -> dict[str, Path]:
    """Exports the three graphs in fp32 (int8 word embeddings) into ``folder``."""
    model = model.eval().float()
    embeddings = model.encoder.embeddings
    embeddings.word_embeddings = Int8RowEmbedding(embeddings.word_embeddings.weight.detach())
    embeddings.position_embeddings = Int8RowEmbedding(
        embeddings.position_embeddings.weight.detach()
    )
    hidden = model.config.hidden_size
    batch, width, pairs, items = 2, 7, 3, 2
    ids = torch.full((batch, width), 5, dtype=torch.long)
    mask = torch.ones(batch, width, dtype=torch.long)
    mask[1, 5:] = 0
    states = torch.randn(batch, width, hidden)
    pair_window = torch.tensor([0, 1, 1])
    cue_mask = torch.zeros(pairs, width, dtype=torch.long)
    cue_mask[:, 2] = 1
    item_pair = torch.tensor([0, 2])
    content_mask = torch.zeros(items, width, dtype=torch.long)
    content_mask[:, 3:5] = 1
    paths = {name: folder / name for name in (ENCODER_FILE, ROLES_FILE, STANCE_FILE)}
    bt = {0: "batch", 1: "tokens"}
    pt = {0: "pairs", 1: "tokens"}
    with torch.no_grad():
        _export(
            _Encoder(model).eval(),
            (ids, mask),
            ["input_ids", "attention_mask"],
            ["states", "cue_probs"],
            [bt, bt],
            paths[ENCODER_FILE],
        )
        _export(
            _Roles(model).eval(),
            (states, mask, pair_window, cue_mask),
            ["states", "attention_mask", "pair_window", "pair_cue_mask"],
            ["pair_states", "role_probs"],
            [bt, bt, {0: "pairs"}, pt],
            paths[ROLES_FILE],
        )
        _export(
            _Stance(model).eval(),
            (torch.randn(pairs, width, hidden), cue_mask, item_pair, content_mask),
            ["pair_states", "pair_cue_mask", "item_pair", "item_content_mask"],
            ["stance_probs"],
            [pt, pt, {0: "items"}, {0: "items", 1: "tokens"}],
            paths[STANCE_FILE],
        )
        if model.config.speaker_head:
            paths[MENTIONS_FILE] = folder / MENTIONS_FILE
            paths[SPEAKERS_FILE] = folder / SPEAKERS_FILE
            _export(
                _Mentions(model).eval(),
                (states,),
                ["states"],
                ["mention_probs"],
                [bt],
                paths[MENTIONS_FILE],
            )
            _export(
                _Speakers(model).eval(),
                (torch.randn(3, hidden), torch.randn(4, hidden), torch.ones(3, 4).long()),
                ["anchors", "candidates", "buckets"],
                ["speaker_logits"],
                [{0: "anchors"}, {0: "candidates"}, {0: "anchors", 1: "candidates"}],
                paths[SPEAKERS_FILE],
            )
    return paths


def _gemm_to_matmul(model: Any) -> None:
    """Rewrites ``Gemm(A, W, b)`` with a constant W as ``MatMul(A, W') + b``, in place.

    The weight-only quantizer handles MatMul only; torch exports some linear layers as Gemm.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    nodes = list(graph.node)
    del graph.node[:]
    for node in nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        plain = attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        if (
            node.op_type != "Gemm"
            or not plain
            or attrs.get("transA", 0)
            or node.input[1] not in inits
        ):
            graph.node.append(node)
            continue
        weight = numpy_helper.to_array(inits[node.input[1]])
        if attrs.get("transB", 0):
            weight = np.ascontiguousarray(weight.T)
        name = node.input[1] + "_matmul"
        graph.initializer.append(numpy_helper.from_array(weight, name))
        product = node.output[0] + "_product" if len(node.input) > 2 else node.output[0]
        graph.node.append(helper.make_node("MatMul", [node.input[0], name], [product], node.name))
        if len(node.input) > 2:
            graph.node.append(
                helper.make_node(
                    "Add", [product, node.input[2]], [node.output[0]], node.name + "_bias"
                )
            )
    used = {name for node in graph.node for name in node.input}
    keep = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)


def _strip(model: Any) -> None:
    """Drops exporter debug data (source stack traces per node): size, and byte stability."""
    for node in model.graph.node:
        node.doc_string = ""
        del node.metadata_props[:]
    for value in list(model.graph.value_info):
        del value.metadata_props[:]
    del model.metadata_props[:]
    model.graph.doc_string = ""
    model.producer_version = ""


def quantize(source: Path, target: Path) -> None:
    """Int8 weights (per block of ``BLOCK_SIZE`` rows) for every MatMul of a graph."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    model = onnx.load(str(source))
    _gemm_to_matmul(model)
    config = DefaultWeightOnlyQuantConfig(
        block_size=BLOCK_SIZE,
        is_symmetric=True,
        accuracy_level=4,
        bits=8,
    )
    quantizer = MatMulNBitsQuantizer(model, algo_config=config)
    quantizer.process()
    quantized = quantizer.model.model
    _strip(quantized)
    onnx.save_model(quantized, str(target))


def calibration_batches(
    predictor: Any, texts: Sequence[str] | None = None
) -> list[dict[str, np.ndarray]]:
    """Encoder inputs for calibrating static quantization: ``texts`` cut into the predictor's
    windows and packed as the ONNX backend packs them.

    Args:
        predictor: A :class:`stance.decoding.Predictor` of the model (its tokenizer and
            prediction window; nothing is run through it).
        texts: Default: :data:`CALIBRATION_DOCUMENTS` training-split documents of the corpus
            (chosen with seed 0), never validation or test.

    Raises:
        FileNotFoundError: no texts given and no compiled corpus to take them from.
    """
    from stance.corpus import read_corpus
    from stance.decoding import pack_windows, pad_batch
    from stance.onnx_backend import TOKEN_BUDGET

    if texts is None:
        try:
            train = [d for d in read_corpus() if d["split"] == "train"]
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"{err}; or give calibration texts (`--calibration FILE`, one text per line)"
            ) from err
        chosen = np.random.default_rng(0).choice(
            len(train), min(CALIBRATION_DOCUMENTS, len(train)), replace=False
        )
        texts = [train[i]["text"] for i in sorted(chosen)]
    windows = predictor.windows(texts)
    batches = []
    for batch in pack_windows([len(w) for w in windows], TOKEN_BUDGET):
        ids, mask = pad_batch([windows[i] for i in batch], predictor.tokenizer.pad_token_id)
        batches.append({"input_ids": ids, "attention_mask": mask})
    return batches


def quantize_static_encoder(
    source: Path,
    target: Path,
    batches: Sequence[dict[str, np.ndarray]],
    weight_only_ffn_output: bool = True,
) -> None:
    """Static int8 (QDQ) encoder: fixed activation scales from ``batches`` (MinMax).

    Weights are int8 per output channel, activations uint8 with scales fixed in the file, so
    results cannot depend on the batch. With ``weight_only_ffn_output`` the feed-forward output
    projections (their inputs, after GELU, have the widest ranges) keep the weight-only int8
    form of :func:`quantize` instead.
    """
    import onnx
    from onnx import numpy_helper
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    model = onnx.load(str(source))
    _gemm_to_matmul(model)
    weights = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    products = [n for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    # The feed-forward output projections: the products with the most input rows
    # (intermediate size -> hidden size).
    widest = max(weights[node.input[1]].shape[0] for node in products)
    excluded = [
        node.name
        for node in products
        if weight_only_ffn_output and weights[node.input[1]].shape[0] == widest
    ]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared, static = Path(tmp) / "prepared.onnx", Path(tmp) / "static.onnx"
        onnx.save_model(model, str(prepared))
        quantize_static(
            str(prepared),
            str(static),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=excluded,
        )
        # What static quantization left in fp32 (the excluded products) becomes weight-only.
        quantize(static, target)


def export(
    model_dir: Path,
    output_dir: Path,
    static_encoder: bool = False,
    calibration_texts: Sequence[str] | None = None,
) -> Path:
    """Exports the model in ``model_dir`` to ONNX int8 in ``output_dir``.

    Args:
        model_dir: A saved stance model (config.json, model.safetensors, tokenizer.json).
        output_dir: Where the graphs and manifest go (created; existing graphs replaced).
        static_encoder: Quantize the encoder statically (:func:`quantize_static_encoder`):
            faster, but further from the trained model than the default weight-only form
            (``reports/quantization-trial.md``).
        calibration_texts: With ``static_encoder``, the texts whose activations fix its scales
            (default: training-split documents of the corpus, :func:`calibration_batches`).

    Returns:
        The manifest path.
    """
    model_dir, output_dir = Path(model_dir), Path(output_dir)
    torch.manual_seed(0)
    model = load_folder(model_dir)
    config = model.config
    batches = []
    if static_encoder:  # windows only: the model is not run, and export_fp32 changes it after
        from stance.inference import Predictor
        from stance.tokenization import WordPieceTokenizer

        predictor = Predictor(model, WordPieceTokenizer.from_folder(model_dir))
        batches = calibration_batches(predictor, calibration_texts)
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_fp32(model, Path(tmp))
        for name, path in fp32.items():
            if name == ENCODER_FILE and static_encoder:
                quantize_static_encoder(path, output_dir / name, batches)
            else:
                quantize(path, output_dir / name)
        for stale in (MENTIONS_FILE, SPEAKERS_FILE):
            if stale not in fp32:
                (output_dir / stale).unlink(missing_ok=True)
    files = {name: streamed_sha256(output_dir / name) for name in fp32}
    static = (
        "encoder: static QDQ int8 (weights per output channel, uint8 activations with MinMax "
        f"scales from {len(batches)} calibration batches) except the feed-forward output "
        "projections; those and every other graph's "
        if static_encoder
        else ""
    )
    manifest = {
        "format_version": FORMAT_VERSION,
        "labels": list(config.labels),
        # The windows the model predicts with (config.prediction_window), not the training ones.
        "window_length": config.prediction_window[0],
        "window_overlap": config.prediction_window[1],
        "source_weights_sha256": streamed_sha256(model_dir / WEIGHTS_NAME),
        "quantization": (
            f"{static}MatMul weights int8, symmetric, one scale per {BLOCK_SIZE} input rows "
            "(MatMulNBits bits=8, accuracy_level=4: activations quantized per row at run time; "
            "rows padded to even counts at run time); "
            "word embeddings int8 with one scale per row; everything else fp32"
        ),
        "opset": OPSET,
        "speaker_head": bool(config.speaker_head),
        # Baked into stance.onnx; recorded so that a loader can tell a stale export.
        "stance_temperature": float(config.stance_temperature),
        "stance_offsets": [float(b) for b in config.stance_offsets],
        "files": files,
    }
    path = output_dir / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="stance/default_model", help="stance model folder")
    parser.add_argument("--output", default=None, help="output folder (default: <model>/onnx)")
    parser.add_argument(
        "--calibration",
        default=None,
        help="with --static-encoder: text file, one text per line, for the encoder's scales "
        f"(default: {CALIBRATION_DOCUMENTS} training-split documents of the corpus)",
    )
    parser.add_argument(
        "--static-encoder",
        action="store_true",
        help="quantize the encoder statically: faster, further from the trained model "
        "(reports/quantization-trial.md)",
    )
    args = parser.parse_args(argv)
    output = Path(args.output) if args.output else Path(args.model) / "onnx"
    texts = None
    if args.calibration:
        lines = Path(args.calibration).read_text(encoding="utf-8").splitlines()
        texts = [line for line in lines if line.strip()]
        if not texts:
            parser.error(f"{args.calibration} has no text: give one text per line")
    if texts and not args.static_encoder:
        parser.error("--calibration is for --static-encoder")
    manifest = export(Path(args.model), output, args.static_encoder, texts)
    total = sum(p.stat().st_size for p in output.iterdir() if p.is_file())
    print(f"wrote {manifest.parent} ({total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
