"""Reader for the PolNeAR dev split (real political news with attribution annotations).

PolNeAR is used for evaluation and error analysis only: its text is read from outside the
repository at evaluation time and must never be copied into it (see the split's README.md).

The split is brat standoff: ``text/<name>.txt`` holds the article and ``attributions/<name>.ann``
its annotations::

    T3<TAB>Content 115 290<TAB><text>              a span (``;`` joins discontinuous pieces)
    E1<TAB>Attribution:T4 Content:T3 Cue:T2 Source:T1
    E7<TAB>Attribution-no-source:T28 Cue:T26 Content:T25

Roles are ``Source``, ``Cue``, ``Content`` and, rarely, ``Content2`` (a second quotation sharing
the source and cue). Span types ``Discuss`` and ``Discard`` are annotator notes and are ignored.
Documents come out in the format of :mod:`stance.evaluation` with spans as
``{"pieces": [[start, end], ...], "text"}`` and no stance labels (PolNeAR has none).
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Where the dev split lives: ``<repository>/../shared/polnear-dev``.
DEFAULT_POLNEAR_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "polnear-dev"
#: Environment variable that overrides :data:`DEFAULT_POLNEAR_DIR`.
POLNEAR_ENV = "STANCE_POLNEAR_DIR"

_SPAN_LINE = re.compile(r"^(T\d+)\t(\w[\w-]*) (\d+ \d+(?:;\d+ \d+)*)\t")
_EVENT_LINE = re.compile(r"^(E\d+)\t(Attribution(?:-no-source)?):\S+((?: [\w-]+:T\d+)*)\s*$")


def polnear_dir(path: str | Path | None = None) -> Path:
    """Resolves the PolNeAR folder: ``path``, else ``$STANCE_POLNEAR_DIR``, else the default.

    The environment is read at call time, not import time, so tests can redirect it.

    Args:
        path: An explicit folder, which wins over everything else.

    Returns:
        The folder (which may not exist).

    Example:
        >>> polnear_dir("/data/polnear")
        PosixPath('/data/polnear')
    """
    if path is not None:
        return Path(path)
    return Path(os.environ.get(POLNEAR_ENV) or DEFAULT_POLNEAR_DIR)


def _span(text: str, pieces: list[list[int]]) -> dict[str, Any]:
    # brat writes a discontinuous span's text as its pieces joined by one space.
    return {"pieces": pieces, "text": " ".join(text[start:end] for start, end in pieces)}


def parse_ann(ann: str, text: str, doc_id: str = "<ann>") -> tuple[list[dict[str, Any]], Counter]:
    """Parses one brat ``.ann`` file into statements.

    Each attribution becomes one statement per content (``Content``, ``Content2``) sharing its
    source (``None`` when absent) and cue. Attributions without a cue or a content are skipped.
    Span texts are rebuilt from ``text`` and checked against the ``.ann`` copy.

    Args:
        ann: The ``.ann`` file content.
        text: The article text the offsets refer to.
        doc_id: A name for log messages.

    Returns:
        The statements sorted by content start then cue start, and counts of what was read
        (``attributions``, ``statements``, ``no_cue``, ``no_content``, ``text_mismatch``).

    Example:
        >>> text = "Polls close at 8, officials said."
        >>> ann = (
        ...     "T1\\tContent 0 16\\tPolls close at 8\\n"
        ...     "T2\\tSource 18 27\\tofficials\\n"
        ...     "T3\\tCue 28 32\\tsaid\\n"
        ...     "T4\\tAttribution 28 32\\tsaid\\n"
        ...     "E1\\tAttribution:T4 Content:T1 Cue:T3 Source:T2\\n"
        ... )
        >>> statements, counts = parse_ann(ann, text)
        >>> statement = statements[0]
        >>> statement["source"]["text"], statement["content"]["pieces"], counts["statements"]
        ('officials', [[0, 16]], 1)
    """
    counts: Counter = Counter()
    spans: dict[str, dict[str, Any]] = {}
    events: list[tuple[str, dict[str, list[str]]]] = []
    for line in ann.splitlines():
        if match := _SPAN_LINE.match(line):
            span_id, _kind, offsets = match.groups()
            pieces = [[int(n) for n in piece.split()] for piece in offsets.split(";")]
            span = _span(text, pieces)
            if span["text"] != line.split("\t", 2)[2]:
                counts["text_mismatch"] += 1
                logger.warning("%s: %s text differs from the article's", doc_id, span_id)
            spans[span_id] = span
        elif match := _EVENT_LINE.match(line):
            roles: dict[str, list[str]] = {}
            for role_ref in match.group(3).split():
                role, ref = role_ref.split(":")
                # Content2 is a second content of the same attribution: fold it into "Content".
                roles.setdefault(re.sub(r"\d+$", "", role), []).append(ref)
            events.append((match.group(1), roles))
        elif line.startswith("E"):
            logger.warning("%s: unreadable event line %r", doc_id, line[:40])

    statements: list[dict[str, Any]] = []
    for event_id, roles in events:
        counts["attributions"] += 1
        # A reference to a missing T line is dropped like an absent role.
        found = {role: [spans[ref] for ref in refs if ref in spans] for role, refs in roles.items()}
        cues, contents = found.get("Cue", []), found.get("Content", [])
        if not cues or not contents:
            counts["no_cue" if not cues else "no_content"] += 1
            logger.debug("%s: %s skipped (no cue or no content)", doc_id, event_id)
            continue
        source = found["Source"][0] if found.get("Source") else None
        statements += [{"source": source, "cue": cues[0], "content": c} for c in contents]
    counts["statements"] = len(statements)
    statements.sort(key=lambda s: (min(s["content"]["pieces"]), min(s["cue"]["pieces"])))
    return statements, counts


def load_polnear(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Loads the PolNeAR dev split as documents ``{"id", "text", "statements"}``, sorted by id.

    Args:
        path: The split's folder (holding ``text/`` and ``attributions/``); defaults to
            :func:`polnear_dir`.

    Returns:
        The documents, or ``[]`` when the folder is absent: the split is optional (it is not
        part of the repository), so callers and tests can run without it.

    Example:
        >>> load_polnear("/nonexistent/polnear")
        []
    """
    folder = polnear_dir(path)
    ann_dir, text_dir = folder / "attributions", folder / "text"
    if not ann_dir.is_dir() or not text_dir.is_dir():
        logger.info("PolNeAR not found at %s; skipping", folder)
        return []
    docs: list[dict[str, Any]] = []
    totals: Counter = Counter()
    for ann_path in sorted(ann_dir.glob("*.ann")):
        text_path = text_dir / f"{ann_path.stem}.txt"
        if not text_path.exists():
            logger.warning("%s has no text file; skipped", ann_path.name)
            totals["missing_text"] += 1
            continue
        text = _read(text_path)
        statements, counts = parse_ann(_read(ann_path), text, ann_path.stem)
        totals.update(counts)
        docs.append({"id": ann_path.stem, "text": text, "statements": statements})
    logger.info(
        "PolNeAR: %d documents, %d attributions, %d statements; skipped %d without cue, "
        "%d without content",
        len(docs),
        totals["attributions"],
        totals["statements"],
        totals["no_cue"],
        totals["no_content"],
    )
    return sorted(docs, key=lambda d: d["id"])


def _read(path: Path) -> str:
    # newline="" keeps any "\r" so brat's character offsets stay exact on every platform.
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()
