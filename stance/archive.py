"""Resumable batch runs over archives: a folder of .txt files, JSONL or Parquet.

:func:`run_archive` streams documents from the input, predicts statements (in this process or in
``workers`` spawned processes, each loading the model once), and writes

- the statement rows of :func:`stance.render.as_records` plus ``doc_id``, as one JSONL file or as
  numbered Parquet part files in a folder, and
- a status file, one JSON line per document in input order: ``done`` (with its statement count)
  or ``failed`` (with the reason). Failed documents never stop the run.

Why the status file makes runs resumable: documents are committed in input order, and each status
line records where its document's output ends (a byte ``offset`` in the JSONL output, or the
``part`` number of a Parquet part file). Output is made durable (fsync) before its status lines
are written. A re-run with the same arguments therefore trusts exactly the documents in the
status file: it cuts a torn last status line, truncates the JSONL output back to the last recorded
offset (which also removes a torn last row and rows of documents that were never recorded), or
deletes Parquet parts that were not fully recorded, then skips that many input documents (checking
their ids) and carries on. Every document ends up exactly once; memory does not grow with the
archive.

Example:
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "in.jsonl").write_text(
    ...     json.dumps({"id": "a", "body": "Rates could rise in May, analysts said."}) + "\\n"
    ... )
    >>> summary = run_archive(
    ...     folder / "in.jsonl", folder / "out.jsonl", text_column="body", id_column="id",
    ...     progress=False,
    ... )
    >>> summary.done, summary.failed
    (1, 0)
    >>> json.loads((folder / "out.jsonl").read_text())["doc_id"]
    'a'
    >>> json.loads((folder / "out.jsonl.status.jsonl").read_text())["status"]
    'done'
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from stance.types import Statement

OutputFormat = Literal["jsonl", "parquet"]
#: Where a committed document's rows end: ``{"offset": bytes}`` (JSONL) or ``{"part": n}``.
Position = dict[str, Any]
#: A status line: (start byte, end byte, record).
Recorded = tuple[int, int, dict[str, Any]]

#: Documents sent to a worker at once: large enough to batch windows well, small enough that an
#: interrupted run loses little work.
DEFAULT_CHUNK_SIZE = 8
#: Documents per Parquet part file.
DEFAULT_PART_SIZE = 1000
#: Records read from the start of a JSONL input to check that the named columns exist.
_PEEK_RECORDS = 100
_PART_GLOB = "part-*.parquet"


class ArchiveError(ValueError):
    """Bad input, output or status file; the message names the problem and the fix."""


class ModelLoadError(RuntimeError):
    """The model could not be loaded (in this process or in a worker)."""


@dataclass(frozen=True)
class Document:
    """One input document.

    Attributes:
        doc_id: Unique id: the path relative to the input folder, the id column's value, or the
            line (JSONL) or row (Parquet) number when there is no id column.
        document: Where the text came from (the ``document`` field of output rows).
        text: The text, or ``None`` when it could not be read.
        error: Why the text could not be read, or ``None``.
    """

    doc_id: str
    document: str
    text: str | None
    error: str | None = None


@dataclass(frozen=True)
class DocumentResult:
    """The statements of one document, or why it failed."""

    doc_id: str
    document: str
    statements: tuple[Statement, ...]
    error: str | None = None


@dataclass(frozen=True)
class Source:
    """An opened input: its kind, its size when known, and a fresh document stream."""

    path: Path
    kind: Literal["txt", "jsonl", "parquet"]
    total: int | None
    documents: Callable[[], Iterator[Document]]


@dataclass(frozen=True)
class ArchiveSummary:
    """What one call of :func:`run_archive` did.

    Attributes:
        resumed: Documents already recorded by an earlier run and skipped.
        done: Documents predicted in this run.
        failed: Documents recorded as failed in this run.
        resumed_failed: Of the ``resumed`` documents, those recorded as failed.
        statements: Statement rows written in this run.
        seconds: Wall time of this run, including model loading.
        output: The JSONL file or Parquet folder.
        status: The status file.
    """

    resumed: int
    done: int
    failed: int
    statements: int
    seconds: float
    output: Path
    status: Path
    resumed_failed: int = 0

    @property
    def documents_per_second(self) -> float:
        """Documents (done or failed) handled per second of wall time in this run."""
        return (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0


# --------------------------------------------------------------------------- inputs


def decode_utf8(data: bytes, name: str) -> str:
    """Decodes UTF-8 (with or without BOM), or raises ValueError saying how to convert.

    Example:
        >>> decode_utf8(b"caf\\xc3\\xa9", "a.txt")
        'café'
        >>> decode_utf8(b"caf\\xe9", "a.txt")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: a.txt is not valid UTF-8 (byte 3); convert it, e.g. `iconv -f latin1 ...`
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{name} is not valid UTF-8 (byte {err.start}); convert it, e.g. "
            f"`iconv -f latin1 -t utf-8 {name}`"
        ) from err


