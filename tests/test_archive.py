"""Batch runs over archives: real CLI subprocesses, killed mid-run and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stance.render import as_records

REPO = Path(__file__).resolve().parent.parent
PEOPLE = ["Mara Lindqvist", "Tomas Okonjo", "Ilse Varga", "Ravi Delacroix", "Nell Ashgrove"]
TEMPLATES = [
    "{p} said the bridge on Fenn Street would reopen on {d}.",
    "The council denied that {p} had been paid for the report.",
    "Repairs could take until {d}, {p} warned on Tuesday.",
    "{p} said the leak apparently began near the old pump house.",
]
DAYS = ["Monday", "Friday", "3 May", "the weekend"]


def texts(count: int) -> list[str]:
    """Short invented news paragraphs, all different."""
    return [
        " ".join(
            TEMPLATES[(i + k) % len(TEMPLATES)].format(
                p=PEOPLE[(i + k) % len(PEOPLE)], d=DAYS[(i * 3 + k) % len(DAYS)]
            )
            for k in range(2)
        )
        + f" The case number is {i}."
        for i in range(count)
    ]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "stance.cli", "predict", *args]


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run(command(*args), capture_output=True, text=True, env=env, timeout=300)


def kill_after(args: list[str], status: Path, lines: int, total: int) -> None:
    """Starts the command and SIGKILLs it once ``lines`` documents are recorded."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    log = status.with_name("killed-run.log")
    # A file, not a pipe: waiting on a pipe would also wait for any orphaned worker holding it.
    with log.open("wb") as handle:
        proc = subprocess.Popen(command(*args), env=env, stdout=handle, stderr=handle)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if status.exists() and status.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    stderr = log.read_text(errors="replace")
    recorded = status.read_bytes().count(b"\n") if status.exists() else 0
    assert proc.returncode == -signal.SIGKILL, f"ended before the kill: {stderr[-2000:]}"
    assert 0 < recorded < total, f"kill did not land mid-run ({recorded}/{total} recorded)"


def status_records(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), "status file ends with a torn line"
    return [json.loads(line) for line in raw.splitlines()]


def key(row: dict) -> str:
    """A row without its scores, as a sortable string."""
    return json.dumps(
        {k: v for k, v in row.items() if k not in ("score", "scores")}, sort_keys=True
    )


def check_run(
    records: list[dict],
    rows: list[dict],
    expected_ids: list[str],
    expected_rows: list[dict],
    failed: dict[str, str],
) -> None:
    """Every document recorded exactly once, in input order, with exactly its rows."""
    assert [r["doc_id"] for r in records] == expected_ids
    for record in records:
        if record["doc_id"] in failed:
            assert record["status"] == "failed"
            assert failed[record["doc_id"]] in record["reason"], record
        else:
            assert record["status"] == "done", record
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["doc_id"]] = counts.get(row["doc_id"], 0) + 1
    assert counts == {r["doc_id"]: r["statements"] for r in records if r.get("statements")}
    # Same statements as predict() on the same texts (scores may differ in the last digits:
    # windows are batched differently).
    assert sorted(map(key, rows)) == sorted(map(key, expected_rows))
    by_key = {key(row): row for row in expected_rows}
    for row in rows:
        assert row["score"] == pytest.approx(by_key[key(row)]["score"], abs=1e-3)


