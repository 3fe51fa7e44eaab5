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


UNNAMED = "unnamed sources"
NO_SOURCE = "no source"


def group_by_speaker(statements: Sequence[Statement]) -> list[tuple[str, list[Statement]]]:
    """Statements grouped by speaker: who said what, in order of each speaker's first mention.

    Statements whose speaker is never named come after the named speakers, then those without
    a source. A model without a speaker head gives one group (its statements in order).

    Example:
        >>> from stance.types import Span, Speaker
        >>> text = "Lena Marsh said it was shut. She said it would reopen."
        >>> marsh = Speaker.from_offsets(text, 0, 10)
        >>> def st(src, cue, con):
        ...     return Statement(Span.from_offsets(text, *src), Span.from_offsets(text, *cue),
        ...                      Span.from_offsets(text, *con), "assertion", 0.9, {},
        ...                      speaker=marsh)
        >>> [(name, len(group)) for name, group in group_by_speaker(
        ...     [st((0, 10), (11, 15), (16, 27)), st((29, 32), (33, 37), (38, 54))])]
        [('Lena Marsh', 2)]
    """
    if not any(st.speaker is not None for st in statements):
        return [("", list(statements))] if statements else []
    named: dict[tuple[int, int], list[Statement]] = {}
    names: dict[tuple[int, int], str] = {}
    unnamed: list[Statement] = []
    no_source: list[Statement] = []
    for st in statements:
        if st.speaker is not None:
            key = (st.speaker.start, st.speaker.end)
            named.setdefault(key, []).append(st)
            names[key] = st.speaker.name
        elif st.source is not None:
            unnamed.append(st)
        else:
            no_source.append(st)
    groups = [(speaker_title(names[key], named[key]), named[key]) for key in sorted(named)]
    groups += [(UNNAMED, unnamed)] if unnamed else []
    groups += [(NO_SOURCE, no_source)] if no_source else []
    return groups


def speaker_title(name: str, statements: Sequence[Statement]) -> str:
    """A speaker's name with the first description the text gives of them, if any.

    A description that is the speaker's own mention ("the company's chief medical officer, Dr.
    Priya Ranadive") or names them adds nothing and is left out.

    Example:
        >>> from stance.types import Span, Speaker
        >>> text = "Lena Marsh, a port spokeswoman, said it was shut."
        >>> st = Statement(Span.from_offsets(text, 0, 10), Span.from_offsets(text, 32, 36),
        ...     Span.from_offsets(text, 37, 48), "assertion", 0.9, {},
        ...     speaker=Speaker.from_offsets(text, 0, 10),
        ...     source_description=Span.from_offsets(text, 12, 30))
        >>> speaker_title("Lena Marsh", [st])
        'Lena Marsh, a port spokeswoman'
    """
    for st in statements:
        description, speaker = st.source_description, st.speaker
        if description is None:
            continue
        own_mention = speaker is not None and (
            description.start < speaker.end and speaker.start < description.end
        )
        if not own_mention and name.lower() not in description.text.lower():
            return f"{name}, {' '.join(description.text.split())}"
    return name


def as_table(name: str, statements: Sequence[Statement]) -> str:
    """A fixed-width text table of one document's statements, grouped by speaker."""
    groups = group_by_speaker(statements)
    named = sum(1 for title, _ in groups if title not in ("", UNNAMED, NO_SOURCE))
    speakers = f", {named} named speaker(s)" if named else ""
    lines = [f"== {name}: {len(statements)} statement(s){speakers}"]
    if statements:
        lines.append(f"{'label':<12} {'score':>5}  {'source':<28} {'cue':<18} content")
    for title, group in groups:
        if title:
            lines.append(f"-- {title} ({len(group)})")
        for st in group:
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
tr.speaker th{background:#f4f4f4;padding-top:.6rem}
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
        rows = []
        for title, group in group_by_speaker(statements):
            if title:
                rows.append(
                    f"<tr class='speaker'><th colspan='4'>{html.escape(title)} "
                    f"({len(group)})</th></tr>"
                )
            rows += [
                "<tr><td><span class='label' style='background:{colour}'>{label}</span> "
                "{score:.2f}</td><td>{source}</td><td>{cue}</td><td>{content}</td></tr>".format(
                    colour=LABEL_COLOURS.get(st.label, "#555"),
                    label=html.escape(st.label),
                    score=st.score,
                    source=html.escape(st.source.text) if st.source is not None else "<i>none</i>",
                    cue=html.escape(st.cue.text),
                    content=html.escape(st.content.text),
                )
                for st in group
            ]
        parts.append(
            f"<section class='doc'><h2>{html.escape(name)}</h2>"
            f"<div class='text'>{_highlight(text, statements)}</div>"
            "<h3>Who said what</h3>"
            "<table><tr><th>stance</th><th>source</th><th>cue</th><th>content</th></tr>"
            f"{''.join(rows)}</table></section>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
