"""Tests of stance.polnear: a synthetic brat folder always, the real PolNeAR dev split if present.

The synthetic text below is invented; no PolNeAR text is ever copied into the repository.
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import sys
from pathlib import Path

import pytest

try:
    import stance  # noqa: F401
except ImportError:  # the project is not installed in the venv: import it from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stance.polnear import (  # noqa: E402
    DEFAULT_POLNEAR_DIR,
    POLNEAR_ENV,
    load_polnear,
    parse_ann,
    polnear_dir,
)

# Invented article: a content-first quote, a discontinuous content, an agentless report and a
# second quotation sharing source and cue (role Content2).
TEXT = (
    '"The bridge will open in May," the mayor said. '
    '"Traffic is light," she said, "and tolls are low."\n'
    "The plan, officials said, was cheap. Costs reportedly rose."
)


def offsets(piece: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(piece, start + 1)
    return start, start + len(piece)


def t_line(number: int, kind: str, *pieces: str) -> str:
    spans = [offsets(p) for p in pieces]
    where = ";".join(f"{s} {e}" for s, e in spans)
    return f"T{number}\t{kind} {where}\t" + " ".join(TEXT[s:e] for s, e in spans)


ANN = "\n".join(
    [
        t_line(1, "Content", '"The bridge will open in May,"'),
        t_line(2, "Source", "the mayor"),
        t_line(3, "Cue", "said"),
        t_line(4, "Attribution", "said"),
        "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2",
        t_line(5, "Content", '"Traffic is light,"'),
        t_line(6, "Source", "she"),
        t_line(7, "Cue", "said,"),
        t_line(8, "Content", '"and tolls are low."'),
        t_line(9, "Attribution", "said,"),
        "E2\tAttribution:T9 Cue:T7 Source:T6 Content:T5 Content2:T8",
        t_line(10, "Content", "The plan,", "was cheap"),
        t_line(11, "Source", "officials"),
        t_line(12, "Cue", "said, was"),
        t_line(13, "Attribution", "said, was"),
        "E3\tAttribution:T13 Content:T10 Source:T11 Cue:T12",
        t_line(14, "Content", "Costs reportedly rose"),
        t_line(15, "Cue", "reportedly"),
        t_line(16, "Attribution-no-source", "reportedly"),
        "E4\tAttribution-no-source:T16 Cue:T15 Content:T14",
        t_line(17, "Discuss", "Costs"),
        t_line(18, "Content", "Traffic"),
        t_line(19, "Attribution", "Traffic"),
        "E5\tAttribution:T19 Content:T18",
        "E6\tAttribution-no-source:T20 ",
    ]
)


def joined(text: str, span: dict) -> str:
    """A span's text as brat writes it: its pieces joined by one space."""
    return " ".join(text[start:end] for start, end in span["pieces"])


def test_parse_ann_roles_pieces_and_skips():
    statements, counts = parse_ann(ANN, TEXT, "synthetic")
    assert counts["attributions"] == 6
    assert counts["no_cue"] == 2  # E5 has only a content, E6 nothing
    assert counts["statements"] == len(statements) == 5
    assert counts["text_mismatch"] == 0
    contents = [s["content"]["text"] for s in statements]
    assert contents == [
        '"The bridge will open in May,"',
        '"Traffic is light,"',
        '"and tolls are low."',
        "The plan, was cheap",
        "Costs reportedly rose",
    ]
    traffic, tolls = statements[1], statements[2]
    assert traffic["source"] == tolls["source"] and traffic["cue"] == tolls["cue"]
    assert statements[3]["content"]["pieces"] == [
        list(offsets("The plan,")),
        list(offsets("was cheap")),
    ]
    assert statements[4]["source"] is None
    assert all("label" not in s for s in statements)
    for st in statements:
        for part in ("source", "cue", "content"):
            if st[part] is not None:
                assert st[part]["text"] == joined(TEXT, st[part])


def test_parse_ann_counts_text_mismatch():
    bad = ANN.replace("the mayor", "the Mayor", 1)
    _, counts = parse_ann(bad, TEXT)
    assert counts["text_mismatch"] == 1


def test_load_polnear_from_a_folder_and_env(tmp_path, monkeypatch):
    for name in ("b-doc", "a-doc"):
        (tmp_path / "text").mkdir(exist_ok=True)
        (tmp_path / "attributions").mkdir(exist_ok=True)
        (tmp_path / "text" / f"{name}.txt").write_text(TEXT, encoding="utf-8")
        (tmp_path / "attributions" / f"{name}.ann").write_text(ANN + "\n", encoding="utf-8")
    docs = load_polnear(tmp_path)
    assert [d["id"] for d in docs] == ["a-doc", "b-doc"]
    assert docs[0]["text"] == TEXT and len(docs[0]["statements"]) == 5
    monkeypatch.setenv(POLNEAR_ENV, str(tmp_path))
    assert polnear_dir() == tmp_path
    assert load_polnear() == docs


def test_missing_folder_gives_no_documents(tmp_path, monkeypatch):
    assert load_polnear(tmp_path / "absent") == []
    monkeypatch.setenv(POLNEAR_ENV, str(tmp_path / "absent"))
    assert load_polnear() == []
    monkeypatch.delenv(POLNEAR_ENV)
    assert polnear_dir() == DEFAULT_POLNEAR_DIR


def _real_dir() -> Path:
    return polnear_dir()


@pytest.fixture(scope="module")
def real_docs():
    folder = _real_dir()
    if not (folder / "attributions").is_dir():
        pytest.skip(f"PolNeAR dev split not found at {folder} (set {POLNEAR_ENV} to use it)")
    return load_polnear(folder)


def test_real_polnear_loads_84_documents(real_docs):
    assert len(real_docs) == 84
    assert [d["id"] for d in real_docs] == sorted(d["id"] for d in real_docs)
    assert sum(len(d["statements"]) for d in real_docs) > 2000


def test_real_polnear_span_texts_match_the_document(real_docs):
    for doc in real_docs:
        text = doc["text"]
        for st in doc["statements"]:
            assert st["cue"] is not None and st["content"] is not None
            for part in ("source", "cue", "content"):
                span = st[part]
                if span is None:
                    continue
                assert all(0 <= s < e <= len(text) for s, e in span["pieces"])
                assert span["text"] == joined(text, span), (doc["id"], part)