def test_txt_folder_to_jsonl_killed_torn_and_resumed(tmp_path: Path, nlp) -> None:
    folder = tmp_path / "archive"
    (folder / "2024").mkdir(parents=True)
    docs = texts(40)
    for i, text in enumerate(docs):
        (folder / "2024" / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    (folder / "2024" / "015b.txt").write_bytes("Le ministre a dit: caf\xe9".encode("latin-1"))
    output, status = tmp_path / "out.jsonl", tmp_path / "out.jsonl.status.jsonl"
    args = [str(folder), "--output", str(output), "--quiet"]

    kill_after(args, status, lines=1, total=41)
    # A crash in the middle of a row: a torn line at the end of the output.
    with output.open("ab") as handle:
        handle.write(b'{"document": "torn", "doc_id": "2024/0')
    result = run(*args)
    assert result.returncode == 1, result.stderr  # 1: a document failed
    assert "resuming after" in result.stderr and "torn output" in result.stderr

    ids = sorted(f"2024/{i:03d}.txt" for i in range(40)) + ["2024/015b.txt"]
    ids.sort()
    text_of = {f"2024/{i:03d}.txt": text for i, text in enumerate(docs)}
    expected = [
        row
        for doc_id in ids
        if doc_id in text_of
        for row in as_records(str(folder / doc_id), nlp.predict(text_of[doc_id]), doc_id)
    ]
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    check_run(status_records(status), rows, ids, expected, {"2024/015b.txt": "not valid UTF-8"})
    # A finished run re-run does nothing and changes nothing.
    before = output.read_bytes(), status.read_bytes()
    again = run(*args)
    assert again.returncode == 1  # the archive still has a failed document
    assert "resuming after 41 recorded documents" in again.stderr
    assert (output.read_bytes(), status.read_bytes()) == before


def test_jsonl_to_parquet_with_two_workers_killed_and_resumed(tmp_path: Path, nlp) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    docs = texts(24)
    source = tmp_path / "news.jsonl"
    with source.open("wb") as handle:
        for i, text in enumerate(docs):
            record: dict = {"id": f"n{i}", "body": text}
            if i == 5:
                record["body"] = None  # a missing text value
            handle.write(json.dumps(record).encode() + b"\n")
            if i == 9:
                handle.write(b'{"id": "bad", "body": "caf\xe9 said"}\n')  # not UTF-8
    output, status = tmp_path / "out.parquet", tmp_path / "out.parquet.status.jsonl"
    args = [str(source), "--output", str(output), "--text-column", "body", "--id-column", "id"]
    args += ["--workers", "2", "--part-size", "4", "--quiet"]

    kill_after(args, status, lines=8, total=25)
    # A crash while writing status lines: the last one torn, so its part is half-recorded.
    raw = status.read_bytes()
    status.write_bytes(raw[: raw.rstrip(b"\n").rfind(b"\n") + 20])
    (output / "part-00099.parquet.tmp").write_bytes(b"half a part")
    result = run(*args)
    assert result.returncode == 1, result.stderr
    assert "cut a torn status line" in result.stderr and "redoing part" in result.stderr
    assert not list(output.glob("*.tmp"))

    ids = [f"n{i}" for i in range(24)]
    ids.insert(10, "<line 11>")
    expected = [
        row
        for i, text in enumerate(docs)
        if i != 5
        for row in as_records(str(source), nlp.predict(text), f"n{i}")
    ]
    parts = sorted(output.glob("part-*.parquet"))
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(7)]
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    failed = {"n5": "'body' is null", "<line 11>": "not valid UTF-8"}
    check_run(status_records(status), rows, ids, expected, failed)


def test_parquet_to_jsonl_torn_row_after_a_finished_run(tmp_path: Path, nlp) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    docs = texts(6)
    table = pa.table({"story": [*docs, None], "n": list(range(7))})
    source = tmp_path / "news.parquet"
    pq.write_table(table, source)
    output = tmp_path / "rows.jsonl"
    args = [str(source), "--output", str(output), "--text-column", "story", "--id-column", "n"]
    first = run(*args, "--quiet")
    assert first.returncode == 1 and "6 documents done, 1 failed" in first.stderr
    complete = output.read_bytes()
    with output.open("ab") as handle:
        handle.write(complete[:50])  # a torn copy of a row, as a crash mid-write leaves
    second = run(*args)
    assert "resuming after 7 recorded documents" in second.stderr
    assert output.read_bytes() == complete
    rows = [json.loads(line) for line in complete.decode().splitlines()]
    expected = [
        row
        for i, text in enumerate(docs)
        for row in as_records(str(source), nlp.predict(text), str(i))
    ]
    status = output.with_name("rows.jsonl.status.jsonl")
    check_run(status_records(status), rows, [str(i) for i in range(7)], expected, {"6": "null"})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "name the column that holds the text with --text-column (columns: id, body)"),
        (["--text-column", "text"], "has no column 'text'"),
        (["--text-column", "body", "--id-column", "key"], "available columns: id, body"),
        (["--text-column", "body", "--format", "html"], "--output writes jsonl or parquet"),
    ],
)
def test_bad_archive_usage_names_the_fix(tmp_path: Path, extra: list[str], message: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "body": "It rained, she said."}) + "\n")
    result = run(str(source), "--output", str(tmp_path / "o.jsonl"), *extra)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_archive_options_need_output(tmp_path: Path) -> None:
    result = run(str(REPO / "examples" / "article.txt"), "--workers", "2")
    assert result.returncode == 2 and "--workers need --output" in result.stderr
    two = run(str(REPO / "examples" / "article.txt"), "-", "--output", str(tmp_path / "o.jsonl"))
    assert two.returncode == 2 and "--output takes one input" in two.stderr


def test_resume_refuses_a_changed_input(tmp_path: Path) -> None:
    from stance.archive import ArchiveError, run_archive

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("It rained, she said.")
    output = tmp_path / "o.jsonl"
    output.write_text("")
    status = tmp_path / "o.jsonl.status.jsonl"
    status.write_text(json.dumps({"doc_id": "b.txt", "status": "done", "offset": 0}) + "\n")
    with pytest.raises(ArchiveError, match="document 1 is 'a.txt' but was recorded as 'b.txt'"):
        run_archive(folder, output, progress=False)
    status.write_text(status.read_text().replace("b.txt", "a.txt") * 2)
    with pytest.raises(ArchiveError, match="has 1 documents but .* records 2"):
        run_archive(folder, output, progress=False)