def _txt_documents(folder: Path, files: Sequence[Path]) -> Iterator[Document]:
    for path in files:
        doc_id = path.relative_to(folder).as_posix()
        try:
            text = decode_utf8(path.read_bytes(), str(path))
        except OSError as err:
            yield Document(doc_id, str(path), None, f"cannot read {path}: {err.strerror or err}")
        except ValueError as err:
            yield Document(doc_id, str(path), None, str(err))
        else:
            yield Document(doc_id, str(path), text)


def _text_value(record: dict[str, Any], column: str) -> tuple[str | None, str | None]:
    """The record's text, or the reason there is none."""
    if column not in record:
        return None, f"no '{column}' field"
    value = record[column]
    if value is None:
        return None, f"'{column}' is null"
    if not isinstance(value, str):
        return None, f"'{column}' is a {type(value).__name__}, not a string"
    return value, None


def _id_value(record: dict[str, Any], column: str | None, fallback: str) -> tuple[str, str | None]:
    """The record's id (as a string), or the fallback and the reason the id is missing."""
    if column is None:
        return fallback, None
    value = record.get(column)
    if value is None or isinstance(value, (dict, list)):
        return f"<{fallback}>", f"no usable '{column}' id value"
    return str(value), None


def _jsonl_documents(path: Path, text_column: str, id_column: str | None) -> Iterator[Document]:
    name = str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue  # blank lines (a trailing newline) are not documents
            fallback = f"line {number}"
            bad_id = f"<{fallback}>" if id_column else fallback
            try:
                line = decode_utf8(raw, f"{name} line {number}")
            except ValueError as err:
                yield Document(bad_id, name, None, str(err))
                continue
            try:
                record = json.loads(line)
            except ValueError as err:
                yield Document(bad_id, name, None, f"line {number} is not valid JSON: {err}")
                continue
            if not isinstance(record, dict):
                yield Document(bad_id, name, None, f"line {number} is not a JSON object")
                continue
            doc_id, id_error = _id_value(record, id_column, fallback)
            text, text_error = _text_value(record, text_column)
            error = id_error or text_error
            yield Document(doc_id, name, None if error else text, error)


def _parquet_documents(path: Path, text_column: str, id_column: str | None) -> Iterator[Document]:
    import pyarrow.parquet as pq

    name = str(path)
    columns = [text_column] + ([id_column] if id_column and id_column != text_column else [])
    number = 0
    # Batches keep memory flat however large the file is.
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256, columns=columns):
        for record in batch.to_pylist():
            fallback = f"row {number}"
            number += 1
            doc_id, id_error = _id_value(record, id_column, fallback)
            text, text_error = _text_value(record, text_column)
            error = id_error or text_error
            yield Document(doc_id, name, None if error else text, error)


def _check_column(
    path: Path, kind: str, option: str, column: str | None, available: Sequence[str]
) -> None:
    listed = ", ".join(available) if available else "none"
    if column is None:
        raise ArchiveError(
            f"{path} is {kind}: name the column that holds the text with {option} "
            f"(columns: {listed})"
        )
    if column not in available:
        raise ArchiveError(
            f"{path} has no column '{column}' (given with {option}); available columns: {listed}"
        )


