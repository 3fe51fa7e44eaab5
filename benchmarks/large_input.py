"""Runs predict() over one large generated text (default 10 MB) and records time and memory.

Checks that statements are found across the whole text, not just its start, and that peak
memory stays bounded. Writes ``benchmarks/results/large-input-<date>.json``.

Usage:
    python benchmarks/large_input.py --megabytes 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

PARAGRAPHS = (
    "The council met on Monday. Deputy mayor Ruth Abara said the bridge could reopen in May.",
    '"We have no plans to sell the port," harbour master Ines Valko told reporters.',
    "According to the agency, the cargo apparently left before the storm.",
    "The ministry denied that the contract had been rigged. Talks continue on Friday.",
)


def build_text(megabytes: float) -> str:
    """A text of at least ``megabytes`` MB, cycling through news paragraphs."""
    unit = "\n".join(f"{p} (item {i})" for i, p in enumerate(PARAGRAPHS)) + "\n"
    return unit * (int(megabytes * 1_000_000) // len(unit) + 1)


def main(argv: list[str] | None = None) -> int:
    """Runs the measurement and writes the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default=None, help="model folder (default: bundled model)")
    args = parser.parse_args(argv)

    import stance

    started = time.perf_counter()
    nlp = stance.load(args.model) if args.model else stance.load()
    loaded = time.perf_counter()
    text = build_text(args.megabytes)
    statements = nlp.predict(text, batch_size=args.batch_size)
    finished = time.perf_counter()
    bad = [s for s in statements if text[s.content.start : s.content.end] != s.content.text]
    record = {
        "date": dt.date.today().isoformat(),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "characters": len(text),
        "paragraphs": text.count("\n"),
        "statements": len(statements),
        "statements_per_paragraph": round(len(statements) / text.count("\n"), 3),
        "last_statement_at_fraction_of_text": round(statements[-1].content.end / len(text), 6)
        if statements
        else None,
        "spans_not_matching_text": len(bad),
        "load_seconds": round(loaded - started, 2),
        "predict_seconds": round(finished - loaded, 1),
        "characters_per_second": round(len(text) / (finished - loaded)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "text_mb": round(len(text.encode("utf-8")) / 1e6, 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"large-input-{record['date']}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0 if statements and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
