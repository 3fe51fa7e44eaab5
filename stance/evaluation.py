"""Scores for attributed-statement extraction and stance classification (pure Python + numpy).

Data format shared by every function here:

- a *document* is ``{"id", "text", "statements": [...]}``;
- a *statement* is ``{"source": span | None, "cue": span, "content": span, "label": str,
  "scores": {label: prob}}`` (``label`` may be absent in unlabelled gold such as PolNeAR,
  ``scores`` is only present in predictions);
- a *span* is ``{"start", "end", "text"}`` or, for discontinuous gold spans (PolNeAR),
  ``{"pieces": [[start, end], ...], "text"}``.

Gold and predicted documents are aligned lists (same order, same texts).

Two span comparisons are offered. *Exact* compares the character pieces after trimming
whitespace, quote marks and trailing ``,;:.``, so the corpus convention "content excludes quote
marks and trailing punctuation" is not penalised when another corpus keeps them. *Overlap*
compares the sets of word tokens (``\\w+`` matches) of the two spans with the token F1 and
accepts a pair at ``>= 0.5``; punctuation is invisible to it, so it is the fair comparison across
annotation conventions.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.corpus import QUOTE_CHARS
from stance.types import LABELS

SpanDict = Mapping[str, Any]
Document = Mapping[str, Any]

#: The statement parts that span scores are computed for.
PARTS: tuple[str, ...] = ("source", "cue", "content")
#: The span comparison modes.
MODES: tuple[str, ...] = ("exact", "overlap")
#: Minimum token F1 for two spans to count as the same span in overlap mode.
OVERLAP_THRESHOLD = 0.5
#: Number of equal-width confidence bins of the expected calibration error.
ECE_BINS = 10

_WORD = re.compile(r"\w+")
_TRAILING_PUNCTUATION = ",;:."

Tokens = frozenset[tuple[int, int]]


def prediction_documents(
    docs: Sequence[Document], predictions: Sequence[Sequence[Any]]
) -> list[dict[str, Any]]:
    """Predicted documents in the shared format, from ``Statement`` lists aligned with ``docs``.

    Example:
        >>> prediction_documents([{"id": "d1", "text": "No."}], [[]])
        [{'id': 'd1', 'text': 'No.', 'statements': []}]
    """
    return [
        {"id": d["id"], "text": d["text"], "statements": [s.to_dict() for s in statements]}
        for d, statements in zip(docs, predictions, strict=True)
    ]


# --------------------------------------------------------------------------------------------
# Spans
# --------------------------------------------------------------------------------------------


def span_pieces(span: SpanDict) -> list[tuple[int, int]]:
    """Returns the ``(start, end)`` character pieces of a contiguous or discontinuous span.

    Args:
        span: ``{"start", "end", ...}`` or ``{"pieces": [[start, end], ...], ...}``.

    Returns:
        The pieces, in the order the span lists them.

    Example:
        >>> span_pieces({"start": 4, "end": 8, "text": "port"})
        [(4, 8)]
        >>> span_pieces({"pieces": [[0, 3], [10, 14]], "text": "The port"})
        [(0, 3), (10, 14)]
    """
    if "pieces" in span:
        return [(int(start), int(end)) for start, end in span["pieces"]]
    return [(int(span["start"]), int(span["end"]))]


def span_tokens(text: str, span: SpanDict) -> Tokens:
    """Returns the character ranges of the word tokens (``\\w+``) inside a span's pieces.

    Punctuation and quote marks produce no token, so spans that differ only in quote marks or a
    trailing comma have the same tokens.

    Args:
        text: The document text the span's offsets refer to.
        span: A span dictionary (see :func:`span_pieces`).

    Returns:
        A frozen set of ``(start, end)`` document offsets, one per token.

    Example:
        >>> sorted(span_tokens('"We rebuild," she said', {"start": 0, "end": 12}))
        [(1, 3), (4, 11)]
        >>> sorted(span_tokens("KESSEL: No.", {"start": 6, "end": 7}))  # a colon cue
        [(6, 7)]
    """
    tokens: set[tuple[int, int]] = set()
    for start, end in span_pieces(span):
        tokens.update((start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end]))
    if not tokens:
        # A cue can be punctuation alone: a transcript turn's colon, the dash before an embedded
        # post's author. Its characters (quote marks aside) are its tokens, so it can match the
        # same punctuation.
        tokens.update(
            (i, i + 1) for start, end in span_pieces(span) for i in range(start, end)
            if not text[i].isspace() and text[i] not in QUOTE_CHARS
        )  # fmt: skip
    return frozenset(tokens)


def _dice(tokens_a: Tokens, tokens_b: Tokens) -> float:
    # Kept separate from token_f1 so matching can reuse precomputed token sets.
    if not tokens_a or not tokens_b:
        return 0.0
    return 2 * len(tokens_a & tokens_b) / (len(tokens_a) + len(tokens_b))


def token_f1(text: str, span_a: SpanDict, span_b: SpanDict) -> float:
    """Token F1 of two spans: ``2|A∩B| / (|A| + |B|)`` over their word-token sets.

    Args:
        text: The document text.
        span_a: First span.
        span_b: Second span.

    Returns:
        A value in ``[0, 1]``; ``0.0`` if either span has no word token.

    Example:
        >>> text = "the port was closed on Monday"
        >>> token_f1(text, {"start": 0, "end": 19}, {"start": 4, "end": 29})
        0.6666666666666666
    """
    return _dice(span_tokens(text, span_a), span_tokens(text, span_b))


def trim_offsets(text: str, start: int, end: int) -> tuple[int, int]:
    """Trims whitespace and quote marks from both ends and ``,;:.`` from the end of a range.

    This is the corpus convention for content spans (GUIDELINES.md section 2), used both to
    normalise spans for exact matching and to cut predicted spans.

    Args:
        text: The document text.
        start: Start offset (inclusive).
        end: End offset (exclusive).

    Returns:
        The trimmed ``(start, end)``; ``start == end`` if nothing is left.

    Example:
        >>> text = ' "We have done our part," she said.'
        >>> start, end = trim_offsets(text, 0, 25)
        >>> text[start:end]
        'We have done our part'
    """
    while start < end and (text[start].isspace() or text[start] in QUOTE_CHARS):
        start += 1
    # Loop on the end as a whole because quote marks and commas interleave: `part,"` or `part",`.
    while end > start and (
        text[end - 1].isspace()
        or text[end - 1] in QUOTE_CHARS
        or text[end - 1] in _TRAILING_PUNCTUATION
    ):
        end -= 1
    return start, end


def exact_key(text: str, span: SpanDict) -> frozenset[tuple[int, int]]:
    """Returns the normalised identity of a span for exact matching: its set of trimmed pieces.

    Args:
        text: The document text.
        span: A span dictionary.

    Returns:
        The trimmed non-empty pieces as a frozen set.

    Example:
        >>> text = '"The port is closed," she said.'
        >>> exact_key(text, {"start": 0, "end": 21}) == exact_key(text, {"start": 1, "end": 19})
        True
        >>> exact_key("KESSEL: No.", {"start": 6, "end": 7})
        frozenset({(6, 7)})
    """
    pieces = span_pieces(span)
    trimmed = frozenset(
        (start, end) for start, end in (trim_offsets(text, *piece) for piece in pieces)
        if start < end
    )  # fmt: skip
    # Punctuation alone (a transcript turn's colon cue) is its own identity, not an empty one
    # that would equal every other.
    return trimmed or frozenset((start, end) for start, end in pieces if start < end)


# --------------------------------------------------------------------------------------------
# Matching and counts
# --------------------------------------------------------------------------------------------


def greedy_match(similarity: Sequence[Sequence[float]], threshold: float) -> list[tuple[int, int]]:
    """One-to-one matching of rows (gold) to columns (predictions), greedy by similarity.

    Pairs are taken in order of descending similarity; ties are broken by gold index, then
    prediction index, so the result never depends on dictionary or set order. A pair is only
    eligible when its similarity is at least ``threshold``.

    Args:
        similarity: ``similarity[i][j]`` for gold item ``i`` and predicted item ``j``.
        threshold: Minimum similarity of a matched pair.

    Returns:
        The matched ``(gold_index, pred_index)`` pairs, in the order they were taken.

    Example:
        >>> greedy_match([[0.9, 0.6], [0.8, 0.1]], threshold=0.5)
        [(0, 0)]
        >>> greedy_match([[0.6, 0.6], [0.6, 0.1]], threshold=0.5)
        [(0, 0)]
    """
    candidates = sorted(
        (-score, i, j)
        for i, row in enumerate(similarity)
        for j, score in enumerate(row)
        if score >= threshold
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            pairs.append((i, j))
    return pairs


def prf(tp: int, n_gold: int, n_pred: int) -> dict[str, float | int]:
    """Precision, recall and F1 from counts (each ``0.0`` when its denominator is zero).

    Args:
        tp: Number of matched (true positive) items.
        n_gold: Number of gold items.
        n_pred: Number of predicted items.

    Returns:
        ``{"precision", "recall", "f1", "tp", "n_gold", "n_pred"}``.

    Example:
        >>> scores = prf(tp=2, n_gold=4, n_pred=2)
        >>> scores["precision"], scores["recall"], round(scores["f1"], 4)
        (1.0, 0.5, 0.6667)
    """
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "n_gold": n_gold,
        "n_pred": n_pred,
    }


def _aligned(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document]
) -> list[tuple[Document, Document]]:
    # Scores are meaningless if documents are misaligned, and offsets refer to the text, so a
    # mismatch is an error rather than something to average over.
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(pred_docs)} predicted ones")
    for number, (gold, pred) in enumerate(zip(gold_docs, pred_docs, strict=True)):
        if "text" in pred and pred["text"] != gold["text"]:
            raise ValueError(f"document {number} ({gold.get('id')}): texts differ")
    return list(zip(gold_docs, pred_docs, strict=True))


def _distinct_spans(doc: Document, part: str) -> list[SpanDict]:
    # Several statements share a source or cue; each distinct span is counted once.
    seen: set[tuple[tuple[int, int], ...]] = set()
    spans: list[SpanDict] = []
    for statement in doc["statements"]:
        span = statement.get(part)
        if span is None:
            continue
        key = tuple(sorted(span_pieces(span)))
        if key not in seen:
            seen.add(key)
            spans.append(span)
    return spans


def _similarity(
    text: str, gold: Sequence[SpanDict], pred: Sequence[SpanDict], mode: str
) -> tuple[list[list[float]], float]:
    """Returns the gold x prediction similarity matrix and the acceptance threshold."""
    if mode == "exact":
        gold_keys = [exact_key(text, span) for span in gold]
        pred_keys = [exact_key(text, span) for span in pred]
        return [[float(bool(g) and g == p) for p in pred_keys] for g in gold_keys], 1.0
    if mode == "overlap":
        gold_tokens = [span_tokens(text, span) for span in gold]
        pred_tokens = [span_tokens(text, span) for span in pred]
        return [[_dice(g, p) for p in pred_tokens] for g in gold_tokens], OVERLAP_THRESHOLD
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


def _content_similarity(gold: Document, pred: Document) -> tuple[list[list[float]], float]:
    """Token-overlap similarity of every gold statement's content to every predicted one's."""
    return _similarity(
        gold["text"],
        [s["content"] for s in gold["statements"]],
        [s["content"] for s in pred["statements"]],
        "overlap",
    )


def span_scores(
    gold_docs: Sequence[Document],
    pred_docs: Sequence[Document],
    part: str,
    mode: str = "overlap",
) -> dict[str, float | int]:
    """Micro-averaged P/R/F1 of one statement part's distinct spans.

    Per document, the distinct spans of ``part`` (identical spans shared by several statements
    count once; ``None`` sources are skipped) are matched one-to-one (:func:`greedy_match`);
    counts are summed over documents.

    Args:
        gold_docs: Gold documents.
        pred_docs: Predicted documents, aligned with ``gold_docs``.
        part: ``"source"``, ``"cue"`` or ``"content"``.
        mode: ``"exact"`` (equal trimmed pieces) or ``"overlap"`` (token F1 >= 0.5).

    Returns:
        ``{"precision", "recall", "f1", "tp", "n_gold", "n_pred"}``.

    Raises:
        ValueError: On an unknown part or mode, or misaligned documents.

    Example:
        >>> text = "Marsh said the port was closed on Monday."
        >>> gold = [{"text": text, "statements": [
        ...     {"source": None, "cue": {"start": 6, "end": 10},
        ...      "content": {"start": 11, "end": 40}}]}]
        >>> pred = [{"text": text, "statements": [
        ...     {"source": None, "cue": {"start": 6, "end": 10},
        ...      "content": {"start": 11, "end": 30}}]}]
        >>> span_scores(gold, pred, "content", "overlap")["f1"]
        1.0
        >>> span_scores(gold, pred, "content", "exact")["f1"]
        0.0
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    tp = n_gold = n_pred = 0
    for gold, pred in _aligned(gold_docs, pred_docs):
        gold_spans = _distinct_spans(gold, part)
        pred_spans = _distinct_spans(pred, part)
        similarity, threshold = _similarity(gold["text"], gold_spans, pred_spans, mode)
        tp += len(greedy_match(similarity, threshold))
        n_gold += len(gold_spans)
        n_pred += len(pred_spans)
    return prf(tp, n_gold, n_pred)


