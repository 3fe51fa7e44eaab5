"""The annotated corpus: authoring-format parser, validator, split assignment and JSONL compiler.

The authoring format (see ``data/annotations/GUIDELINES.md``, section 6) is plain text with
inline ``<S1>``/``<C1>``/``<P1>`` tags and one ``@`` line per statement, so annotations can be
written and reviewed by eye. This module turns it into one JSON record per document with
character offsets, and checks everything the guidelines make checkable.

Command line::

    python -m stance.corpus check data/annotations/source/politics.txt
    python -m stance.corpus compile          # all sources -> data/annotations/corpus.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.speakers import HONORIFICS, PRONOUNS
from stance.types import LABELS

REPO_ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS_DIR = REPO_ROOT / "data" / "annotations"
SOURCE_DIR = ANNOTATIONS_DIR / "source"
CORPUS_PATH = ANNOTATIONS_DIR / "corpus.jsonl"

DOMAINS: tuple[str, ...] = (
    "politics",
    "conflict",
    "diplomacy",
    "business",
    "science_health",
    "technology",
    "courts",
    "climate_energy",
    "sports",
    "culture",
    "local_government",
    "transport",
    "education",
    "agriculture",
)

CONSTRUCTIONS: tuple[str, ...] = (
    "said_that",
    "content_first",
    "according_to",
    "colon_quote",
    "multi_sentence_quote",
    "partial_quote",
    "pronoun_source",
    "descriptive_source",
    "organisation_source",
    "cross_sentence_source",
    "agentless",
    "nested",
    "hedged_denial",
    "conditional",
    "question",
    "conjoined_contents",
    "negative_assertion",
    "evaluative_cue",
    "split_cue",
    "far_cue",
    "social_media",
    "reporter_distancing",
    "no_attribution",
    # Added for corpus v2 from the error analysis of the v1 model (reports/error-analysis-v1.md).
    "stative_cue",
    "nominal_content",
    "long_content",
    "source_after_quote",
    "no_source",
    "full_article",
)

#: Constructions computed from the spans of each statement (see :func:`derived_constructions`),
#: so their counts never depend on an author remembering to tag them.
DERIVED_CONSTRUCTIONS: tuple[str, ...] = (
    "no_source",
    "pronoun_source",
    "content_first",
    "source_after_quote",
    "nested",
    "far_cue",
    "multi_sentence_quote",
    "long_content",
    "conjoined_contents",
)
#: Words between cue and content from which a cue counts as far from its content.
FAR_CUE_WORDS = 8
#: Content length in words from which a content counts as long.
LONG_CONTENT_WORDS = 26
#: Abbreviated titles whose period ends no sentence ("Mr. Halloran", "MS. ACHTERBERG",
#: "Sen. Lund"): the courtesy titles speaker matching strips, and office titles written short.
PERIOD_TITLES: tuple[str, ...] = tuple(
    sorted(HONORIFICS | {"sen", "rep", "gov", "gen", "lt", "col", "st", "ald", "atty"})
)
#: A sentence end followed by the next sentence's capital: where a span crosses sentences.
SENTENCE_BREAK = re.compile(
    "".join(rf"(?<!\b(?i:{title}))" for title in PERIOD_TITLES) + r"[.!?][\"'”’]?\s+[\"'“‘]?[A-Z]"
)

#: The corpus version the dataset card and model cards name (raised when a batch is adopted).
CORPUS_VERSION = 8
SPLITS: tuple[str, ...] = ("train", "validation", "test")
QUOTE_CHARS = "\"'“”‘’«»„"
_TAG = re.compile(r"<(/?)([SCPM])(\d+)>")
_ID = re.compile(r"^[a-z]+-\d{4}$")
_KIND_NAMES = {"S": "source", "C": "cue", "P": "content", "M": "mention"}


class CorpusError(ValueError):
    """Raised when annotation sources do not parse or validate; lists every problem found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = "\n  ".join(self.problems[:50])
        more = f"\n  … and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} annotation problem(s):\n  {shown}{more}")


def split_for(doc_id: str) -> str:
    """Assigns a document to a split by a hash of its id (about 80/10/10).

    The split depends on nothing but the id, so a document never moves when the corpus grows.

    Example:
        >>> split_for("pol-0001") in SPLITS
        True
    """
    bucket = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest(), 16) % 100
    if bucket < 80:
        return "train"
    return "validation" if bucket < 90 else "test"


