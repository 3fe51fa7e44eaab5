"""Generates the dataset card (data/annotations/README.md) from the compiled corpus.

Every figure in the card comes from the data: ``python -m stance.dataset_card`` rewrites it,
and the test suite fails when the card and the corpus disagree.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.corpus import (
    ANNOTATIONS_DIR,
    CONSTRUCTIONS,
    CORPUS_VERSION,
    DERIVED_CONSTRUCTIONS,
    SPLITS,
    read_corpus,
    summarize,
)
from stance.types import LABELS

CARD_PATH = ANNOTATIONS_DIR / "README.md"

#: The hard cases that corpus v2 was written to cover (issue "Corpus v2"), each as a name and a
#: test on a statement; the card counts the statements that pass each test.
HARD_CASES: tuple[tuple[str, Any], ...] = (
    ("hedged denial", lambda st: "hedged_denial" in st["constructions"]),
    (
        "speculation inside a multi-sentence quote",
        lambda st: "multi_sentence_quote" in st["constructions"] and st["label"] == "speculation",
    ),
    ("evaluative cue", lambda st: "evaluative_cue" in st["constructions"]),
    ("agentless attribution", lambda st: "agentless" in st["constructions"]),
    ("question", lambda st: "question" in st["constructions"]),
    ("conditional", lambda st: "conditional" in st["constructions"]),
    (
        "conjoined contents with different stances under one cue",
        lambda st: "conjoined_contents" in st["constructions"],
    ),
    (
        "negative assertion that counters nothing",
        lambda st: "negative_assertion" in st["constructions"],
    ),
    ("cue far from its content", lambda st: "far_cue" in st["constructions"]),
    ("source after the quote", lambda st: "source_after_quote" in st["constructions"]),
    ("nested attribution", lambda st: "nested" in st["constructions"]),
    ("statement with no source", lambda st: "no_source" in st["constructions"]),
    # Added from the error analysis of the v1 model (reports/error-analysis-v1.md).
    ("stative cue", lambda st: "stative_cue" in st["constructions"]),
    ("noun-phrase content", lambda st: "nominal_content" in st["constructions"]),
    ("long content (26+ words)", lambda st: "long_content" in st["constructions"]),
    ("pronoun source", lambda st: "pronoun_source" in st["constructions"]),
)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _sentences(text: str) -> int:
    return 1 + len(re.findall(r"[.!?][\"'”’]?\s+[\"'“‘]?[A-Z]", text)) + text.count("\n")


def _adjudication_summary() -> str:
    """Counts of the adjudication decisions (``agreement/adjudication.jsonl``)."""
    import json
    from collections import Counter

    path = ANNOTATIONS_DIR / "agreement" / "adjudication.jsonl"
    if not path.exists():
        return "The disagreements have not been adjudicated yet."
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    decisions = Counter(r["decision"] for r in rows)
    types = Counter(r["type"] for r in rows)
    changed = sum(1 for r in rows if r["gold_changed"])
    decision_rows = [[d, decisions.get(d, 0)] for d in ("first", "second", "both", "neither")]
    type_rows = [[t, n] for t, n in types.most_common()]
    return f"""Every disagreement was adjudicated by the guidelines
(`agreement/adjudication.jsonl`, one decision and rule per disagreement; narrative in
`agreement/ADJUDICATION.md`): the gold changed in {changed} of {len(rows)} cases.
Recurring types became rules in GUIDELINES.md ("Decisions from the agreement study"), and
`scripts/recheck_corpus.py` searched the whole corpus for the same mistakes. The figures above
compare the two independent passes (the first pass frozen before adjudication in
`agreement/first_pass.jsonl`).

{_table(["decision", "disagreements"], decision_rows)}