def join_contents_by_cue(docs: Sequence[Document]) -> list[dict[str, Any]]:
    """The documents with the contents that share a cue (and source) joined into one statement.

    Our guidelines make one statement per part of a quote interrupted by its cue ('"A," she
    said, "B"') and per differently-labelled clause under one cue; PolNeAR gives each cue one
    content, discontinuous where the quote is interrupted. Scoring predictions joined this way
    shows how much of a real-news gap is that convention (the joined statement keeps the first
    part's label; span scores ignore labels).

    Example:
        >>> text = '"We will rebuild," she said, "and it will take years."'
        >>> cue, source = {"start": 23, "end": 27}, {"start": 19, "end": 22}
        >>> doc = {"id": "d", "text": text, "statements": [
        ...     {"source": source, "cue": cue, "content": {"start": 1, "end": 16},
        ...      "label": "assertion"},
        ...     {"source": source, "cue": cue, "content": {"start": 30, "end": 52},
        ...      "label": "assertion"}]}
        >>> joined = join_contents_by_cue([doc])[0]["statements"]
        >>> len(joined), joined[0]["content"]["pieces"]
        (1, [[1, 16], [30, 52]])
    """
    joined_docs = []
    for doc in docs:
        groups: dict[Any, list[dict[str, Any]]] = {}
        for statement in doc["statements"]:
            source = statement.get("source")
            key = (
                tuple(span_pieces(statement["cue"])),
                tuple(span_pieces(source)) if source else None,
            )
            groups.setdefault(key, []).append(statement)
        statements = []
        for group in groups.values():
            pieces = sorted({p for st in group for p in span_pieces(st["content"])})
            content = {
                "pieces": [list(p) for p in pieces],
                "text": " … ".join(doc["text"][a:b] for a, b in pieces),
            }
            statements.append({**group[0], "content": content})
        joined_docs.append({**doc, "statements": statements})
    return joined_docs


