"""Regenerates the README's example output from a real run of the bundled model.

Usage: python scripts/update_readme.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START, END = "<!-- example-output:start -->", "<!-- example-output:end -->"


def example_output() -> str:
    """What the README's example prints, computed now."""
    import stance

    text = (REPO / "examples" / "article.txt").read_text(encoding="utf-8")
    lines = [
        f"{s.label:<12} {s.score:.2f} | {s.source.text if s.source else '—'} | {s.cue.text} | "
        f"{s.content.text}"
        for s in stance.predict(text)
    ]
    return "```text\n" + "\n".join(lines) + "\n```"


def render(readme: str) -> str:
    """The README with a fresh example block."""
    block = f"{START}\n{example_output()}\n{END}"
    return re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S)


def main() -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("README example output is stale: run `python scripts/update_readme.py`")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
