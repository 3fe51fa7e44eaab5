"""Output formats for predicted statements: table, jsonl, json and self-contained html."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from stance.types import LABELS, Statement

FORMATS: tuple[str, ...] = ("table", "jsonl", "json", "html")
LABEL_COLOURS = {
    "denial": "#d62728",
    "speculation": "#9467bd",
    "hedge": "#ff7f0e",
    "assertion": "#2ca02c",
}


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def as_table(name: str, statements: Sequence[Statement]) -> str:
    """A fixed-width text table of one document's statements."""
    lines = [f"== {name}: {len(statements)} statement(s)"]
    if statements:
        lines.append(f"{'label':<12} {'score':>5}  {'source':<28} {'cue':<18} content")
    for st in statements:
        source = st.source.text if st.source is not None else "—"
        lines.append(
            f"{st.label:<12} {st.score:>5.2f}  {_clip(source, 28):<28} "
            f"{_clip(st.cue.text, 18):<18} "
            f"{_clip(st.content.text, 70)}"
        )
    return "\n".join(lines) + "\n"


def as_records(name: str, statements: Sequence[Statement], doc_id: str | None = None) -> list[dict]:
    """JSON-ready rows, one per statement, each naming its document (and its id, if given)."""
    head: dict = {"document": name} if doc_id is None else {"document": name, "doc_id": doc_id}
    return [{**head, **st.to_dict()} for st in statements]


def as_jsonl(name: str, statements: Sequence[Statement], doc_id: str | None = None) -> str:
    """One JSON object per line per statement (rows of :func:`as_records`)."""
    return "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in as_records(name, statements, doc_id)
    )


def as_json(documents: Sequence[tuple[str, Sequence[Statement]]]) -> str:
    """One JSON array of documents with their statements."""
    payload = [
        {"document": name, "statements": [st.to_dict() for st in statements]}
        for name, statements in documents
    ]
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;line-height:1.6;color:#222}
.doc{border:1px solid #ddd;border-radius:6px;padding:1rem 1.4rem;margin-bottom:2rem}
.text{white-space:pre-wrap}
.src{background:#cfe3ff}.cue{background:#ffe08a;font-weight:600}.con{background:#e6f5e6}
.label{color:#fff;border-radius:3px;padding:0 .4em;font-size:.85em}
table{border-collapse:collapse;width:100%;margin-top:1rem;font-size:.92em}
td,th{border-bottom:1px solid #eee;padding:.25rem .5rem;text-align:left;vertical-align:top}
.legend span{margin-right:1rem;padding:0 .3em}
"""


def _highlight(text: str, statements: Sequence[Statement]) -> str:
    """The text with source, cue and content spans marked (cue over source over content)."""
    roles = [""] * len(text)
    rank = {"": 0, "con": 1, "src": 2, "cue": 3}
    for st in statements:
        for role, span in (("con", st.content), ("src", st.source), ("cue", st.cue)):
            if span is None:
                continue
            for i in range(span.start, span.end):
                if rank[role] > rank[roles[i]]:
                    roles[i] = role
    out, start = [], 0
    for i in range(1, len(text) + 1):
        if i == len(text) or roles[i] != roles[start]:
            piece = html.escape(text[start:i])
            out.append(f'<span class="{roles[start]}">{piece}</span>' if roles[start] else piece)
            start = i
    return "".join(out)


def as_html(documents: Sequence[tuple[str, str, Sequence[Statement]]]) -> str:
    """One self-contained page (inline CSS, no scripts or external files)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>stance: who says what</title><style>{_CSS}</style></head><body>",
        "<h1>Who says what, and how sure</h1><p class='legend'>"
        "<span class='src'>source</span><span class='cue'>cue</span>"
        "<span class='con'>content</span>"
        + "".join(
            f"<span class='label' style='background:{LABEL_COLOURS[label]}'>{label}</span>"
            for label in LABELS
        )
        + "</p>",
    ]
    for name, text, statements in documents:
        rows = "".join(
            "<tr><td><span class='label' style='background:{colour}'>{label}</span> {score:.2f}"
            "</td><td>{source}</td><td>{cue}</td><td>{content}</td></tr>".format(
                colour=LABEL_COLOURS.get(st.label, "#555"),
                label=html.escape(st.label),
                score=st.score,
                source=html.escape(st.source.text) if st.source is not None else "<i>none</i>",
                cue=html.escape(st.cue.text),
                content=html.escape(st.content.text),
            )
            for st in statements
        )
        parts.append(
            f"<section class='doc'><h2>{html.escape(name)}</h2>"
            f"<div class='text'>{_highlight(text, statements)}</div>"
            "<table><tr><th>stance</th><th>source</th><th>cue</th><th>content</th></tr>"
            f"{rows}</table></section>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