def sources_with_descriptions(docs: Sequence[Document]) -> list[dict[str, Any]]:
    """The documents with each source widened over the description that follows it.

    Our guidelines keep a following appositive out of the source and give it apart as
    ``source_description`` ("Lena Marsh" + "a spokeswoman for the port authority"); PolNeAR
    marks both as one source ("Lena Marsh, a spokeswoman for the port authority"). Scoring
    sources widened this way shows how much of a real-news source gap is that convention.

    Example:
        >>> text = "Lena Marsh, a port spokeswoman, said it rained."
        >>> doc = {"id": "d", "text": text, "statements": [
        ...     {"source": {"start": 0, "end": 10}, "cue": {"start": 32, "end": 36},
        ...      "content": {"start": 37, "end": 46},
        ...      "source_description": {"start": 12, "end": 30}}]}
        >>> sources_with_descriptions([doc])[0]["statements"][0]["source"]["text"]
        'Lena Marsh, a port spokeswoman'
    """
    widened_docs = []
    for doc in docs:
        statements = []
        for statement in doc["statements"]:
            source, description = statement.get("source"), statement.get("source_description")
            if source is not None and description is not None:
                (start, end), description_end = (
                    span_pieces(source)[0],
                    span_pieces(description)[-1][1],
                )
                if description_end > end:
                    source = {
                        "pieces": [[start, description_end]],
                        "text": doc["text"][start:description_end],
                    }
            statements.append({**statement, "source": source})
        widened_docs.append({**doc, "statements": statements})
    return widened_docs