def _jsonl_columns(path: Path) -> list[str]:
    """Field names seen in the first records of a JSONL file, in order of appearance."""
    seen: dict[str, None] = {}
    with path.open("rb") as handle:
        for raw in itertools.islice((line for line in handle if line.strip()), _PEEK_RECORDS):
            try:
                record = json.loads(raw)
            except ValueError:
                continue  # reported per document later
            if isinstance(record, dict):
                seen.update(dict.fromkeys(record))
    return list(seen)


def open_source(
    path: str | Path, text_column: str | None = None, id_column: str | None = None
) -> Source:
    """Opens an input and checks it before anything runs.

    Args:
        path: A folder (its ``*.txt`` files, recursively, in sorted order), a ``.jsonl`` /
            ``.ndjson`` file or a ``.parquet`` file.
        text_column: The field holding the text (JSONL and Parquet; required there).
        id_column: The field holding a unique document id (optional; the line or row number
            otherwise).

    Raises:
        ArchiveError: the input does not exist, has an unknown type, or lacks a named column.
    """
    path = Path(path)
    if path.is_dir():
        if text_column or id_column:
            raise ArchiveError(
                f"{path} is a folder of .txt files: --text-column and --id-column apply to "
                "JSONL and Parquet inputs only (a file's id is its path in the folder)"
            )
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise ArchiveError(f"{path} holds no .txt files; put one UTF-8 text file per document")
        return Source(path, "txt", len(files), lambda: _txt_documents(path, files))
    if not path.exists():
        raise ArchiveError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        columns = _jsonl_columns(path)
        _check_column(path, "JSONL", "--text-column", text_column, columns)
        if id_column is not None:
            _check_column(path, "JSONL", "--id-column", id_column, columns)
        assert text_column is not None
        return Source(path, "jsonl", None, lambda: _jsonl_documents(path, text_column, id_column))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path)
        except Exception as err:  # pyarrow raises several types for damaged files
            raise ArchiveError(f"{path} is not a readable Parquet file: {err}") from err
        columns = meta.schema_arrow.names
        _check_column(path, "Parquet", "--text-column", text_column, columns)
        if id_column is not None:
            _check_column(path, "Parquet", "--id-column", id_column, columns)
        assert text_column is not None
        total = meta.metadata.num_rows
        return Source(
            path, "parquet", total, lambda: _parquet_documents(path, text_column, id_column)
        )
    raise ArchiveError(
        f"{path}: unknown input type '{suffix or path.name}'; give a folder of .txt files, "
        "a .jsonl file or a .parquet file"
    )


# --------------------------------------------------------------------------- prediction

#: The model of this process (set by :func:`_init_worker`, once per process).
_PIPELINE: Any = None
_PIPELINE_ERROR: str | None = None


def _init_worker(
    model: str | None,
    revision: str | None,
    threads: int,
    child: bool,
    backend: str | None = None,
    onnx_compute: str = "auto",
) -> None:
    """Loads the model once per process, with its share of the CPU threads."""
    global _PIPELINE, _PIPELINE_ERROR
    if child:
        # Ctrl-C is the parent's to handle: it stops after the last committed chunk.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _exit_with_parent()
    from stance.errors import ModelFilesError
    from stance.hub import ModelNotAvailableError
    from stance.pipeline import load

    # Workers share the cores: without a limit every process would start one thread per core.
    try:
        _PIPELINE = load(
            model, revision=revision, threads=threads, backend=backend, onnx_compute=onnx_compute
        )
    except (ModelFilesError, ModelNotAvailableError, OSError) as err:
        _PIPELINE_ERROR = str(err)


def _exit_with_parent(interval: float = 0.5) -> None:
    """Ends this worker when its parent is gone.

    A parent killed hard (SIGKILL, out of memory) cannot shut its pool down, and orphaned workers
    would keep the model in memory and the parent's pipes open (found by the resume tests: the
    killed run's workers outlived it and held its stderr open).
    """
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="stance-parent-watch", daemon=True).start()