{_table(["disagreement type", "cases"], type_rows)}"""


def _agreement_section() -> str:
    """The agreement figures of the blind second pass, or a note that there is none yet."""
    from stance.agreement import SECOND_PASS_PATH, compare, first_pass, read_second_pass

    if not SECOND_PASS_PATH.exists():
        return "No second annotation pass has been made yet."
    second = read_second_pass()
    result = compare(first_pass(), second)
    spans = result["spans"]
    span_rows = [
        [part, f"{spans[part]['f1']:.3f}", spans[part]["n_gold"], spans[part]["n_pred"]]
        for part in ("source", "cue", "content")
    ]
    confusion_rows = [
        [first] + [result["confusion"][f"{first} / {second_label}"] for second_label in LABELS]
        for first in LABELS
    ]
    kinds = {k: 0 for k in ("label", "first only", "second only")}
    for item in result["disagreements"]:
        kinds[item["kind"]] += 1
    return f"""A second annotator re-annotated a stratified sample ({result["documents"]} documents
across all domains, labels and constructions, full-length articles included; drawn by
`python -m stance.agreement sample`) from the text alone, following GUIDELINES.md, without
seeing the first annotation (`agreement/second_pass.txt`, `annotation_pass: second`).
Statements are paired one-to-one by content token F1 >= 0.5.

- Statements: first pass {result["statements_first"]}, second pass
  {result["statements_second"]}, found by both {result["matched"]}.
- Stance on statements both found: Cohen's kappa **{result["kappa"]:.3f}**, raw agreement
  {result["label_agreement"]:.3f}.
- Disagreements to adjudicate: {kinds["label"]} label differences, {kinds["first only"]}
  statements only the first pass found, {kinds["second only"]} only the second pass found.

Span agreement (token-overlap F1, one-to-one matching; first pass as reference):

{_table(["span", "F1", "first pass", "second pass"], span_rows)}

Labels, first pass (rows) against second pass (columns):

{_table(["first / second", *LABELS], confusion_rows)}

{_adjudication_summary()}"""


def _speaker_section(docs: Sequence[dict[str, Any]]) -> str:
    """Counts of speaker links by resolution type and split (generated)."""
    from stance.speakers import RESOLUTION_TYPES, lowercase_vocabulary, resolution_type

    common = lowercase_vocabulary(d["text"] for d in docs)
    counts: dict[str, dict[str, int]] = {}
    for doc in docs:
        for st in doc["statements"]:
            source, speaker = st["source"], st.get("speaker")
            if source is None:
                row = "no source"
            elif speaker == source:
                row = "source is the canonical mention"
            else:
                row = resolution_type(source["text"], speaker and speaker["text"], common).replace(
                    "_", " "
                )
            counts.setdefault(row, {}).setdefault(doc["split"], 0)
            counts[row][doc["split"]] += 1
    order = ["source is the canonical mention", *RESOLUTION_TYPES, "never named", "no source"]
    rows = [
        [row, *(counts.get(row, {}).get(sp, 0) for sp in SPLITS),
         sum(counts.get(row, {}).values())]
        for row in order
    ]  # fmt: skip
    return _table(["statements", *SPLITS, "total"], rows)


def render_card(docs: Sequence[dict[str, Any]]) -> str:
    """The dataset card text for ``docs``."""
    s = summarize(docs)
    n_docs, n_st = s["documents"], s["statements"]
    yaml = """---
license: cc-by-4.0
language:
- en
pretty_name: stance — attributed statements and epistemic stance in news
task_categories:
- token-classification
- text-classification
tags:
- attribution
- quotation
- hedging
- factuality
- news
size_categories:
- 1K<n<10K
configs:
- config_name: default
  data_files:
  - split: train
    path: corpus.jsonl