def statement_scores(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document]
) -> dict[str, Any]:
    """End-to-end statement P/R/F1: content overlap (token F1 >= 0.5) plus the same label.

    Statements are matched one-to-one per document, greedily by content token F1, among pairs
    with equal labels (labelled scores) or among all pairs (``"unlabelled"``). Statements are
    not deduplicated: two statements sharing a content are two items. When any gold statement
    has no label (PolNeAR), the labelled figures are ``None`` because they cannot be computed.

    Args:
        gold_docs: Gold documents.
        pred_docs: Predicted documents, aligned with ``gold_docs``.

    Returns:
        ``{"precision", "recall", "f1", "tp", "n_gold", "n_pred", "unlabelled": {...same}}``.

    Example:
        >>> text = "Marsh said the port could close."
        >>> content = {"start": 11, "end": 31}
        >>> gold = [{"text": text, "statements": [
        ...     {"source": None, "cue": None, "content": content, "label": "speculation"}]}]
        >>> pred = [{"text": text, "statements": [
        ...     {"source": None, "cue": None, "content": content, "label": "assertion"}]}]
        >>> scores = statement_scores(gold, pred)
        >>> scores["f1"], scores["unlabelled"]["f1"]
        (0.0, 1.0)
    """
    labelled_tp = unlabelled_tp = n_gold = n_pred = 0
    has_labels = True
    for gold, pred in _aligned(gold_docs, pred_docs):
        gold_statements = gold["statements"]
        pred_statements = pred["statements"]
        similarity, threshold = _content_similarity(gold, pred)
        unlabelled_tp += len(greedy_match(similarity, threshold))
        has_labels = has_labels and all("label" in s for s in gold_statements)
        # Label-unequal pairs get -1 so they can never reach the threshold.
        labelled = [
            [
                score if g.get("label") == p.get("label") else -1.0
                for p, score in zip(pred_statements, row, strict=True)
            ]
            for g, row in zip(gold_statements, similarity, strict=True)
        ]
        labelled_tp += len(greedy_match(labelled, threshold))
        n_gold += len(gold_statements)
        n_pred += len(pred_statements)
    scores: dict[str, Any] = prf(labelled_tp, n_gold, n_pred)
    if not has_labels:
        scores.update(precision=None, recall=None, f1=None, tp=None)
    scores["unlabelled"] = prf(unlabelled_tp, n_gold, n_pred)
    return scores


def content_recall_by(
    gold_docs: Sequence[Document],
    pred_docs: Sequence[Document],
    group: Callable[[str, Mapping[str, Any]], str],
) -> dict[str, dict[str, float | int]]:
    """Content recall (token F1 >= 0.5, one-to-one) of the gold statements, per group.

    Predicted and gold contents are matched per document exactly as in
    :func:`statement_scores` (unlabelled); each gold statement then counts towards the group
    that ``group(text, statement)`` names, so the groups' ``found`` add up to its ``tp``.

    Args:
        gold_docs: Gold documents.
        pred_docs: Predicted documents, aligned with ``gold_docs``.
        group: Names a gold statement's group from the document text and the statement.

    Returns:
        ``{group: {"gold", "found", "recall"}}``, groups sorted by name.

    Example:
        >>> text = "Marsh said the port closed. Rivera wants the port reopened."
        >>> said = {"cue": {"start": 6, "end": 10}, "content": {"start": 11, "end": 26}}
        >>> wants = {"cue": {"start": 35, "end": 40}, "content": {"start": 41, "end": 58}}
        >>> gold = [{"text": text, "statements": [said, wants]}]
        >>> pred = [{"text": text, "statements": [said]}]
        >>> def cue_word(text, st):
        ...     return text[st["cue"]["start"] : st["cue"]["end"]]
        >>> by_cue = content_recall_by(gold, pred, cue_word)
        >>> by_cue["said"], by_cue["wants"]
        ({'gold': 1, 'found': 1, 'recall': 1.0}, {'gold': 1, 'found': 0, 'recall': 0.0})
    """
    gold_counts: Counter[str] = Counter()
    found_counts: Counter[str] = Counter()
    for gold, pred in _aligned(gold_docs, pred_docs):
        found = {g for g, _ in greedy_match(*_content_similarity(gold, pred))}
        for index, statement in enumerate(gold["statements"]):
            name = group(gold["text"], statement)
            gold_counts[name] += 1
            found_counts[name] += index in found
    return {
        name: {
            "gold": gold_counts[name],
            "found": found_counts[name],
            "recall": found_counts[name] / gold_counts[name],
        }
        for name in sorted(gold_counts)
    }