@dataclass
class _Block:
    doc_id: str
    line_no: int
    meta: dict[str, str] = field(default_factory=dict)
    text_lines: list[str] = field(default_factory=list)
    statement_lines: list[tuple[int, str]] = field(default_factory=list)


def _blocks(source: str, where: str) -> tuple[list[_Block], list[str]]:
    blocks: list[_Block] = []
    problems: list[str] = []
    for no, raw in enumerate(source.splitlines(), start=1):
        line = raw.rstrip("\n\r")
        if line.startswith("### "):
            blocks.append(_Block(doc_id=line[4:].strip(), line_no=no))
            continue
        if not blocks:
            if line.strip() and not line.startswith("#"):
                problems.append(f"{where}:{no}: text before the first '### <id>' line")
            continue
        block = blocks[-1]
        stripped = line.strip()
        if stripped.startswith("@"):
            block.statement_lines.append((no, stripped[1:].strip()))
        elif not block.text_lines and re.match(r"^(domain|constructions):", stripped):
            key, _, value = stripped.partition(":")
            block.meta[key] = value.strip()
        elif block.statement_lines:
            if stripped and not stripped.startswith("#"):
                problems.append(f"{where}:{no}: text after the '@' lines of {block.doc_id}")
        elif stripped or block.text_lines:
            block.text_lines.append(line.strip())
    return blocks, problems


def _strip_tags(marked: str, where: str) -> tuple[str, dict[str, tuple[int, int]], list[str]]:
    """Removes span tags, returning the clean text and each tag id's (start, end)."""
    problems: list[str] = []
    out: list[str] = []
    length = 0
    opened: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    pos = 0
    for match in _TAG.finditer(marked):
        chunk = marked[pos : match.start()]
        out.append(chunk)
        length += len(chunk)
        pos = match.end()
        closing, kind, number = match.groups()
        tag_id = f"{kind}{number}"
        if not closing:
            if tag_id in opened or tag_id in spans:
                problems.append(f"{where}: tag <{tag_id}> is opened twice")
            opened[tag_id] = length
        elif tag_id not in opened:
            problems.append(f"{where}: </{tag_id}> closes a tag that is not open")
        else:
            spans[tag_id] = (opened.pop(tag_id), length)
    out.append(marked[pos:])
    problems += [f"{where}: <{tag_id}> is never closed" for tag_id in opened]
    text = "".join(out)
    if "<" in text and re.search(r"</?[A-Za-z]+\d*>", text):
        problems.append(f"{where}: unknown tag left in text (only S, C, P and M tags exist)")
    return text, spans, problems


def _check_span(kind: str, text: str, start: int, end: int, where: str) -> list[str]:
    piece = text[start:end]
    name = _KIND_NAMES[kind]
    if not piece.strip():
        return [f"{where}: empty {name} span"]
    problems = []
    if piece != piece.strip():
        problems.append(f"{where}: {name} '{piece}' starts or ends with whitespace")
    if kind == "P":
        if piece[0] in QUOTE_CHARS or piece[-1] in QUOTE_CHARS:
            problems.append(f"{where}: content '{piece}' includes a quote mark (exclude it)")
        if piece[-1] in ",;:.":
            problems.append(f"{where}: content '{piece}' ends with '{piece[-1]}' (leave it out)")
    return problems


