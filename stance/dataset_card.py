"""Generates the dataset card (data/annotations/README.md) from the compiled corpus.

Every figure in the card comes from the data: ``python -m stance.dataset_card`` rewrites it,
and the test suite fails when the card and the corpus disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.corpus import ANNOTATIONS_DIR, CONSTRUCTIONS, SPLITS, read_corpus, summarize
from stance.types import LABELS

CARD_PATH = ANNOTATIONS_DIR / "README.md"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


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
- n<1K
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
        [c, s["constructions_documents"][c], s["constructions_statements"][c]]
        for c in CONSTRUCTIONS
    ]
    return f"""{yaml}
# stance corpus: attributed statements and epistemic stance in news (v1)

Short wire-style news documents in English, annotated with every **attributed statement**
(source, cue and content as character spans) and the **epistemic stance** of the source toward
the content: denial, speculation, hedge or assertion. Every sentence was written for this corpus
(invented people, places and organisations); none is copied or paraphrased from real articles.
The annotation manual is [GUIDELINES.md](GUIDELINES.md).

*All figures below are generated from `corpus.jsonl` by `python -m stance.dataset_card`.*

## Size

{n_docs} documents, {n_st} statements, {len(s["domains_documents"])} domains;
{s["documents_without_statements"]} documents have no statement at all and
{s["constructions_documents"]["no_attribution"]} contain sentences that attribute nothing;
{s["null_source_statements"]} statements have no source (agentless).

{_table(["split", "documents", "statements"], split_rows)}

## Labels

{_table(["label", *SPLITS, "total", "share"], label_rows)}

## Domains

{_table(["domain", "documents", "statements"], domain_rows)}

## Constructions

Documents are tagged with the constructions they exercise (fixed list in GUIDELINES.md,
section 5); statements are counted per document tag.

{_table(["construction", "documents", "statements in those documents"], construction_rows)}

## Format

`corpus.jsonl` holds one document per line:
`{{id, domain, split, constructions, annotation_pass, text, statements: [{{source, cue, content,
label}}]}}`; each span is `{{start, end, text}}` with character offsets into `text` (end
exclusive); `source` is null for agentless statements. Load it with
`stance.data.load_annotations()` (a `datasets.DatasetDict`, offline).

The authoring sources are in `source/` (inline `<S1>`/`<C1>`/`<P1>` tags, one `@` line per
statement); `python -m stance.corpus compile` validates them and writes `corpus.jsonl`.

## Splits

Document-level train / validation / test (about 80/10/10), fixed by a sha256 hash of the
document id, so a document never changes split as the corpus grows. The validator rejects
near-duplicate documents across splits. The test split is never used for model selection.

## How it was made

Written in 2026 by the stance developers, domain by domain, following GUIDELINES.md, and
checked by the validator (spans equal their text, labels in the set, unique ids, boundary rules
for content spans, no near duplicates across splits). This is a single annotation pass
(`annotation_pass: first`); inter-annotator agreement has not been measured yet.

## Limitations

Synthetic wire-style text is cleaner and more regular than real news; documents are short
(1–6 sentences), so long-range attribution is under-represented. Measure on real text (the
project reports PolNeAR dev span F1 for this reason) before relying on a model trained here.

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