def document_scores(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> dict[str, Any]:
    """All extraction scores: every part x mode of :func:`span_scores` plus statement scores.

    Args:
        gold_docs: Gold documents.
        pred_docs: Predicted documents, aligned with ``gold_docs``.

    Returns:
        ``{"source": {"exact": {...}, "overlap": {...}}, "cue": {...}, "content": {...},
        "statement": statement_scores(...)}``.

    Example:
        >>> text = "Marsh said it rained."
        >>> doc = {"text": text, "statements": [{
        ...     "source": {"start": 0, "end": 5}, "cue": {"start": 6, "end": 10},
        ...     "content": {"start": 11, "end": 20}, "label": "assertion"}]}
        >>> scores = document_scores([doc], [doc])
        >>> scores["source"]["exact"]["f1"], scores["statement"]["f1"]
        (1.0, 1.0)
    """
    scores: dict[str, Any] = {
        part: {mode: span_scores(gold_docs, pred_docs, part, mode) for mode in MODES}
        for part in PARTS
    }
    scores["statement"] = statement_scores(gold_docs, pred_docs)
    return scores


# --------------------------------------------------------------------------------------------
# Stance classification
# --------------------------------------------------------------------------------------------


def probabilities_to_dict(item: Mapping[str, float] | Sequence[float] | str) -> dict[str, float]:
    """Normalises one probability record to ``{label: prob}``.

    Args:
        item: A ``{label: prob}`` mapping, a sequence of probabilities in :data:`LABELS` order,
            or a JSON string of either.

    Returns:
        ``{label: prob}`` over the given labels.

    Raises:
        ValueError: If a sequence does not have one value per label, or a label is unknown.

    Example:
        >>> probabilities_to_dict("[0.1, 0.2, 0.3, 0.4]")["assertion"]
        0.4
    """
    if isinstance(item, str):
        item = json.loads(item)
    if isinstance(item, Mapping):
        unknown = set(item) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)} in probabilities")
        return {str(label): float(prob) for label, prob in item.items()}
    values = list(item)
    if len(values) != len(LABELS):
        raise ValueError(f"expected {len(LABELS)} probabilities in {LABELS} order, got {values}")
    return {label: float(prob) for label, prob in zip(LABELS, values, strict=True)}


def expected_calibration_error(
    gold_labels: Sequence[str], probs: Sequence[Mapping[str, float]], n_bins: int = ECE_BINS
) -> float:
    """Expected calibration error over the maximum probability, with equal-width bins.

    Each example's confidence is its highest probability and it is correct when that label
    (ties broken by :data:`LABELS` order) is the gold label. Bins are ``(k/n, (k+1)/n]`` (the
    first also holds 0); ECE is the example-weighted mean of ``|accuracy - mean confidence|``.

    Args:
        gold_labels: Gold labels.
        probs: One ``{label: prob}`` per example.
        n_bins: Number of bins.

    Returns:
        The ECE in ``[0, 1]`` (``0.0`` for no examples).

    Example:
        >>> probs = [{"assertion": 0.9, "hedge": 0.1}, {"assertion": 0.9, "hedge": 0.1}]
        >>> round(expected_calibration_error(["assertion", "hedge"], probs), 6)
        0.4
    """
    if len(gold_labels) != len(probs):
        raise ValueError(f"{len(gold_labels)} gold labels but {len(probs)} probability records")
    if not probs:
        return 0.0
    # max() keeps the first maximum, so iterating in LABELS order breaks ties deterministically.
    predicted = [max(LABELS, key=lambda label, p=p: p.get(label, 0.0)) for p in probs]
    confidence = np.array([max(p.get(label, 0.0) for label in LABELS) for p in probs])
    correct = np.array([p == g for p, g in zip(predicted, gold_labels, strict=True)], dtype=float)
    inner_edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    # side="left" counts edges strictly below the confidence, giving right-closed bins.
    bins = np.searchsorted(inner_edges, confidence, side="left")
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def fit_temperature(
    probabilities: Sequence[Sequence[float]] | np.ndarray, gold: Sequence[int]
) -> float:
    """The temperature T (0.25-10, steps of 0.01) that makes ``softmax(log p / T)`` fit the
    gold labels best (least negative log-likelihood): temperature scaling, the calibration that
    keeps every argmax. ``probabilities`` are the uncalibrated ones (T = 1).

    Example:
        >>> says_99 = [[0.99, 0.01]] * 10  # and is right 8 times in 10
        >>> t = fit_temperature(says_99, [0] * 8 + [1] * 2)
        >>> calibrated = np.exp(np.log(says_99[0]) / t)
        >>> t, round(float(calibrated[0] / calibrated.sum()), 2)
        (3.31, 0.8)
    """
    log_p = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0))
    grid = np.round(np.arange(0.25, 10.0 + 1e-9, 0.01), 2)
    scaled = log_p[None, :, :] / grid[:, None, None]  # [T, N, K]
    log_norm = np.logaddexp.reduce(scaled, axis=-1)
    picked = scaled[:, np.arange(len(log_p)), np.asarray(gold)]
    nll = (log_norm - picked).mean(axis=1)
    return float(grid[int(np.argmin(nll))])