def parse_source(source: str, where: str = "<string>") -> list[dict[str, Any]]:
    """Parses authoring-format text into document records.

    Args:
        source: The content of one authoring file.
        where: A name for error messages (usually the file path).

    Returns:
        One record per document: ``{id, domain, split, constructions, annotation_pass, text,
        statements}``, each statement ``{source, cue, content, label}`` with spans as
        ``{start, end, text}`` (source may be ``None``).

    Raises:
        CorpusError: listing every problem found, with file and line.

    Example:
        >>> docs = parse_source('''### pol-0001
        ... domain: politics
        ... constructions: said_that
        ... <S1>The minister</S1> <C1>said</C1> <P1>the port was closed</P1>.
        ... @ S1 C1 P1 assertion''')
        >>> docs[0]["statements"][0]["content"]
        {'start': 18, 'end': 37, 'text': 'the port was closed'}
    """
    blocks, problems = _blocks(source, where)
    docs: list[dict[str, Any]] = []
    for block in blocks:
        at = f"{where}:{block.line_no} ({block.doc_id})"
        if not _ID.match(block.doc_id):
            problems.append(f"{at}: id must look like 'pol-0001'")
        domain = block.meta.get("domain", "")
        if domain not in DOMAINS:
            problems.append(f"{at}: domain '{domain}' is not one of {', '.join(DOMAINS)}")
        constructions = [c.strip() for c in block.meta.get("constructions", "").split(",")]
        constructions = sorted({c for c in constructions if c})
        problems += [
            f"{at}: unknown construction '{c}' (see GUIDELINES.md section 5)"
            for c in constructions
            if c not in CONSTRUCTIONS
        ]
        text, spans, tag_problems = _strip_tags("\n".join(block.text_lines).strip(), at)
        problems += tag_problems
        if not text.strip():
            problems.append(f"{at}: document has no text")
        for tag_id, (start, end) in spans.items():
            problems += _check_span(tag_id[0], text, start, end, f"{at} <{tag_id}>")

        statements = []
        used: set[str] = set()
        speaker_of_source: dict[str, str | None] = {}
        seen: set[tuple[str, str, str]] = set()
        for line_no, body in block.statement_lines:
            sat = f"{where}:{line_no} ({block.doc_id})"
            parts = body.split()
            if len(parts) < 4:
                problems.append(
                    f"{sat}: statement line must be '@ SOURCE CUE CONTENT LABEL [TAG ...]'"
                )
                continue
            src, cue, content, label = parts[:4]
            links = [t[1:] for t in parts[4:] if t.startswith("=")]
            tags = sorted({t.strip(",") for t in parts[4:] if t.strip(",") and t[0] != "="})
            problems += [
                f"{sat}: unknown construction '{t}' (see GUIDELINES.md section 5)"
                for t in tags
                if t not in CONSTRUCTIONS
            ]
            if label not in LABELS:
                problems.append(f"{sat}: label '{label}' is not one of {', '.join(LABELS)}")
            expected = (("S", src), ("C", cue), ("P", content))
            bad = False
            for kind, ref in expected:
                if kind == "S" and ref == "-":
                    continue
                if not ref.startswith(kind) or ref not in spans:
                    problems.append(f"{sat}: '{ref}' is not a <{kind}…> span of this document")
                    bad = True
            if bad:
                continue
            speaker_ref, speaker_problem = _speaker_ref(src, links, spans)
            if speaker_problem:
                problems.append(f"{sat}: {speaker_problem}")
                continue
            if src != "-":
                if speaker_of_source.setdefault(src, speaker_ref) != speaker_ref:
                    problems.append(
                        f"{sat}: source {src} is linked to {speaker_ref} here but to "
                        f"{speaker_of_source[src]} on another line (one speaker per source span)"
                    )
            key = (src, cue, content)
            if key in seen:
                problems.append(f"{sat}: statement {src} {cue} {content} is listed twice")
            seen.add(key)
            used.update(r for r in key if r != "-")
            if speaker_ref is not None:
                used.add(speaker_ref)

            def span(ref: str) -> dict[str, Any]:
                start, end = spans[ref]
                return {"start": start, "end": end, "text": text[start:end]}

            statements.append(
                {
                    "source": None if src == "-" else span(src),
                    "cue": span(cue),
                    "content": span(content),
                    "label": label,
                    "constructions": tags,
                    "speaker": None if speaker_ref is None else span(speaker_ref),
                }
            )
        problems += [
            f"{at}: span <{t}> is not used by any statement" for t in spans if t not in used
        ]
        # A link names the canonical mention itself, never another reference to the speaker.
        problems += [
            f"{at}: {src} links to {ref}, but {ref} is itself linked to {speaker_of_source[ref]}: "
            f"link {src} to {speaker_of_source[ref]} (the canonical mention)"
            for src, ref in speaker_of_source.items()
            if ref is not None and ref != src and speaker_of_source.get(ref, ref) != ref
        ]
        statements.sort(key=lambda s: (s["content"]["start"], s["cue"]["start"]))
        for statement, derived in zip(statements, derived_constructions(text, statements)):
            statement["constructions"] = sorted(set(statement["constructions"]) | derived)
        docs.append(
            {
                "id": block.doc_id,
                "domain": domain,
                "split": split_for(block.doc_id),
                "constructions": constructions,
                "annotation_pass": "first",
                "text": text,
                "statements": statements,
            }
        )
    if problems:
        raise CorpusError(problems)
    return docs


