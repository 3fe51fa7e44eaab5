"""Error analysis of a model on the validation split and on PolNeAR dev (spans only there).

Breaks the model's misses down by properties of the gold statement (content length, sentences
spanned, cue word, source kind, order of the parts, distance between cue and content) and its
stance confusions, so the next corpus round can target what the model gets wrong. The test split
is never read here: it stays untouched for the final numbers.

Usage:
    python training/error_analysis.py --model stance/default_model --output reports/error-analysis
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stance.corpus import SENTENCE_BREAK
from stance.evaluation import (
    OVERLAP_THRESHOLD,
    greedy_match,
    markdown_table,
    prediction_documents,
    span_pieces,
    span_tokens,
    token_f1,
)
from stance.speakers import PRONOUNS


def _start(span: dict[str, Any]) -> int:
    return min(start for start, _ in span_pieces(span))


def _end(span: dict[str, Any]) -> int:
    return max(end for _, end in span_pieces(span))


def _length_bucket(n: int) -> str:
    for limit, name in ((10, "1-10"), (25, "11-25"), (50, "26-50")):
        if n <= limit:
            return name
    return ">50"


def _source_kind(text: str, statement: dict[str, Any]) -> str:
    source = statement.get("source")
    if source is None:
        return "none"
    words = source["text"].lower().split()
    if len(words) == 1 and words[0] in PRONOUNS:
        return "pronoun"
    if words and words[0] in {"the", "a", "an", "one", "two", "officials", "sources"}:
        return "description"
    return "name"


def features(text: str, statement: dict[str, Any]) -> dict[str, str]:
    """Properties of a gold statement that a miss can be broken down by."""
    content, cue = statement["content"], statement["cue"]
    tokens = len(span_tokens(text, content))
    c_start, c_end = _start(content), _end(content)
    q_start, q_end = _start(cue), _end(cue)
    gap = text[c_end:q_start] if c_end <= q_start else text[q_end:c_start]
    gap_words = 0 if (q_start < c_end and c_start < q_end) else len(re.findall(r"\w+", gap))
    cue_words = re.findall(r"[a-z]+", cue["text"].lower())
    return {
        "content length (words)": _length_bucket(tokens),
        "content sentences": "several" if SENTENCE_BREAK.search(text[c_start:c_end]) else "one",
        "order": "content before cue" if c_end <= q_start else "cue before content",
        "source": _source_kind(text, statement),
        "words between cue and content": "0-3"
        if gap_words <= 3
        else ("4-10" if gap_words <= 10 else ">10"),
        "cue in another sentence": "yes" if SENTENCE_BREAK.search(gap) else "no",
        "cue word": cue_words[0] if cue_words else "?",
    }


def _match(
    text: str, gold: Sequence[dict], pred: Sequence[dict]
) -> tuple[dict[int, tuple[int, float]], list[list[float]]]:
    """One-to-one matches of gold to predicted contents (any overlap), and all similarities."""
    similarity = [[token_f1(text, g["content"], p["content"]) for p in pred] for g in gold]
    pairs = greedy_match(similarity, 1e-9)  # any overlap: partial matches are analysed too
    return {g: (p, similarity[g][p]) for g, p in pairs}, similarity


#: How a prediction that matches no gold statement relates to the gold contents, in the order
#: the kinds are tested (:func:`unmatched_kind`).
UNMATCHED_KINDS = (
    "repeats a gold content another prediction matched",
    "lies inside a multi-piece gold content",
    "lies inside a one-piece gold content (cut short)",
    "overlaps a gold content partly",
    "overlaps no gold content",
)


def unmatched_kind(
    predicted: dict[str, Any], gold: Sequence[dict], overlaps: Sequence[float]
) -> str:
    """Which of :data:`UNMATCHED_KINDS` an unmatched prediction is.

    Args:
        predicted: The predicted statement.
        gold: The document's gold statements.
        overlaps: Token F1 of the prediction's content with each gold content.

    A prediction inside a multi-piece gold content is often a convention, not an error: PolNeAR
    gives one cue one content, joined across quote parts, where our guidelines make one
    statement per part. Inside a one-piece content, the model cut it short.

    Example:
        >>> gold = [{"content": {"pieces": [[0, 10], [20, 40]]}}]
        >>> unmatched_kind({"content": {"start": 22, "end": 30}}, gold, [0.3])
        'lies inside a multi-piece gold content'
        >>> unmatched_kind({"content": {"start": 22, "end": 30}}, gold, [0.0])
        'overlaps no gold content'
    """
    if not gold or max(overlaps) == 0:
        return UNMATCHED_KINDS[4]
    best = max(range(len(gold)), key=lambda i: overlaps[i])
    if overlaps[best] >= OVERLAP_THRESHOLD:
        return UNMATCHED_KINDS[0]
    pieces, predicted_pieces = span_pieces(gold[best]["content"]), span_pieces(predicted["content"])
    if pieces[0][0] <= predicted_pieces[0][0] and predicted_pieces[-1][1] <= pieces[-1][1]:
        return UNMATCHED_KINDS[1] if len(pieces) > 1 else UNMATCHED_KINDS[2]
    return UNMATCHED_KINDS[3]


def analyse(gold_docs: Sequence[dict], pred_docs: Sequence[dict]) -> dict[str, Any]:
    """Recall of gold contents broken down by statement features, plus label confusions."""
    breakdown: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    confusion: Counter = Counter()
    partial_direction: Counter = Counter()
    spurious_cues: Counter = Counter()
    spurious_kinds: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        text = gold["text"]
        matches, similarity = _match(text, gold["statements"], pred["statements"])
        matched_preds = {p for p, score in matches.values() if score >= OVERLAP_THRESHOLD}
        for number, statement in enumerate(gold["statements"]):
            pred_index, score = matches.get(number, (None, 0.0))
            outcome = (
                "found" if score >= OVERLAP_THRESHOLD else ("partial" if score > 0 else "missed")
            )
            for name, value in features(text, statement).items():
                breakdown[name][value][outcome] += 1
            if outcome == "partial" and pred_index is not None:
                predicted = pred["statements"][pred_index]["content"]
                longer = len(span_tokens(text, predicted)) > len(
                    span_tokens(text, statement["content"])
                )
                partial_direction["too long" if longer else "too short / cut"] += 1
            if outcome == "found" and "label" in statement and pred_index is not None:
                confusion[(statement["label"], pred["statements"][pred_index]["label"])] += 1
                if statement["label"] != pred["statements"][pred_index]["label"]:
                    key = f"{statement['label']} -> {pred['statements'][pred_index]['label']}"
                    if len(examples[key]) < 4:
                        examples[key].append(f"{gold['id']}: {statement['content']['text'][:90]}")
        for index, statement in enumerate(pred["statements"]):
            if index not in matched_preds:
                spurious_cues[statement["cue"]["text"].lower()] += 1
                overlaps = [row[index] for row in similarity]
                spurious_kinds[unmatched_kind(statement, gold["statements"], overlaps)] += 1
    return {
        "breakdown": {
            name: {value: dict(counts) for value, counts in values.items()}
            for name, values in breakdown.items()
        },
        "partial_direction": dict(partial_direction),
        "confusion": {f"{g} -> {p}": n for (g, p), n in sorted(confusion.items())},
        "confusion_examples": dict(examples),
        "spurious_cues": dict(spurious_cues.most_common(15)),
        "spurious_total": sum(spurious_cues.values()),
        "spurious_kinds": {kind: spurious_kinds[kind] for kind in UNMATCHED_KINDS},
    }


def _breakdown_markdown(breakdown: dict[str, dict[str, dict[str, int]]], top: int = 12) -> str:
    parts = []
    for name, values in breakdown.items():
        rows = []
        ordered = sorted(values.items(), key=lambda kv: -sum(kv[1].values()))[:top]
        for value, counts in ordered:
            total = sum(counts.values())
            found = counts.get("found", 0)
            rows.append(
                [
                    value,
                    total,
                    found,
                    counts.get("partial", 0),
                    counts.get("missed", 0),
                    f"{found / total:.2f}",
                ]
            )
        header = [name, "gold", "found", "partial", "missed", "recall"]
        parts.append(f"**{name}**\n\n{markdown_table(header, rows)}")
    return "\n\n".join(parts)


def render(results: dict[str, dict[str, Any]], model: str | None = None) -> str:
    """Markdown for the analyses of every data set in ``results`` (of ``model``, if named)."""
    lines = [
        "# Error analysis",
        "",
        "Generated by `python training/error_analysis.py`. A gold statement is *found* when a",
        "predicted content overlaps it with token F1 >= 0.5 (one-to-one), *partial* when the best",
        "one-to-one prediction overlaps it less, *missed* when nothing overlaps it.",
    ]
    if model:
        lines += ["", f"Model: {model}."]
    for name, analysis in results.items():
        lines += ["", f"## {name}", "", _breakdown_markdown(analysis["breakdown"]), ""]
        lines.append(f"Partial matches: {analysis['partial_direction']}.")
        lines.append(
            f"Predictions matching no gold statement: {analysis['spurious_total']}; most common "
            f"cues: {analysis['spurious_cues']}."
        )
        if "spurious_kinds" in analysis:
            rows = [[kind, n] for kind, n in analysis["spurious_kinds"].items()]
            lines += ["", markdown_table(["prediction matching no gold statement", "n"], rows)]
        if analysis["confusion"]:
            rows = [[k, v] for k, v in analysis["confusion"].items()]
            lines += ["", markdown_table(["gold -> predicted label", "n"], rows)]
            for key, shown in analysis["confusion_examples"].items():
                lines += ["", f"*{key}*: " + " · ".join(shown)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the analysis and writes ``<output>.md`` and ``<output>.json``."""
    import stance
    from stance.data import load_annotations
    from stance.polnear import load_polnear
    from stance.report import onnx_compute_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model folder or Hub id (default: shipped)")
    parser.add_argument("--output", type=Path, default=Path("reports/error-analysis"))
    args = parser.parse_args(argv)
    nlp = stance.load(args.model) if args.model else stance.load()
    validation = [dict(row) for row in load_annotations()["validation"]]
    sets: dict[str, Callable[[], list[dict]]] = {
        "Validation split (own corpus)": lambda: validation,
        "PolNeAR dev (real news, spans only)": load_polnear,
    }
    results = {}
    for name, loader in sets.items():
        docs = loader()
        if not docs:
            continue
        preds = prediction_documents(docs, nlp.predict([d["text"] for d in docs]))
        results[name] = analyse(docs, preds)
        print(f"analysed {name}: {len(docs)} documents", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    # The onnx backend's matrix products depend on the CPU (int8 with VNNI, else fp32), and
    # they can move a span's edge word: the page says which ran, as the evaluation report does.
    model = f"`{nlp.name}`, {nlp.backend} backend{onnx_compute_text(nlp.onnx_compute)}"
    args.output.with_suffix(".md").write_text(render(results, model))
    print(f"wrote {args.output}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