def fit_bias_corrected_temperature(
    probabilities: Sequence[Sequence[float]] | np.ndarray,
    gold: Sequence[int],
    fitted_offsets: Sequence[int] | None = None,
) -> tuple[float, list[float]]:
    """The temperature T and per-label offsets b that make ``softmax(log p / T + b)`` fit the
    gold labels best (least negative log-likelihood): bias-corrected temperature scaling
    (Alexandari et al., 2020). ``probabilities`` are the uncalibrated ones (T = 1, b = 0).

    Unlike :func:`fit_temperature`, the offsets can change a label: where the scores lean
    towards one label on held-out data, the fit moves them back. Only the offsets of the
    labels in ``fitted_offsets`` (indices) are fitted, the others stay 0; by default all but the
    first label's (only differences matter). The likelihood is concave in (1 / T, b), so
    Newton's method finds the one optimum; T and b are rounded to 0.01 so that a config stores
    them readably and runs on different CPUs agree.

    Example:
        >>> # says label 0 at 0.6 each time, and is right only 3 times in 10
        >>> probs = [[0.6, 0.4]] * 10
        >>> t, offsets = fit_bias_corrected_temperature(probs, [0] * 3 + [1] * 7)
        >>> offsets[0], offsets[1] > 0
        (0.0, True)
        >>> scaled = np.log(probs[0]) / t + np.array(offsets)
        >>> round(float(np.exp(scaled[1]) / np.exp(scaled).sum()), 2)
        0.7
        >>> # three labels, only the second one's offset fitted
        >>> _, offsets = fit_bias_corrected_temperature([[0.6, 0.3, 0.1]] * 10,
        ...                                             [0] * 3 + [1] * 6 + [2], [1])
        >>> offsets[0], offsets[1] > 0, offsets[2]
        (0.0, True, 0.0)
    """
    log_p = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0))
    count, labels = log_p.shape
    gold_index = np.asarray(gold)
    free = list(range(1, labels) if fitted_offsets is None else fitted_offsets)
    # Features of (statement, label): the log-probability (its weight is 1 / T) and an
    # indicator per fitted label (its weight is that label's offset).
    features = np.zeros((count, labels, 1 + len(free)), dtype=np.float64)
    features[:, :, 0] = log_p
    features[:, free, np.arange(1, 1 + len(free))] = 1.0
    picked = features[np.arange(count), gold_index]  # [N, P]

    def loss(weights: np.ndarray) -> float:
        scores = features @ weights  # [N, K]
        return float((np.logaddexp.reduce(scores, axis=1) - picked @ weights).mean())

    weights = np.zeros(1 + len(free))
    weights[0] = 1.0
    for _ in range(200):
        scores = features @ weights
        p = np.exp(scores - np.logaddexp.reduce(scores, axis=1, keepdims=True))
        expected = np.einsum("nk,nkp->np", p, features)
        gradient = (expected - picked).mean(axis=0)
        second = np.einsum("nk,nkp,nkq->pq", p, features, features) / count
        hessian = second - expected.T @ expected / count
        # A small ridge keeps the step finite when a label never occurs in ``gold``.
        step = np.linalg.solve(hessian + 1e-6 * np.eye(len(weights)), gradient)
        # Halved until the loss falls: a full Newton step from far away (overconfident scores,
        # whose log-probabilities reach -27) overshoots and diverges.
        current, scale = loss(weights), 1.0
        while loss(weights - scale * step) > current and scale > 1e-8:
            scale /= 2
        weights -= scale * step
        if np.abs(scale * step).max() < 1e-10:
            break
    if not weights[0] > 0:
        raise ValueError(
            "the stance scores rank the gold labels below chance, so no positive temperature "
            "fits them: check that the gold labels and the probabilities use the same label order"
        )
    temperature = round(float(1.0 / weights[0]), 2)
    offsets = [0.0] * labels
    for label, offset in zip(free, weights[1:], strict=True):
        offsets[label] = round(float(offset), 2)
    return temperature, offsets


