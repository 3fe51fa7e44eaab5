"""The Spark integration, for real: pyspark in local mode (local[2]) against predict()."""

from __future__ import annotations

import pytest
from test_archive import key, texts

from stance.render import as_records


def test_statement_rows_match_predict(spark, nlp) -> None:
    from stance.spark import statement_rows

    docs = [*texts(6), "", "No one said anything here."]
    frame = spark.createDataFrame(
        [(f"d{i}", text) for i, text in enumerate(docs)], "id string, body string"
    ).repartition(2)  # two partitions: both local cores run the UDF
    rows = [row.asDict(recursive=True) for row in statement_rows(frame, "body", "id").collect()]
    expected = [
        row for i, text in enumerate(docs) for row in as_records("", nlp.predict(text), f"d{i}")
    ]
    for row in expected:
        del row["document"]
    assert len(rows) >= 6
    assert sorted(map(key, rows)) == sorted(map(key, expected))
    by_key = {key(row): row for row in expected}
    for row in rows:
        assert row["score"] == pytest.approx(by_key[key(row)]["score"], abs=1e-3)
        assert row["scores"] == pytest.approx(by_key[key(row)]["scores"], abs=1e-3)


def test_statement_rows_names_a_missing_column(spark) -> None:
    from stance.spark import statement_rows

    frame = spark.createDataFrame([("x",)], "story string")
    with pytest.raises(ValueError, match=r"no column 'text' \(text_column\); columns: \['story'\]"):
        statement_rows(frame)
