"""Regenerates the README's generated sections: the example output (a real run of the bundled
model) and the latest benchmark table (from ``benchmarks/results/``, written by
``python benchmarks/run.py``).

Usage: python scripts/update_readme.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START, END = "<!-- example-output:start -->", "<!-- example-output:end -->"
BENCH_START, BENCH_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
RESULTS = REPO / "benchmarks" / "results"


def example_output() -> str:
    """What the README's example prints, computed now."""
    import stance

    text = (REPO / "examples" / "article.txt").read_text(encoding="utf-8")
    lines = [
        f"{s.label:<12} {s.score:.2f} | {s.speaker.name if s.speaker else '—'} | "
        f"{s.source.text if s.source else '—'} | {s.cue.text} | {s.content.text}"
        for s in stance.predict(text)
    ]
    return "```text\n" + "\n".join(lines) + "\n```"


def latest_benchmark() -> str:
    """The Markdown table of the newest benchmark run (results are named by date)."""
    # Only the speed benchmark's results are named by bare date; other result files
    # (archive-<date>.md) have prefixes.
    tables = sorted(RESULTS.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].md"))
    if not tables:
        return "No benchmark has been run yet: `python benchmarks/run.py`."
    name = tables[-1].relative_to(REPO).as_posix()
    return tables[-1].read_text(encoding="utf-8").strip() + f"\n\n(From `{name}`.)"


def _replace(readme: str, start: str, end: str, body: str) -> str:
    block = f"{start}\n{body}\n{end}"
    return re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, readme, flags=re.S)


def render(readme: str) -> str:
    """The README with a fresh example block and the latest benchmark table."""
    readme = _replace(readme, START, END, example_output())
    return _replace(readme, BENCH_START, BENCH_END, latest_benchmark())


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
