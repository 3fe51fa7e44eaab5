"""Re-check the compiled stance corpus for the recurring disagreement types of the agreement study.

Lists candidate places (not certain errors) for the pattern-detectable types found in
``data/annotations/agreement/adjudication.jsonl``; each candidate needs a human look.

    python scripts/recheck_corpus.py [--check NAME ...] [--json]

Checks:
  noun_cue       reporting noun + that/of/by ("claims that", "reports of") not covered by a cue
  verb_cue       reporting verb ("accused ... of", "claims that", "says") not covered by a cue
  headline       full-article headline (first line) with a reporting verb but no statement
  medium_cue     a cue that includes a medium adverbial ("in a letter", "on social media")
  that_content   a content starting with "that "/"whether " (complementiser inside the span)
  quote_split    one contiguous quote cut into several contents of the same cue
  conjoined      a content with an internal "and that"/", and were ..." not split
  soft_eval      evaluative cue labelled hedge whose evaluation rejects the report
  self_nested    nested statement whose source is a pronoun at the start of the outer content
  outer_label    outer statement of a nested attribution not labelled assertion
  mixed_quote    one quote content with both a denial marker and a prediction marker
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stance.corpus import read_corpus  # noqa: E402
from stance.speakers import PRONOUNS  # noqa: E402

NOUNS = (
    r"claims?|reports?|allegations?|accusations?|suggestions?|warnings?|findings?|rumou?rs?|fears?"
)
NOUN_RE = re.compile(rf"\b({NOUNS})\s+(that|of|by)\b", re.I)
VERB_RE = re.compile(
    r"\b(accused|accuses|accuse|claims that|claimed that|reports that|reported that|says|say|"
    r"warns|denies|rejects|disputes|doubt|doubts|finds|find|insists)\b",
    re.I,
)
MEDIUM_RE = re.compile(
    r"\b(in an? |on social media|on (its|his|her|their) website|in (its|his|her) )", re.I
)
DENIAL_RE = re.compile(
    r"\b(no truth|never|not true|false|deny|denied|did not happen|nothing to do)\b", re.I
)
PRED_RE = re.compile(r"\b(will|would|could|might|may|expect|predict)\b", re.I)
SOFT_REJECT_RE = re.compile(
    r"(underestimat|understated|overstated|exaggerat|mistaken|wrong|too (high|low|optimistic)|"
    r"inflated|flawed|doubtful|unworkable|unlikely|errors?)",
    re.I,
)
EVIDENTIAL = {
    "suggest",
    "suggests",
    "suggested",
    "indicate",
    "indicates",
    "indicated",
    "show",
    "shows",
    "showed",
}


def covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def check_doc(doc: dict) -> list[tuple[str, str]]:
    text = doc["text"]
    sts = doc["statements"]
    cues = [(s["cue"]["start"], s["cue"]["end"]) for s in sts]
    out: list[tuple[str, str]] = []

    def ctx(a: int, b: int) -> str:
        return text[max(0, a - 40) : b + 60].replace("\n", " ")

    for m in NOUN_RE.finditer(text):
        if not covered(cues, m.start(1), m.end(1)):
            out.append(("noun_cue", ctx(m.start(), m.end())))
    for m in VERB_RE.finditer(text):
        if not covered(cues, m.start(1), m.end(1)) and not any(
            s <= m.start(1) < e for s, e in cues
        ):
            out.append(("verb_cue", ctx(m.start(), m.end())))
    if "full_article" in doc.get("constructions", []) or "\n" in text:
        head_end = text.find("\n")
        if (
            head_end > 0
            and VERB_RE.search(text[:head_end])
            and not any(s < head_end for s, _ in cues)
        ):
            out.append(("headline", text[:head_end]))
    for s in sts:
        cue, con = s["cue"]["text"], s["content"]["text"]
        if MEDIUM_RE.search(cue) and cue.lower() != "posted on social media saying":
            out.append(("medium_cue", f"cue={cue!r}"))
        if re.match(r"(that|whether)\s", con, re.I):
            out.append(("that_content", f"content={con[:80]!r}"))
        cs, ce = s["content"]["start"], s["content"]["end"]
        quoted = cs > 0 and text[cs - 1] in '"“'
        if (
            quoted
            and DENIAL_RE.search(con)
            and PRED_RE.search(con)
            and s["label"] not in ("denial",)
        ):
            out.append(("mixed_quote", f"{s['label']}: {con[:100]!r}"))
        if not quoted and re.search(r"\band that\b|, and (were|was|had|has|is|are) ", con):
            out.append(("conjoined", f"{s['label']}: {con[:120]!r}"))
        if (
            s["label"] == "hedge"
            and "evaluative_cue" in s.get("constructions", [])
            or (
                s["label"] == "hedge"
                and s["cue"]["text"].lower() in ("called", "described", "calling", "describing")
            )
        ):
            after = text[ce : ce + 60]
            if SOFT_REJECT_RE.search(after):
                out.append(("soft_eval", ctx(s["cue"]["start"], ce + 40)))
    # quote split: two contents of the same cue separated only by a sentence break inside one quote
    by_cue: dict[tuple[int, int], list[dict]] = {}
    for s in sts:
        by_cue.setdefault((s["cue"]["start"], s["cue"]["end"]), []).append(s)
    for group in by_cue.values():
        spans = sorted((s["content"]["start"], s["content"]["end"]) for s in group)
        for (a1, b1), (a2, b2) in zip(spans, spans[1:]):
            gap = text[b1:a2]
            if gap.strip() in (".", "?", "!", "", ",") and '"' not in gap:
                out.append(("quote_split", f"{text[a1:b1][-40:]!r} | {text[a2:b2][:40]!r}"))
    # nested checks
    for outer in sts:
        os_, oe = outer["content"]["start"], outer["content"]["end"]
        for inner in sts:
            if inner is outer:
                continue
            if not (os_ <= inner["cue"]["start"] and inner["cue"]["end"] <= oe):
                continue
            src = inner["source"]
            if src and src["start"] == os_ and src["text"].lower() in PRONOUNS:
                out.append(
                    (
                        "self_nested",
                        f"{outer['cue']['text']} > {src['text']} {inner['cue']['text']}",
                    )
                )
            elif (
                src
                and outer["label"] != "assertion"
                and outer["source"]
                and src["text"] != outer["source"]["text"]
                and not re.fullmatch(
                    NOUNS + r"|conclusion|assessment|estimate|account", inner["cue"]["text"], re.I
                )
                and inner["cue"]["text"].lower() not in EVIDENTIAL
            ):
                out.append(("outer_label", f"{outer['label']}: {outer['content']['text'][:100]!r}"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--check", nargs="*", help="only these checks")
    ap.add_argument("--json", action="store_true", help="one JSON object per candidate")
    args = ap.parse_args(argv)
    counts: dict[str, int] = {}
    for doc in read_corpus():
        for name, where in check_doc(doc):
            if args.check and name not in args.check:
                continue
            counts[name] = counts.get(name, 0) + 1
            if args.json:
                print(
                    json.dumps({"check": name, "id": doc["id"], "where": where}, ensure_ascii=False)
                )
            else:
                print(f"{name}\t{doc['id']}\t{where}")
    print("# candidates per check: " + json.dumps(counts, sort_keys=True), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