def _speaker_ref(
    src: str, links: Sequence[str], spans: dict[str, tuple[int, int]]
) -> tuple[str | None, str | None]:
    """The tag id of a statement's speaker (its canonical mention) and any problem with it.

    No ``=`` token: the source is itself the canonical mention. ``=S3`` / ``=M1``: the speaker
    is that span. ``=-``: the speaker is never named in the document.
    """
    if len(links) > 1:
        return None, f"more than one speaker link ({', '.join('=' + r for r in links)})"
    if src == "-":
        if links and links[0] != "-":
            return None, "a statement without a source has no speaker: drop the '=' link"
        return None, None
    if not links:
        return src, None
    ref = links[0]
    if ref == "-":
        return None, None
    if ref[:1] not in ("S", "M") or ref not in spans:
        return None, f"speaker link '={ref}' is not an <S…> or <M…> span of this document"
    return ref, None


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def derived_constructions(text: str, statements: Sequence[dict[str, Any]]) -> list[set[str]]:
    """The constructions of each statement that its spans determine (``DERIVED_CONSTRUCTIONS``).

    Args:
        text: The document text.
        statements: Statements with ``source`` (or ``None``), ``cue``, ``content`` spans and
            ``label``.

    Returns:
        One set of construction tags per statement, in order.

    Example:
        >>> text = "The port is closed, she said."
        >>> st = {"source": {"start": 20, "end": 23}, "cue": {"start": 24, "end": 28},
        ...       "content": {"start": 0, "end": 18}, "label": "assertion"}
        >>> sorted(derived_constructions(text, [st])[0])
        ['content_first', 'pronoun_source', 'source_after_quote']
    """
    labels_per_cue: dict[tuple[int, int], set[str]] = {}
    for st in statements:
        labels_per_cue.setdefault((st["cue"]["start"], st["cue"]["end"]), set()).add(st["label"])
    result = []
    for st in statements:
        source, cue, content = st["source"], st["cue"], st["content"]
        tags: set[str] = set()
        if source is None:
            tags.add("no_source")
        elif text[source["start"] : source["end"]].lower() in PRONOUNS:
            tags.add("pronoun_source")
        if content["end"] <= cue["start"]:
            tags.add("content_first")
        if source is not None and source["start"] >= content["end"]:
            tags.add("source_after_quote")
        if any(
            other is not st
            and other["content"]["start"] <= cue["start"]
            and cue["end"] <= other["content"]["end"]
            for other in statements
        ):
            tags.add("nested")
        gap_start, gap_end = (
            (content["end"], cue["start"])
            if content["end"] <= cue["start"]
            else (cue["end"], max(cue["end"], content["start"]))
        )
        # Other contents of the same cue do not separate it from this one: in "said A and B",
        # B is next to its cue.
        gap = list(text[gap_start:gap_end])
        for other in statements:
            if other is not st and other["cue"] == cue:
                for i in range(
                    max(other["content"]["start"], gap_start), min(other["content"]["end"], gap_end)
                ):
                    gap[i - gap_start] = " "
        if _words("".join(gap)) >= FAR_CUE_WORDS:
            tags.add("far_cue")
        inner = text[content["start"] : content["end"]]
        if SENTENCE_BREAK.search(inner):
            tags.add("multi_sentence_quote")
        if _words(inner) >= LONG_CONTENT_WORDS:
            tags.add("long_content")
        if len(labels_per_cue[(cue["start"], cue["end"])]) > 1:
            tags.add("conjoined_contents")
        result.append(tags)
    return result


def _shingles(text: str, size: int = 5) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def find_problems(docs: Sequence[dict[str, Any]], near_duplicate: float = 0.6) -> list[str]:
    """Checks a whole corpus: unique ids, no duplicate or near-duplicate documents across splits.

    Near duplicates are pairs whose word 5-gram sets have a Jaccard similarity of at least
    ``near_duplicate``; across splits they would leak test text into training.
    """
    problems = []
    counts = Counter(d["id"] for d in docs)
    problems += [f"document id '{i}' is used {n} times" for i, n in counts.items() if n > 1]
    for doc in docs:
        for st in doc["statements"]:
            for part in ("source", "cue", "content"):
                span = st[part]
                if span is not None and doc["text"][span["start"] : span["end"]] != span["text"]:
                    problems.append(f"{doc['id']}: {part} offsets do not match its text")
    shingles = [_shingles(d["text"]) for d in docs]
    index: dict[str, list[int]] = {}
    for i, sh in enumerate(shingles):
        for s in sh:
            index.setdefault(s, []).append(i)
    for i, sh in enumerate(shingles):
        overlap: Counter[int] = Counter(j for s in sh for j in index[s] if j > i)
        for j, inter in overlap.items():
            jaccard = inter / len(sh | shingles[j])
            if jaccard >= near_duplicate and docs[i]["split"] != docs[j]["split"]:
                problems.append(
                    f"documents '{docs[i]['id']}' and '{docs[j]['id']}' are near duplicates "
                    f"(Jaccard {jaccard:.2f}) in different splits: rewrite one of them"
                )
            elif jaccard >= 0.95:
                problems.append(f"documents '{docs[i]['id']}' and '{docs[j]['id']}' are duplicates")
    return problems


