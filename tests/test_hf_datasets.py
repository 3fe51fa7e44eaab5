"""The datasets helper: stance columns added with Dataset.map, in two processes."""

from __future__ import annotations

import pytest
from test_archive import texts


def test_add_stance_columns_with_two_processes(nlp) -> None:
    datasets = pytest.importorskip("datasets")
    from stance.hf_datasets import add_stance_columns

    docs = [*texts(4), None]
    ds = datasets.Dataset.from_dict({"id": list(range(5)), "body": docs})
    out = add_stance_columns(ds, text_column="body", num_proc=2, map_batch_size=2)
    assert out.column_names == ["id", "body", "statements", "stance_labels"]
    for row, text in zip(out, docs, strict=True):
        expected = nlp.predict(text) if text else []
        assert [s["content"] for s in row["statements"]] == [s.content.to_dict() for s in expected]
        assert row["stance_labels"] == [s.label for s in expected]


def test_add_stance_columns_names_the_columns() -> None:
    datasets = pytest.importorskip("datasets")
    from stance.hf_datasets import add_stance_columns

    with pytest.raises(ValueError, match=r"no column 'text' \(columns: \['body'\]\)"):
        add_stance_columns(datasets.Dataset.from_dict({"body": ["x"]}))