def stance_scores(
    gold_labels: Sequence[str],
    pred_labels: Sequence[str],
    probs: Sequence[Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """Stance classification scores: macro F1, accuracy, per-label scores, confusion, ECE.

    Macro F1 averages over the labels that occur in the gold or predicted labels, so a label
    absent from both (say, no denial in a small test set) neither helps nor hurts.

    Args:
        gold_labels: Gold labels, each in :data:`LABELS`.
        pred_labels: Predicted labels, aligned with ``gold_labels``.
        probs: Optional ``{label: prob}`` per example, for the calibration error.

    Returns:
        ``{"macro_f1", "accuracy", "per_label": {label: {"precision", "recall", "f1",
        "support"}}, "confusion_matrix": {"labels", "matrix"}, "ece"}``; the matrix has gold
        labels as rows and predicted labels as columns; ``ece`` is ``None`` without ``probs``.

    Raises:
        ValueError: On unequal lengths or a label outside :data:`LABELS`.

    Example:
        >>> scores = stance_scores(["denial", "assertion"], ["denial", "hedge"])
        >>> scores["accuracy"], round(scores["macro_f1"], 4)
        (0.5, 0.3333)
    """
    if len(gold_labels) != len(pred_labels):
        raise ValueError(f"{len(gold_labels)} gold labels but {len(pred_labels)} predictions")
    index = {label: i for i, label in enumerate(LABELS)}
    unknown = sorted((set(gold_labels) | set(pred_labels)) - set(LABELS))
    if unknown:
        raise ValueError(f"labels {unknown} are not in {LABELS}")
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=int)
    for gold, pred in zip(gold_labels, pred_labels, strict=True):
        matrix[index[gold], index[pred]] += 1
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    per_label: dict[str, dict[str, float | int]] = {}
    f1_present: list[float] = []
    for i, label in enumerate(LABELS):
        counts = prf(int(matrix[i, i]), int(support[i]), int(predicted[i]))
        per_label[label] = {
            "precision": counts["precision"],
            "recall": counts["recall"],
            "f1": counts["f1"],
            "support": int(support[i]),
        }
        if support[i] or predicted[i]:
            f1_present.append(float(counts["f1"]))
    total = int(matrix.sum())
    return {
        "macro_f1": float(np.mean(f1_present)) if f1_present else 0.0,
        "accuracy": float(np.trace(matrix)) / total if total else 0.0,
        "per_label": per_label,
        "confusion_matrix": {"labels": list(LABELS), "matrix": matrix.tolist()},
        "ece": None if probs is None else expected_calibration_error(gold_labels, probs),
    }


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Renders a GitHub-flavoured Markdown table (floats with 3 decimals).

    Args:
        header: Column titles.
        rows: One sequence of cells per row.

    Returns:
        The table, one line per row, ending with a newline.

    Example:
        >>> print(markdown_table(["part", "f1"], [["cue", 0.5]]), end="")
        | part | f1 |
        |---|---|
        | cue | 0.500 |
    """

    def cell(value: Any) -> str:
        if value is None:
            return "–"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def confusion_matrix_markdown(confusion: Mapping[str, Any]) -> str:
    """Renders a confusion matrix (gold rows, predicted columns) as a Markdown table.

    Args:
        confusion: ``{"labels": [...], "matrix": [[...], ...]}`` from :func:`stance_scores`.

    Returns:
        The Markdown table.

    Example:
        >>> confusion = stance_scores(["hedge"], ["assertion"])["confusion_matrix"]
        >>> print(confusion_matrix_markdown(confusion).splitlines()[4])
        | hedge | 0 | 0 | 0 | 1 |
    """
    labels = list(confusion["labels"])
    return markdown_table(
        ["gold ↓ / predicted →", *labels],
        [[label, *row] for label, row in zip(labels, confusion["matrix"], strict=True)],
    )


def document_scores_markdown(scores: Mapping[str, Any]) -> str:
    """Renders :func:`document_scores` output as a Markdown table (one row per part and mode).

    Args:
        scores: The output of :func:`document_scores`.

    Returns:
        The Markdown table; labelled statement figures show ``–`` when gold has no labels.

    Example:
        >>> doc = {"text": "Marsh said it rained.", "statements": []}
        >>> print(document_scores_markdown(document_scores([doc], [doc])).splitlines()[2])
        | source | exact | 0.000 | 0.000 | 0.000 | 0 | 0 |
    """
    keys = ("precision", "recall", "f1", "n_gold", "n_pred")
    named = [(part, mode, scores[part][mode]) for part in PARTS for mode in MODES]
    named += [
        ("statement", "labelled", scores["statement"]),
        ("statement", "unlabelled", scores["statement"]["unlabelled"]),
    ]
    rows = [[part, mode, *(values[key] for key in keys)] for part, mode, values in named]
    return markdown_table(["part", "mode", "precision", "recall", "f1", "gold", "predicted"], rows)


def confusion_matrix_png(
    confusion: Mapping[str, Any], path: str | Path, title: str = "Stance confusion matrix"
) -> Path:
    """Writes a confusion matrix heat map with annotated counts as a PNG.

    Args:
        confusion: ``{"labels", "matrix"}`` from :func:`stance_scores`.
        path: Output file.
        title: Figure title.

    Returns:
        The written path.

    Example:
        >>> import tempfile
        >>> confusion = stance_scores(["hedge", "denial"], ["hedge", "hedge"])["confusion_matrix"]
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     out = confusion_matrix_png(confusion, Path(tmp) / "cm.png")
        ...     out.read_bytes()[:4]
        b'\\x89PNG'
    """
    # Imported here: matplotlib is slow to import and only reports need it. The Agg canvas is
    # attached explicitly instead of going through pyplot, so no global backend state changes
    # and it works on machines without a display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = list(confusion["labels"])
    matrix = np.asarray(confusion["matrix"], dtype=int)
    figure = Figure(figsize=(5.5, 4.5), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(title)
    # White text on dark cells keeps counts readable whatever the colour scale.
    dark = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        colour = "white" if count > dark else "black"
        axes.text(j, i, str(count), ha="center", va="center", color=colour)
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, format="png")
    return path


def speaker_resolution_scores(
    gold_docs: Sequence[Document],
    predicted: Sequence[Mapping[tuple[int, int], Any]],
    common: frozenset[str],
) -> dict[str, dict[str, float | int]]:
    """Resolution accuracy on the gold sources that need resolving, overall and per type.

    A source needs resolving when its gold speaker is not the source itself (pronouns,
    descriptions, surnames, and sources whose speaker is never named). A prediction is
    *correct* when it names the same speaker: at least half of the shorter of it and a gold
    mention of that speaker (the canonical one or another source linked to it) is shared, so
    "Jonas Ekdal" for "Prime Minister Jonas Ekdal" counts, or both are ``None``. The source
    itself (unless it reads as the canonical mention, as a second "the ministry" does) and
    pronouns are not such mentions: "He" resolved to itself or to another "he" names nobody.
    It is *canonical* when it is the canonical mention itself (character overlap >= 0.5 of the
    union).

    Args:
        gold_docs: Corpus documents whose statements carry ``speaker``.
        predicted: Per document, ``{(start, end) of a source: predicted speaker}``, where a
            speaker is a ``Span``-like object, a ``(start, end)`` pair or ``None``.
        common: :func:`stance.speakers.lowercase_vocabulary` of the corpus (to type sources).

    Returns:
        ``{group: {"n", "accuracy", "canonical_accuracy"}}`` for the groups ``"all"`` (sources
        whose speaker is named elsewhere: the resolution figure), ``"pronoun"``, ``"surname"``,
        ``"description"`` (its parts), ``"never_named"`` (sources whose speaker is never
        named: the right answer is ``None``) and ``"overall"`` (both).

    Example:
        >>> text = "Lena Marsh said the port was shut. She said it would reopen."
        >>> marsh = {"start": 0, "end": 10, "text": "Lena Marsh"}
        >>> doc = {"text": text, "statements": [
        ...     {"source": marsh, "speaker": marsh},
        ...     {"source": {"start": 35, "end": 38, "text": "She"}, "speaker": marsh}]}
        >>> speaker_resolution_scores([doc], [{(35, 38): (0, 10)}], frozenset())["pronoun"]
        {'n': 1, 'accuracy': 1.0, 'canonical_accuracy': 1.0}
        >>> speaker_resolution_scores([doc], [{(35, 38): (35, 38)}], frozenset())["pronoun"]
        {'n': 1, 'accuracy': 0.0, 'canonical_accuracy': 0.0}
    """
    from stance.speakers import (
        PRONOUNS,
        RESOLUTION_TYPES,
        overlap_of_shorter,
        overlap_share,
        resolution_type,
    )

    groups = ("all", *RESOLUTION_TYPES, "never_named", "overall")
    counts: dict[str, list[int]] = {t: [0, 0, 0] for t in groups}
    for doc, found in zip(gold_docs, predicted, strict=True):
        text = doc["text"]
        clusters: dict[tuple[int, int], set[tuple[int, int]]] = {}
        gold: dict[tuple[int, int], tuple[int, int] | None] = {}
        for st in doc["statements"]:
            if st["source"] is None:
                continue
            source = (st["source"]["start"], st["source"]["end"])
            speaker = st.get("speaker")
            key = None if speaker is None else (speaker["start"], speaker["end"])
            gold[source] = key
            if key is not None:
                clusters.setdefault(key, {key}).add(source)
        for source, key in gold.items():
            if key == source:
                continue
            value = found.get(source)
            pred = None if value is None else _pair(value)
            if key is None:
                correct = canonical = pred is None
            else:
                same_name = _bare(text[source[0] : source[1]]) == _bare(text[key[0] : key[1]])
                naming = [
                    m
                    for m in clusters[key]
                    if m == key
                    or (m == source and same_name)
                    or (m != source and text[m[0] : m[1]].strip().lower() not in PRONOUNS)
                ]
                correct = pred is not None and any(
                    overlap_of_shorter(pred, m) >= 0.5 for m in naming
                )
                canonical = pred is not None and overlap_share(pred, key) >= 0.5
            kind = resolution_type(
                text[source[0] : source[1]], None if key is None else text[key[0] : key[1]], common
            )
            for group in (kind, "overall") + (() if key is None else ("all",)):
                counts[group][0] += 1
                counts[group][1] += int(correct)
                counts[group][2] += int(canonical)
    return {
        group: {
            "n": n,
            "accuracy": round(ok / n, 4) if n else 0.0,
            "canonical_accuracy": round(canon / n, 4) if n else 0.0,
        }
        for group, (n, ok, canon) in counts.items()
    }


def _bare(mention: str) -> str:
    """A mention in lower case without a leading article ("The ministry" → "ministry").

    Example:
        >>> _bare(" The Whips' office"), _bare("an aide")
        ("whips' office", 'aide')
    """
    return re.sub(r"^(the|a|an)\s+", "", mention.strip().lower())


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, tuple):
        return value
    return (value.start, value.end)


def nearest_name_baseline(
    gold_docs: Sequence[Document], common: frozenset[str]
) -> list[dict[tuple[int, int], tuple[int, int] | None]]:
    """The nearest-name baseline's speaker for every gold source that needs resolving."""
    from stance.speakers import nearest_named_source

    results = []
    for doc in gold_docs:
        to_resolve = [
            (st["source"]["start"], st["source"]["end"])
            for st in doc["statements"]
            if st["source"] is not None and st.get("speaker") != st["source"]
        ]
        results.append(nearest_named_source(doc["statements"], to_resolve, doc["text"], common))
    return results