def source_files(source_dir: Path = SOURCE_DIR) -> list[Path]:
    """Lists the authoring files in a stable order."""
    return sorted(source_dir.glob("*.txt"))


def compile_corpus(paths: Iterable[Path] | None = None) -> list[dict[str, Any]]:
    """Parses and validates every authoring file, returning documents sorted by id.

    Raises:
        CorpusError: with every problem in every file.
    """
    docs: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in paths if paths is not None else source_files():
        try:
            docs += parse_source(path.read_text(encoding="utf-8"), str(path))
        except CorpusError as err:
            problems += err.problems
    problems += find_problems(docs)
    if problems:
        raise CorpusError(problems)
    return sorted(docs, key=lambda d: d["id"])


def to_jsonl(docs: Iterable[dict[str, Any]]) -> str:
    """Serialises documents as JSON lines (stable key order, UTF-8)."""
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)


def read_corpus(path: Path = CORPUS_PATH) -> list[dict[str, Any]]:
    """Reads the compiled corpus JSONL."""
    if not path.exists():
        raise FileNotFoundError(
            f"compiled corpus {path} not found: run `python -m stance.corpus compile`"
        )
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def summarize(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts documents and statements per split, label, domain and construction."""
    statements = [(d, s) for d in docs for s in d["statements"]]
    # A document exercises a construction if it is tagged with it or one of its statements is.
    construction_docs = Counter(
        c
        for d in docs
        for c in set(d["constructions"]).union(
            *(s.get("constructions", ()) for s in d["statements"])
        )
    )
    # Statements are counted by their own tags (explicit or derived from their spans), never by
    # their document's tags, so each count is the number of statements showing the construction.
    construction_statements = Counter(c for _, s in statements for c in s.get("constructions", ()))
    return {
        "documents": len(docs),
        "statements": len(statements),
        "documents_per_split": dict(Counter(d["split"] for d in docs)),
        "statements_per_split": dict(Counter(d["split"] for d, _ in statements)),
        "labels": dict(Counter(s["label"] for _, s in statements)),
        "labels_per_split": {
            split: dict(Counter(s["label"] for d, s in statements if d["split"] == split))
            for split in SPLITS
        },
        "domains_documents": dict(Counter(d["domain"] for d in docs)),
        "domains_statements": dict(Counter(d["domain"] for d, _ in statements)),
        "constructions_documents": {c: construction_docs.get(c, 0) for c in CONSTRUCTIONS},
        "constructions_statements": {c: construction_statements.get(c, 0) for c in CONSTRUCTIONS},
        "documents_without_statements": sum(1 for d in docs if not d["statements"]),
        "null_source_statements": sum(1 for _, s in statements if s["source"] is None),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m stance.corpus``."""
    parser = argparse.ArgumentParser(
        prog="python -m stance.corpus", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate authoring files and print counts")
    check.add_argument("files", nargs="*", type=Path, help="authoring files (default: all)")
    comp = sub.add_parser("compile", help="validate all sources and write the JSONL corpus")
    comp.add_argument("--output", type=Path, default=CORPUS_PATH)
    args = parser.parse_args(argv)
    try:
        docs = compile_corpus(args.files or None if args.command == "check" else None)
    except CorpusError as err:
        print(err, file=sys.stderr)
        return 1
    summary = summarize(docs)
    if args.command == "compile":
        tmp = args.output.with_suffix(".tmp")
        tmp.write_text(to_jsonl(docs), encoding="utf-8")
        tmp.replace(args.output)  # atomic: a crash never leaves a half-written corpus
        print(f"wrote {args.output}")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
