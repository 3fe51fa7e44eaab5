"""Annotation reliability: a blind second pass over a stratified sample, and agreement figures.

The second pass re-annotates a sample of corpus documents from their text alone (spans and
stance), following GUIDELINES.md, without seeing the first annotation. This module draws the
sample, writes the blind texts, reads the second pass back and compares the two passes:
Cohen's kappa on the stance of statements both passes found (content token F1 >= 0.5,
one-to-one), span agreement (token-overlap F1, one-to-one) for source, cue and content, and the
confusion between the passes' labels.

Command line::

    python -m stance.agreement sample     # writes data/annotations/agreement/blind.txt
    python -m stance.agreement snapshot   # freezes the sample's first pass before adjudication
    python -m stance.agreement compare    # prints the figures for second_pass.txt
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.corpus import ANNOTATIONS_DIR, CorpusError, parse_source, read_corpus
from stance.types import LABELS

AGREEMENT_DIR = ANNOTATIONS_DIR / "agreement"
BLIND_PATH = AGREEMENT_DIR / "blind.txt"
SECOND_PASS_PATH = AGREEMENT_DIR / "second_pass.txt"
#: The sample's first-pass annotation as it was before adjudication, so the agreement figures
#: keep measuring the two independent passes after the gold has been corrected.
FIRST_PASS_PATH = AGREEMENT_DIR / "first_pass.jsonl"
#: Statements the sample aims for (the reliability issue asks for at least 400).
TARGET_STATEMENTS = 480
SAMPLE_SEED = 2026


def select_sample(
    docs: Sequence[dict[str, Any]], target: int = TARGET_STATEMENTS, seed: int = SAMPLE_SEED
) -> list[dict[str, Any]]:
    """A stratified sample of documents holding about ``target`` statements.

    Every domain gets an equal share of statements; within a domain, one or two full-length
    articles come first (they hold the cross-sentence cases), then short documents in a seeded
    random order, preferring ones whose labels and constructions the sample has least of, so that
    every label and construction is represented.

    Example:
        >>> docs = [{"id": f"d-{i}", "domain": "x", "constructions": [], "statements":
        ...          [{"label": "assertion", "constructions": []}]} for i in range(10)]
        >>> len(select_sample(docs, target=3))
        3
    """
    rng = random.Random(seed)
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in sorted(docs, key=lambda d: d["id"]):
        by_domain[doc["domain"]].append(doc)
    share = max(1, target // max(1, len(by_domain)))
    seen: Counter = Counter()
    chosen: list[dict[str, Any]] = []

    def features(doc: dict[str, Any]) -> list[str]:
        return [s["label"] for s in doc["statements"]] + [
            c for s in doc["statements"] for c in s.get("constructions", [])
        ]

    for domain in sorted(by_domain):
        pool = by_domain[domain][:]
        rng.shuffle(pool)
        articles = [d for d in pool if "full_article" in d["constructions"]][:2]
        taken = sum(len(d["statements"]) for d in articles[:1])
        picked = articles[:1]
        if len(articles) > 1 and taken < share // 2:
            picked.append(articles[1])
            taken += len(articles[1]["statements"])
        rest = [d for d in pool if d not in picked and "full_article" not in d["constructions"]]
        for doc in picked:
            seen.update(features(doc))
        while taken < share and rest:
            # Rarest features first; ties keep the seeded order.
            best = min(
                range(len(rest)),
                key=lambda i: min((seen[f] for f in features(rest[i])), default=10**9),
            )
            doc = rest.pop(best)
            picked.append(doc)
            seen.update(features(doc))
            taken += len(doc["statements"])
        chosen += picked
    return sorted(chosen, key=lambda d: d["id"])


def blind_source(docs: Sequence[dict[str, Any]]) -> str:
    """The authoring-format skeleton of ``docs`` with no annotation (text, id and domain only)."""
    parts = []
    for doc in docs:
        parts.append(f"### {doc['id']}\ndomain: {doc['domain']}\nconstructions:\n{doc['text']}\n")
    return "\n".join(parts)


def first_pass(path: Path = FIRST_PASS_PATH) -> list[dict[str, Any]]:
    """The first pass to compare with: the frozen snapshot if there is one, else the corpus."""
    return read_corpus(path) if path.exists() else read_corpus()


def read_second_pass(path: Path | None = None) -> list[dict[str, Any]]:
    """Parses the second pass (authoring format), marking it ``annotation_pass: second``.

    Raises:
        CorpusError: if it does not parse, or a document's text differs from the corpus.
    """
    path = path or SECOND_PASS_PATH
    docs = parse_source(path.read_text(encoding="utf-8"), str(path))
    corpus = {d["id"]: d for d in read_corpus()}
    problems = []
    for doc in docs:
        doc["annotation_pass"] = "second"
        first = corpus.get(doc["id"])
        if first is None:
            problems.append(f"{path}: {doc['id']} is not a corpus document")
        elif first["text"] != doc["text"]:
            problems.append(f"{path}: the text of {doc['id']} differs from the corpus text")
    if problems:
        raise CorpusError(problems)
    return sorted(docs, key=lambda d: d["id"])


def cohen_kappa(pairs: Sequence[tuple[str, str]], labels: Sequence[str] = LABELS) -> float:
    """Cohen's kappa of two annotators' labels on the same items.

    Example:
        >>> round(cohen_kappa([("a", "a"), ("b", "b"), ("a", "b"), ("b", "b")], ["a", "b"]), 3)
        0.5
    """
    n = len(pairs)
    if n == 0:
        return float("nan")
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in labels) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def compare(first: Sequence[dict[str, Any]], second: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Agreement between two passes over the same documents (aligned by id).

    Returns:
        ``{"documents", "statements_first", "statements_second", "matched", "kappa",
        "label_agreement", "confusion", "spans": {part: {precision, recall, f1}},
        "disagreements": [...]}``: span figures treat the first pass as reference (F1 is
        symmetric); disagreements list every label mismatch and every statement only one pass
        found, for adjudication.
    """
    from stance.evaluation import OVERLAP_THRESHOLD, greedy_match, span_scores, token_f1

    by_id = {d["id"]: d for d in first}
    pairs_first = [by_id[d["id"]] for d in second]
    label_pairs: list[tuple[str, str]] = []
    disagreements: list[dict[str, Any]] = []
    for a, b in zip(pairs_first, second, strict=True):
        text = a["text"]
        similarity = [
            [token_f1(text, x["content"], y["content"]) for y in b["statements"]]
            for x in a["statements"]
        ]
        matches = greedy_match(similarity, OVERLAP_THRESHOLD)
        matched_a = {i for i, _ in matches}
        matched_b = {j for _, j in matches}
        for i, j in matches:
            x, y = a["statements"][i], b["statements"][j]
            label_pairs.append((x["label"], y["label"]))
            if x["label"] != y["label"]:
                disagreements.append(
                    {"id": a["id"], "kind": "label", "first": _brief(x), "second": _brief(y)}
                )
        disagreements += [
            {"id": a["id"], "kind": "first only", "first": _brief(x), "second": None}
            for i, x in enumerate(a["statements"])
            if i not in matched_a
        ]
        disagreements += [
            {"id": a["id"], "kind": "second only", "first": None, "second": _brief(y)}
            for j, y in enumerate(b["statements"])
            if j not in matched_b
        ]
    confusion = Counter(label_pairs)
    return {
        "documents": len(second),
        "statements_first": sum(len(d["statements"]) for d in pairs_first),
        "statements_second": sum(len(d["statements"]) for d in second),
        "matched": len(label_pairs),
        "kappa": cohen_kappa(label_pairs),
        "label_agreement": sum(a == b for a, b in label_pairs) / max(1, len(label_pairs)),
        "confusion": {f"{a} / {b}": confusion.get((a, b), 0) for a in LABELS for b in LABELS},
        "spans": {
            part: span_scores(pairs_first, second, part, "overlap")
            for part in ("source", "cue", "content")
        },
        "disagreements": disagreements,
    }