---
"""
    label_rows = [
        [label]
        + [s["labels_per_split"][split].get(label, 0) for split in SPLITS]
        + [s["labels"].get(label, 0), f"{100 * s['labels'].get(label, 0) / max(n_st, 1):.1f} %"]
        for label in LABELS
    ]
    label_rows.append(
        ["**all**"] + [s["statements_per_split"].get(sp, 0) for sp in SPLITS] + [n_st, "100 %"]
    )
    split_rows = [
        [sp, s["documents_per_split"].get(sp, 0), s["statements_per_split"].get(sp, 0)]
        for sp in SPLITS
    ]
    domain_rows = [
        [d, s["domains_documents"][d], s["domains_statements"].get(d, 0)]
        for d in sorted(s["domains_documents"])
    ]
    construction_rows = [
        [
            c + (" (derived)" if c in DERIVED_CONSTRUCTIONS else ""),
            s["constructions_documents"][c],
            s["constructions_statements"][c],
        ]
        for c in CONSTRUCTIONS
    ]
    statements = [st for d in docs for st in d["statements"]]
    hard_rows = [[name, sum(1 for st in statements if test(st))] for name, test in HARD_CASES]
    sentence_counts = [_sentences(d["text"]) for d in docs]
    full_articles = [d for d in docs if "full_article" in d["constructions"]]
    length_rows = [
        [bucket, sum(1 for n in sentence_counts if low <= n <= high)]
        for bucket, low, high in (("1–3", 1, 3), ("4–7", 4, 7), ("8–20", 8, 20), ("21+", 21, 10**9))
    ]
    return f"""{yaml}
# stance corpus: attributed statements and epistemic stance in news (v{CORPUS_VERSION})

Wire-style news documents in English, annotated with every **attributed statement**
(source, cue and content as character spans) and the **epistemic stance** of the source toward
the content: denial, speculation, hedge or assertion. Every sentence was written for this corpus
(invented people and organisations, in invented or real places); none is copied or paraphrased
from real articles.
The annotation manual is [GUIDELINES.md](GUIDELINES.md).

*All figures below are generated from `corpus.jsonl` by `python -m stance.dataset_card`.*

## Size

{n_docs} documents, {n_st} statements, {len(s["domains_documents"])} domains;
{s["documents_without_statements"]} documents have no statement at all and
{s["constructions_documents"]["no_attribution"]} contain sentences that attribute nothing;
{s["null_source_statements"]} statements have no source (agentless).

{_table(["split", "documents", "statements"], split_rows)}

Document length in sentences (a rough count of sentence breaks); {len(full_articles)} documents are
full-length articles (headline, dateline, recurring speakers; tag `full_article`) with
{sum(len(d["statements"]) for d in full_articles)} statements.

{_table(["sentences", "documents"], length_rows)}

## Labels

{_table(["label", *SPLITS, "total", "share"], label_rows)}

## Domains

{_table(["domain", "documents", "statements"], domain_rows)}

## Constructions

Constructions are the fixed list in GUIDELINES.md, section 5. A document counts for a
construction when it is tagged with it or one of its statements is; statements are counted by
their own tags only: tags written by the annotator on the statement, plus the tags marked
*derived*, which the compiler computes from the spans of every statement. (v1 documents carry
judgement tags at document level only, so their statements count only for derived tags.)

{_table(["construction", "documents", "statements"], construction_rows)}

### Hard cases

The constructions real news is made of and the v1 model's errors pointed to, in statements:

{_table(["hard case", "statements"], hard_rows)}

## Speakers

