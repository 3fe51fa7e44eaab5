"""Proposes speaker links (``=S…`` / ``=M…`` / ``=-``) for every source in the authoring files.

A first pass for the speaker-resolution annotation (GUIDELINES.md, section 7): it writes its
guesses into the files so that annotators only correct them, document by document. The guesses
are heuristics (nearest preceding named source for pronouns, longer mention of the same name
for surnames and short organisation names, shared head noun for descriptions); they are not
the gold until a person has checked them. Lines that already carry a link are left alone, but
a source with no link (reviewed as its own canonical mention) gets a proposal again: run it on
unreviewed files only.

    python scripts/propose_speakers.py data/annotations/source/*.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from stance.corpus import _blocks, _strip_tags, compile_corpus
from stance.speakers import PRONOUNS, lowercase_vocabulary
from stance.speakers import name_words as name_tokens

ARTICLES = {"a", "an", "one", "two", "three", "several", "some", "many", "other"}


def render(text: str, spans: dict[str, tuple[int, int]]) -> str:
    """Marked text from clean text and tag spans (outer tags open first, close last)."""
    events: list[tuple[int, int, int, int, str]] = []
    for tag, (start, end) in spans.items():
        # Closing before opening at one offset; inner (shorter) tags close first, open last.
        events.append((end, 0, end - start, 0, f"</{tag}>"))
        events.append((start, 1, -(end - start), 0, f"<{tag}>"))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    out, pos = [], 0
    for offset, _, _, _, tag in events:
        out.append(text[pos:offset])
        out.append(tag)
        pos = offset
    out.append(text[pos:])
    return "".join(out)


def propose_block(marked: str, lines: list[tuple[int, str]], lower: set[str]):
    text, spans, problems = _strip_tags(marked, "")
    if problems:
        return None
    parsed = [body.split() for _, body in lines]
    sources = []  # source tags in text order
    seen = set()
    for parts in parsed:
        src = parts[0]
        if src != "-" and src not in seen and src in spans:
            seen.add(src)
            sources.append(src)
    sources.sort(key=lambda t: spans[t][0])
    existing = {}
    for parts in parsed:
        for tok in parts[4:]:
            if tok.startswith("="):
                existing[parts[0]] = tok[1:]
    decided: dict[str, str | None] = {}  # source tag -> canonical tag, or None (never named)
    new_mentions: dict[str, tuple[int, int]] = {}

    def canonical(tag: str) -> str | None:
        return decided.get(tag, tag)

    for tag in sources:
        s_text = text[slice(*spans[tag])]
        low = s_text.lower()
        if tag in existing:
            decided[tag] = None if existing[tag] == "-" else existing[tag]
            continue
        words = low.split()
        earlier = [t for t in sources if spans[t][0] < spans[tag][0]]
        if low in PRONOUNS:
            # Nearest preceding source with a named speaker.
            ref = None
            for prev in reversed(earlier):
                c = canonical(prev)
                if c is not None:
                    ref = c
                    break
            decided[tag] = ref
            continue
        names = name_tokens(s_text, lower)
        if names:
            # A shorter form of a longer mention of the same name ("Renvall" after
            # "Finance Minister Oskar Renvall"): link to the longest source containing it.
            longer = [
                t
                for t in sources
                if t != tag
                and len(text[slice(*spans[t])]) > len(s_text)
                and set(names) <= set(name_tokens(text[slice(*spans[t])], lower))
                and decided.get(t, t) == t
                # "Supporters of challenger Tomas Ilievski" is not Ilievski.
                and not re.search(r"\b(of|for|from|with)\b|['’]s\b", text[slice(*spans[t])])
            ]
            if longer:
                decided[tag] = max(longer, key=lambda t: spans[t][1] - spans[t][0])
                continue
            last = names[-1]
            # A longer capitalised run ending with the same name elsewhere in the text.
            best = None
            for m in re.finditer(r"((?:[A-Z][\w'’.-]*\s+){1,4})" + re.escape(last) + r"\b", text):
                start, end = m.start(), m.end()
                while start < end and text[start : start + 4] in ("The ", "A "):
                    start += len(text[start:].split(" ", 1)[0]) + 1
                if start >= spans[tag][0] and end <= spans[tag][1]:
                    continue
                if any(s == start and e == end for s, e in spans.values()):
                    continue
                run = text[start:end]
                if len(run) <= len(s_text):
                    continue
                if not set(names) <= set(name_tokens(run, lower)):
                    continue
                # Overlapping an existing tag partially would break nesting.
                if any((s < start < e < end) or (start < s < end < e) for s, e in spans.values()):
                    continue
                best = (start, end)
                break
            if best is not None:
                mid = f"M{len(new_mentions) + 1}"
                new_mentions[mid] = best
                spans[mid] = best
                decided[tag] = mid
                continue
            decided[tag] = tag
            continue
        if words and words[0] in ARTICLES:
            decided[tag] = None
            continue
        # A description ("the official", "the ministry"): an earlier source with the same head.
        head = words[-1] if words else ""
        ref = None
        matched = False
        for prev in reversed(earlier):
            p_words = text[slice(*spans[prev])].lower().split()
            if head and head in p_words:
                ref = canonical(prev)
                matched = True
                break
        if matched:
            decided[tag] = ref
        elif words and words[0] != "the" and any(w.endswith("s") for w in words[:2]):
            decided[tag] = None  # a bare plural of people: "analysts", "election officials"
        else:
            decided[tag] = tag  # a unique office or institution names its speaker
    return text, spans, decided, new_mentions


def main(paths: list[Path]) -> int:
    docs = compile_corpus()
    lower = lowercase_vocabulary([d["text"] for d in docs])
    changed_docs = 0
    for path in paths:
        source = path.read_text(encoding="utf-8")
        blocks, _ = _blocks(source, str(path))
        out_lines = source.splitlines()
        for block in blocks:
            marked = "\n".join(block.text_lines).strip()
            result = propose_block(marked, block.statement_lines, lower)
            if result is None:
                continue
            text, spans, decided, new_mentions = result
            # Locate the block's text lines in the file.
            first_text = None
            for i in range(block.line_no, len(out_lines)):
                if out_lines[i].strip() == block.text_lines[0]:
                    first_text = i
                    break
            if new_mentions:
                new_marked = render(text, spans).split("\n")
                if len(new_marked) != len(block.text_lines):
                    continue
                for k, line in enumerate(new_marked):
                    out_lines[first_text + k] = line
            for line_no, body in block.statement_lines:
                parts = body.split()
                if any(t.startswith("=") for t in parts[4:]) or parts[0] == "-":
                    continue
                ref = decided.get(parts[0], parts[0])
                if ref == parts[0]:
                    continue
                parts.append("=" + (ref if ref is not None else "-"))
                out_lines[line_no - 1] = "@ " + " ".join(parts)
            changed_docs += 1
        path.write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    print(f"proposed links in {changed_docs} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main([Path(p) for p in sys.argv[1:]]))
