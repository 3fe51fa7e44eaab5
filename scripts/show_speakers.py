"""Prints each document's sources with their speaker links, for reviewing the annotation.

python scripts/show_speakers.py data/annotations/source/politics.txt [--only-links]
"""

from __future__ import annotations

import sys
from pathlib import Path

from stance.corpus import parse_source


def main(argv: list[str]) -> int:
    only_links = "--only-links" in argv
    for name in [a for a in argv if not a.startswith("--")]:
        for doc in parse_source(Path(name).read_text(encoding="utf-8"), name):
            rows = []
            for st in doc["statements"]:
                if st["source"] is None:
                    continue
                src, spk = st["source"], st["speaker"]
                if only_links and spk == src:
                    continue
                target = (
                    "NEVER NAMED"
                    if spk is None
                    else ("(itself)" if spk == src else f"{spk['text']!r} @{spk['start']}")
                )
                rows.append(f"   {src['text']!r} @{src['start']} -> {target}")
            if rows:
                print(f"### {doc['id']}")
                print("\n".join(dict.fromkeys(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