def _predict_chunk(documents: Sequence[Document], batch_size: int) -> list[DocumentResult]:
    """Statements for a chunk of documents; a document that breaks prediction fails alone."""
    if _PIPELINE is None:
        raise ModelLoadError(_PIPELINE_ERROR or "the model was not loaded")
    readable = [doc for doc in documents if doc.error is None]
    found: dict[int, tuple[tuple[Statement, ...], str | None]] = {}
    try:
        predicted = _PIPELINE.predict([doc.text for doc in readable], batch_size=batch_size)
        for doc, statements in zip(readable, predicted, strict=True):
            found[id(doc)] = (tuple(statements), None)
    except Exception:  # noqa: BLE001 - find the document at fault, record it, go on
        for doc in readable:
            try:
                found[id(doc)] = (tuple(_PIPELINE.predict(doc.text, batch_size=batch_size)), None)
            except Exception as err:  # noqa: BLE001
                found[id(doc)] = ((), f"prediction failed: {type(err).__name__}: {err}")
    return [
        DocumentResult(doc.doc_id, doc.document, (), doc.error)
        if doc.error is not None
        else DocumentResult(doc.doc_id, doc.document, *found[id(doc)])
        for doc in documents
    ]


def _ordered_results(
    chunks: Iterable[list[Document]],
    workers: int,
    threads: int,
    model: str | None,
    revision: str | None,
    batch_size: int,
    backend: str | None = None,
    onnx_compute: str = "auto",
) -> Iterator[list[DocumentResult]]:
    """Predicts chunks in input order, with at most ``2 * workers`` chunks in flight."""
    if workers == 1:
        torch = sys.modules.get("torch")  # only the torch backend changes torch's threads
        before = torch.get_num_threads() if torch is not None else None
        _init_worker(model, revision, threads, False, backend, onnx_compute)
        try:
            for chunk in chunks:
                yield _predict_chunk(chunk, batch_size)
        finally:
            torch = sys.modules.get("torch")
            if before is not None and torch is not None:
                torch.set_num_threads(before)  # the caller's process keeps its own setting
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    # spawn: a fresh interpreter per worker; forking a process that has loaded torch can hang.
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(model, revision, threads, True, backend, onnx_compute),
    )
    pending: deque[Future[list[DocumentResult]]] = deque()
    try:
        for chunk in chunks:
            pending.append(executor.submit(_predict_chunk, chunk, batch_size))
            # Bounded look-ahead keeps memory flat; waiting on the oldest keeps the order.
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def default_threads(workers: int) -> int:
    """Model threads per worker so that ``workers`` processes share the usable cores.

    Example:
        >>> default_threads(10**6)
        1
    """
    from stance.decoding import usable_cores

    return max(1, usable_cores() // workers)


# --------------------------------------------------------------------------- status and outputs


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _status_lines(path: Path) -> Iterator[Recorded]:
    """(start byte, end byte, record) for each complete status line."""
    position = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return  # a torn last line: cut by _cut_torn_tail
            try:
                record = json.loads(raw)
                record["doc_id"], record["status"]  # noqa: B018 - must be present
            except (ValueError, TypeError, KeyError) as err:
                raise ArchiveError(
                    f"status file {path} is damaged at line {number} ({err}); delete it and the "
                    "output to start again"
                ) from err
            yield position, position + len(raw), record
            position += len(raw)


def _cut_torn_tail(path: Path) -> int:
    """Truncates a last line without its newline; returns the bytes removed."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as handle:
        # Read backwards in blocks: the file may be large, the torn tail is short.
        end, block = size, 1 << 16
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start)
            newline = data.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            handle.truncate(keep)
    return size - keep


@dataclass(frozen=True)
class _StatusTail:
    """What a resume needs from a status file, found in one streaming pass.

    Attributes:
        count: Recorded documents.
        last: The last record, or ``None``.
        group_start: Byte where the trailing run of lines with the same ``part`` begins.
        group_size: Lines in that run.
        previous_part: The part recorded before that run (-1 if none).
    """

    count: int
    failed: int
    last: dict[str, Any] | None
    group_start: int
    group_size: int
    group_failed: int
    previous_part: int


def _scan_status(path: Path) -> _StatusTail:
    count = failed = group_start = group_size = group_failed = 0
    last: dict[str, Any] | None = None
    previous_part = -1
    for start, _, record in _status_lines(path):
        if last is None or record.get("part") != last.get("part"):
            previous_part = last.get("part", -1) if last is not None else -1
            group_start, group_size, group_failed = start, 0, 0
        is_failed = int(record["status"] == "failed")
        count, failed, last = count + 1, failed + is_failed, record
        group_size, group_failed = group_size + 1, group_failed + is_failed
    return _StatusTail(count, failed, last, group_start, group_size, group_failed, previous_part)


class _JsonlOutput:
    """Statement rows as JSONL; each status line records the output size after its document."""

    key = "offset"

    def __init__(self, path: Path):
        self.path = path
        self.handle: BinaryIO | None = None

    def has_content(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def resume(self, tail: _StatusTail, status: Path) -> tuple[int, int, str]:
        """Truncates the output to the last recorded document.

        Returns:
            (status lines dropped, failed documents among them, a note for the user).
        """
        committed = tail.last["offset"] if tail.last is not None else 0
        size = self.path.stat().st_size if self.path.exists() else 0
        if size < committed:
            raise ArchiveError(
                f"{self.path} is shorter ({size} bytes) than {status} records ({committed}); "
                "the output was changed by hand: delete both files to start again"
            )
        if size > committed:
            with self.path.open("rb+") as handle:
                handle.truncate(committed)
            return 0, 0, f"dropped {size - committed} bytes of unrecorded or torn output"
        return 0, 0, ""

    def open(self) -> None:
        self.handle = self.path.open("ab")

    def write(self, results: Sequence[DocumentResult]) -> list[tuple[DocumentResult, Position]]:
        """Appends the rows and makes them durable; every document is then committed."""
        from stance.render import as_jsonl

        assert self.handle is not None
        committed = []
        for result in results:
            if result.statements:
                text = as_jsonl(result.document, result.statements, result.doc_id)
                self.handle.write(text.encode("utf-8"))
            committed.append((result, {"offset": self.handle.tell()}))
        self.handle.flush()
        # Durable rows before their status lines: a status line never points past the data.
        os.fsync(self.handle.fileno())
        return committed

    def close(self) -> list[tuple[DocumentResult, Position]]:
        if self.handle is not None:
            self.handle.close()
        return []


class _ParquetOutput:
    """Statement rows as numbered Parquet parts, each committed by an atomic rename."""

    key = "part"

    def __init__(self, folder: Path, part_size: int):
        self.folder = folder
        self.part_size = part_size
        self.buffer: list[DocumentResult] = []
        self.next_part = 0

    def has_content(self) -> bool:
        return self.folder.is_dir() and any(self.folder.glob(_PART_GLOB))

    def _part_path(self, number: int) -> Path:
        return self.folder / f"part-{number:05d}.parquet"

    @staticmethod
    def _documents_in(path: Path) -> int | None:
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata or {}
            return int(meta[b"stance.documents"])
        except (OSError, KeyError, ValueError):
            return None

    def resume(self, tail: _StatusTail, status: Path) -> tuple[int, int, str]:
        """Deletes parts not fully recorded (and their status lines).

        Returns:
            (status lines dropped, failed documents among them, a note for the user).
        """
        notes, dropped, dropped_failed = [], 0, 0
        last = tail.last["part"] if tail.last is not None else -1
        if tail.last is not None and self._documents_in(self._part_path(last)) != tail.group_size:
            # Some status lines of this part are missing (or the part is): redo the part.
            with status.open("rb+") as handle:
                handle.truncate(tail.group_start)
            dropped, dropped_failed = tail.group_size, tail.group_failed
            last = tail.previous_part
            notes.append(f"redoing part {tail.last['part']} ({dropped} documents half-recorded)")
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in sorted([*self.folder.glob(_PART_GLOB), *self.folder.glob("*.parquet.tmp")]):
            digits = path.name.split(".")[0].removeprefix("part-")
            if path.suffix == ".tmp" or not digits.isdigit() or int(digits) > last:
                path.unlink()
                notes.append(f"removed unrecorded {path.name}")
        self.next_part = last + 1
        return dropped, dropped_failed, "; ".join(notes)

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, results: Sequence[DocumentResult]) -> list[tuple[DocumentResult, Position]]:
        """Buffers results and commits every full part; returns the committed documents."""
        self.buffer.extend(results)
        committed = []
        while len(self.buffer) >= self.part_size:
            part, self.buffer = self.buffer[: self.part_size], self.buffer[self.part_size :]
            committed += self._commit(part)
        return committed

    def _commit(self, part: Sequence[DocumentResult]) -> list[tuple[DocumentResult, Position]]:
        import pyarrow.parquet as pq

        from stance.render import as_records
        from stance.tables import rows_to_table

        rows = [
            row
            for result in part
            for row in as_records(result.document, result.statements, result.doc_id)
        ]
        table = rows_to_table(rows, with_document=True)
        # The document count lets a resumed run tell a fully recorded part from a torn one.
        table = table.replace_schema_metadata({"stance.documents": str(len(part))})
        final = self._part_path(self.next_part)
        temporary = final.with_name(final.name + ".tmp")
        pq.write_table(table, temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _fsync_dir(self.folder)
        position = {"part": self.next_part}
        self.next_part += 1
        return [(result, position) for result in part]

    def close(self) -> list[tuple[DocumentResult, Position]]:
        """Commits the last, partly filled part."""
        part, self.buffer = self.buffer, []
        return self._commit(part) if part else []


def _status_record(result: DocumentResult, position: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"doc_id": result.doc_id}
    if result.error is None:
        record.update(status="done", statements=len(result.statements))
    else:
        record.update(status="failed", reason=result.error)
    record.update(position)
    return record


def _skip_recorded(
    documents: Iterator[Document], status: Path, count: int, source: Path
) -> Iterator[Document]:
    """Skips the ``count`` recorded documents, checking that their ids still match."""
    fix = "the input changed since the first run: use a new --output, or delete it and {status}"
    recorded = (record["doc_id"] for _, _, record in _status_lines(status))
    number = 0
    for number, (doc, doc_id) in enumerate(
        zip(itertools.islice(documents, count), itertools.islice(recorded, count)), start=1
    ):
        if doc.doc_id != doc_id:
            raise ArchiveError(
                f"{source} does not match {status}: document {number} is '{doc.doc_id}' but was "
                f"recorded as '{doc_id}'; " + fix.format(status=status)
            )
    if number < count:
        raise ArchiveError(
            f"{source} has {number} documents but {status} records {count}; "
            + fix.format(status=status)
        )
    return documents


# --------------------------------------------------------------------------- the run


def status_path_for(output: str | Path) -> Path:
    """The default status file of an output: ``<output>.status.jsonl`` next to it.

    Example:
        >>> status_path_for("runs/out.jsonl").as_posix()
        'runs/out.jsonl.status.jsonl'
    """
    output = Path(output)
    return output.with_name(output.name + ".status.jsonl")


def _chunks(documents: Iterator[Document], size: int) -> Iterator[list[Document]]:
    while chunk := list(itertools.islice(documents, size)):
        yield chunk


def run_archive(
    input_path: str | Path,
    output: str | Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    output_format: OutputFormat = "jsonl",
    status: str | Path | None = None,
    model: str | None = None,
    revision: str | None = None,
    workers: int = 1,
    threads: int | None = None,
    backend: str | None = None,
    onnx_compute: str = "auto",
    batch_size: int = 32,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    part_size: int = DEFAULT_PART_SIZE,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> ArchiveSummary:
    """Predicts statements for every document of an archive, resuming an earlier run.

    Args:
        input_path: A folder of .txt files, a .jsonl file or a .parquet file.
        output: A JSONL file, or a folder for Parquet part files.
        text_column: The text field of JSONL/Parquet input.
        id_column: The id field of JSONL/Parquet input (default: line or row number).
        output_format: ``"jsonl"`` or ``"parquet"``.
        status: The status file (default: :func:`status_path_for` the output).
        model: Model folder or Hub id (default: the bundled model).
        revision: Hub revision.
        workers: Processes predicting in parallel, each loading the model once.
        threads: Model threads per worker (default: the cores divided among the workers).
        backend: ``"onnx"`` or ``"torch"`` (default: as :func:`stance.load`).
        onnx_compute: ``"auto"``, ``"int8"`` or ``"fp32"`` (as :func:`stance.load`).
        batch_size: Windows per forward pass.
        chunk_size: Documents per task sent to a worker.
        part_size: Documents per Parquet part.
        progress: Show a progress bar with throughput on standard error.
        log: Where resume notes go (default: standard error).

    Returns:
        An :class:`ArchiveSummary` of this run.

    Raises:
        ArchiveError: bad input, output or status file (nothing was written).
        ModelLoadError: the model could not be loaded.
    """
    started = time.perf_counter()
    for name, value in (("workers", workers), ("chunk_size", chunk_size), ("part_size", part_size)):
        if value < 1:
            raise ArchiveError(f"{name} must be at least 1, got {value}")
    log = log or (lambda message: print(f"stance: {message}", file=sys.stderr))
    source = open_source(input_path, text_column, id_column)
    output = Path(output)
    status = Path(status) if status is not None else status_path_for(output)
    sink: _JsonlOutput | _ParquetOutput
    if output_format == "jsonl":
        if output.is_dir():
            raise ArchiveError(f"{output} is a folder; JSONL output needs a file name")
        sink = _JsonlOutput(output)
    elif output_format == "parquet":
        if output.exists() and not output.is_dir():
            raise ArchiveError(f"{output} is a file; Parquet output needs a folder for part files")
        sink = _ParquetOutput(output, part_size)
    else:
        raise ArchiveError(f"unknown output format {output_format!r}; use jsonl or parquet")

    count = resumed_failed = 0
    if status.exists():
        torn = _cut_torn_tail(status)
        tail = _scan_status(status)
        count = tail.count
        if tail.last is not None and sink.key not in tail.last:
            other = "Parquet" if sink.key == "offset" else "JSONL"
            raise ArchiveError(
                f"{status} belongs to a run with {other} output; use the same output format, "
                "or a new --output"
            )
        dropped, dropped_failed, note = sink.resume(tail, status)
        count -= dropped
        resumed_failed = tail.failed - dropped_failed
        if torn:
            note = "; ".join(filter(None, [f"cut a torn status line ({torn} bytes)", note]))
        if count or note:
            log(f"resuming after {count} recorded documents" + (f"; {note}" if note else ""))
    else:
        if sink.has_content():
            raise ArchiveError(
                f"{output} already exists but its status file {status} does not, so it cannot be "
                "resumed: delete it to start again, or choose another --output"
            )
        if output_format == "jsonl" and output.exists():
            output.unlink()  # an empty leftover
        status.parent.mkdir(parents=True, exist_ok=True)
        output.parent.mkdir(parents=True, exist_ok=True)

    documents = _skip_recorded(source.documents(), status, count, source.path)
    threads = threads or default_threads(workers)
    done = failed = statements = 0
    from tqdm.auto import tqdm

    bar = tqdm(
        total=source.total,
        initial=count,
        desc="documents",
        unit="doc",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    sink.open()
    with status.open("ab") as status_handle, bar:

        def record(pairs: Sequence[tuple[DocumentResult, dict[str, Any]]]) -> None:
            nonlocal done, failed, statements
            lines = "".join(
                json.dumps(_status_record(result, position), ensure_ascii=False) + "\n"
                for result, position in pairs
            )
            status_handle.write(lines.encode("utf-8"))
            status_handle.flush()
            for result, _ in pairs:
                if result.error is None:
                    done += 1
                    statements += len(result.statements)
                else:
                    failed += 1

        try:
            results = _ordered_results(
                _chunks(documents, chunk_size), workers, threads, model, revision, batch_size,
                backend, onnx_compute,
            )  # fmt: skip
            for chunk in results:
                record(sink.write(chunk))
                bar.update(len(chunk))
                bar.set_postfix(failed=failed, refresh=False)
            record(sink.close())
        finally:
            # Interrupted or not, what is recorded is consistent; the rest is redone on resume
            # (an unfinished Parquet part is dropped, not committed).
            if isinstance(sink, _JsonlOutput):
                sink.close()
    return ArchiveSummary(
        resumed=count,
        done=done,
        failed=failed,
        statements=statements,
        seconds=time.perf_counter() - started,
        output=output,
        status=status,
        resumed_failed=resumed_failed,
    )