def _brief(statement: dict[str, Any]) -> dict[str, Any]:
    source = statement["source"]
    return {
        "source": source["text"] if source else None,
        "cue": statement["cue"]["text"],
        "content": statement["content"]["text"],
        "label": statement["label"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m stance.agreement``."""
    parser = argparse.ArgumentParser(
        prog="python -m stance.agreement", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser("sample", help="write the blind texts of the stratified sample")
    sample.add_argument("--output", type=Path, default=BLIND_PATH)
    sub.add_parser("snapshot", help="freeze the sample's first pass (before adjudication)")
    comp = sub.add_parser("compare", help="compare the second pass with the corpus")
    comp.add_argument("--second-pass", type=Path, default=SECOND_PASS_PATH)
    comp.add_argument("--disagreements", type=Path, help="write the disagreements as JSON")
    args = parser.parse_args(argv)
    docs = read_corpus()
    if args.command == "sample":
        chosen = select_sample(docs)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(blind_source(chosen), encoding="utf-8")
        n = sum(len(d["statements"]) for d in chosen)
        print(f"wrote {args.output}: {len(chosen)} documents, {n} first-pass statements")
        return 0
    try:
        second = read_second_pass(args.second_pass if args.command == "compare" else None)
    except CorpusError as err:
        print(err, file=sys.stderr)
        return 1
    if args.command == "snapshot":
        ids = {d["id"] for d in second}
        lines = [json.dumps(d, ensure_ascii=False) for d in docs if d["id"] in ids]
        FIRST_PASS_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {FIRST_PASS_PATH}: {len(lines)} documents")
        return 0
    result = compare(first_pass(), second)
    if args.disagreements:
        args.disagreements.write_text(
            json.dumps(result["disagreements"], indent=1, ensure_ascii=False) + "\n"
        )
    shown = {k: v for k, v in result.items() if k != "disagreements"}
    shown["disagreements"] = dict(Counter(d["kind"] for d in result["disagreements"]))
    print(json.dumps(shown, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