Every statement with a source records its **speaker**: the canonical mention of who is speaking
(the document's fullest name span, GUIDELINES.md section 7), or null when the speaker is never
named. Statements by how their source refers to the speaker (linked to a canonical mention as a
pronoun, a surname or short name, or a description; or never named):

{_speaker_section(docs)}

## Format

`corpus.jsonl` holds one document per line:
`{{id, domain, split, constructions, annotation_pass, text, statements: [{{source, cue, content,
label, constructions, speaker}}]}}`; each span is `{{start, end, text}}` with character offsets
into `text` (end exclusive); `source` is null for agentless statements, `speaker` when the
speaker is never named (or there is no source). Load it with
`stance.data.load_annotations()` (a `datasets.DatasetDict`, offline).

The authoring sources are in `source/` (inline `<S1>`/`<C1>`/`<P1>` tags, one `@` line per
statement); `python -m stance.corpus compile` validates them and writes `corpus.jsonl`.

## Annotation agreement

{_agreement_section()}

## Splits

Document-level train / validation / test (about 80/10/10), fixed by a sha256 hash of the
document id, so a document never changes split as the corpus grows. The validator rejects
near-duplicate documents across splits. The test split is never used for model selection.

## How it was made

Written in 2026 by the stance developers, domain by domain, following GUIDELINES.md, and
checked by the validator (spans equal their text, labels in the set, unique ids, boundary rules
for content spans, no near duplicates across splits). Every corpus document carries the first
pass (`annotation_pass: first`); the agreement study above re-annotated a sample. Version 2 added
full-length articles and the hard cases below, chosen after an error analysis of the v1 model
(`reports/error-analysis-v1.md`); v1 documents kept their ids and splits. Speaker links were
proposed by a script (`scripts/propose_speakers.py`) and then checked and corrected document by
document by seven reviewers against GUIDELINES.md section 7; their recurring questions became
rules 11–16 there. The links are a single pass: no agreement figure exists for them yet.
Version 3 added two batches of 40 full-length articles each (ids numbered 7001 and up, and
8001 and up) aimed at what the model missed on real news: curly and colon-introduced quotes,
documents and polls as sources, demands, pledges, attitude and progressive cues; their
writers' disagreements were settled in GUIDELINES.md ("Decisions from the v3 review",
"Decisions from the v4 batch"). Version 4 added 40 more (ids numbered 9001 and up) aimed at
what the v3 model cut or missed on real news: long and multi-sentence quotes kept whole, long
indirect clauses with partial quotes inside, narration next to quotes and cues other than
"say" ("Decisions from the v5 batch"). Version 5 added 30 more (ids numbered 9101 and up in
business, courts, health, local government, conflict, climate and diplomacy; 9201 and up in
politics) aimed at the v4 model's commonest stance confusions (denial against negative
assertion, speculation against hedge and assertion) and at speech-act cues ("Decisions from
the v6 batch"). Version 6 added 46 more (ids numbered 9301 and up) aimed at the remaining
denial/assertion confusions, at speaker resolution and at forms real news uses and the corpus
lacked: printed transcripts, embedded social-media posts, honorifics, anonymous sourcing and
short contents under cues other than "say" ("Decisions from the v7 batch", "Decisions from the
v8 batch"). Version 7 added 24 full-length articles (ids numbered 9951 and up) aimed at forms
the model cut or missed in real news: reaction quotes of several sentences attributed by a dash
line, long quotes interrupted by their cue, attributing headlines and colon quotes ("Decisions
from the v9 batch"); it also mended one v4 content ("pledged" → `to veto any such budget …`) and
the derived tag `multi_sentence_quote`, which had read an honorific's period as a sentence end.
Earlier documents kept their ids and splits.

## Limitations

Synthetic wire-style text is cleaner and more regular than real news; most documents are
short, and even the full-length articles are shorter and tidier than real feature stories.
Measure on real text (the project reports PolNeAR dev span F1 for this reason) before relying
on a model trained here.

## License

CC BY 4.0.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrites the dataset card, or with ``--check`` fails if it is out of date."""
    args = list(argv if argv is not None else sys.argv[1:])
    card = render_card(read_corpus())
    if "--check" in args:
        if not CARD_PATH.exists() or CARD_PATH.read_text(encoding="utf-8") != card:
            print(f"{CARD_PATH} is out of date: run `python -m stance.dataset_card`")
            return 1
        return 0
    Path(CARD_PATH).write_text(card, encoding="utf-8")
    print(f"wrote {CARD_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
