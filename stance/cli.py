"""The ``stance`` command line: predict, train, evaluate, publish.

Exit codes: 0 success; 1 some input could not be read (the others are still processed);
2 bad usage or a model that cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from stance.archive import decode_utf8

EXIT_OK, EXIT_INPUT_ERROR, EXIT_USAGE = 0, 1, 2


def _read(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        data = Path(path).read_bytes()
        name = path
    return decode_utf8(data, name)


def cmd_predict(args: argparse.Namespace) -> int:
    """Runs the model over files and prints statements in the chosen format."""
    if args.output is not None:
        return cmd_predict_archive(args)
    archive_only = [
        option
        for option, value in (
            ("--text-column", args.text_column),
            ("--id-column", args.id_column),
            ("--workers", args.workers),
            ("--threads", args.threads),
            ("--status", args.status),
            ("--part-size", args.part_size),
        )
        if value is not None
    ]
    if archive_only:
        print(
            f"stance: {', '.join(archive_only)} need --output (batch runs over archives write to "
            "a file or folder, e.g. --output statements.jsonl)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.format == "parquet":
        print("stance: --format parquet needs --output FOLDER for its part files", file=sys.stderr)
        return EXIT_USAGE
    args.format = args.format or "table"
    from tqdm.auto import tqdm

    from stance import render
    from stance.errors import ModelFilesError
    from stance.hub import ModelNotAvailableError
    from stance.pipeline import load

    try:
        nlp = load(
            args.model,
            revision=args.revision,
            backend=args.backend,
            onnx_compute=args.onnx_compute,
        )
    except (ModelFilesError, ModelNotAvailableError, OSError) as err:
        print(f"stance: cannot load the model: {err}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    done: list[tuple[str, str, list]] = []
    out = sys.stdout
    files = args.files
    bar = tqdm(
        files, desc="documents", unit="doc", disable=len(files) < 2 or args.quiet, file=sys.stderr
    )
    for path in bar:
        try:
            text = _read(path)
        except (OSError, ValueError) as err:
            print(
                f"stance: {err}"
                if isinstance(err, ValueError)
                else f"stance: cannot read {path}: {err.strerror or err}",
                file=sys.stderr,
            )
            status = EXIT_INPUT_ERROR
            continue
        name = "<stdin>" if path == "-" else path
        statements = nlp.predict(text, batch_size=args.batch_size)
        # Streaming formats are written as each document finishes, so nothing is held back.
        if args.format == "table":
            out.write(render.as_table(name, statements))
        elif args.format == "jsonl":
            out.write(render.as_jsonl(name, statements))
        else:
            done.append((name, text, statements))
        out.flush()
    if args.format == "json":
        out.write(render.as_json([(name, statements) for name, _, statements in done]))
    elif args.format == "html":
        out.write(render.as_html(done))
    return status


def cmd_predict_archive(args: argparse.Namespace) -> int:
    """Resumable batch run over one folder of .txt files, JSONL or Parquet (see stance.archive)."""
    from concurrent.futures.process import BrokenProcessPool

    from stance.archive import ArchiveError, ModelLoadError, run_archive

    if len(args.files) != 1 or args.files[0] == "-":
        print(
            "stance: --output takes one input: a folder of .txt files, a .jsonl file or a "
            f".parquet file (got {len(args.files)}: {' '.join(args.files[:3])}); "
            "put the text files in one folder",
            file=sys.stderr,
        )
        return EXIT_USAGE
    fmt = args.format or ("parquet" if args.output.rstrip("/").endswith(".parquet") else "jsonl")
    if fmt not in ("jsonl", "parquet"):
        print(
            f"stance: --output writes jsonl or parquet, not {fmt}; use --format jsonl or "
            "--format parquet (a folder of part files)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        summary = run_archive(
            args.files[0],
            args.output,
            text_column=args.text_column,
            id_column=args.id_column,
            output_format=fmt,
            status=args.status,
            model=args.model,
            revision=args.revision,
            workers=args.workers or 1,
            threads=args.threads,
            backend=args.backend,
            onnx_compute=args.onnx_compute,
            batch_size=args.batch_size,
            part_size=args.part_size or 1000,
            progress=not args.quiet,
        )
    except ArchiveError as err:
        print(f"stance: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ModelLoadError as err:
        print(f"stance: cannot load the model: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenProcessPool:
        print(
            "stance: a worker process died (out of memory?); every recorded document is kept: "
            "run the same command again to resume, perhaps with fewer --workers",
            file=sys.stderr,
        )
        return EXIT_INPUT_ERROR
    if not args.quiet or summary.failed or summary.resumed_failed:
        print(
            f"stance: {summary.done} documents done, {summary.failed} failed "
            f"({summary.resumed} recorded before, {summary.resumed_failed} of them failed), "
            f"{summary.statements} statements, {summary.documents_per_second:.1f} documents/s; "
            f"status in {summary.status}",
            file=sys.stderr,
        )
    # The archive's state, not this run's: a resumed run over an archive with failed documents
    # still exits 1 (found by the resume test: a run killed after the failures exited 0).
    return EXIT_INPUT_ERROR if summary.failed or summary.resumed_failed else EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Trains a model from a JSON config (see training/configs/)."""
    from stance.trainer import TrainingArguments, train

    try:
        config = TrainingArguments.from_json(args.config, output_dir=args.output_dir)
    except (FileNotFoundError, ValueError, TypeError) as err:
        print(f"stance: {err}", file=sys.stderr)
        return EXIT_USAGE
    invoked = sys.argv[0]
    command = (
        ["python", *sys.argv] if invoked.endswith(".py") else [Path(invoked).name, *sys.argv[1:]]
    )
    record = train(config, command=command)
    print(
        f"model written to {Path(config.output_dir) / 'model'} (best epoch {record['best_epoch']})"
    )
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluates a model and writes the report (Markdown, JSON, PNG)."""
    from stance.report import write_report

    paths = write_report(
        model_path=args.model,
        output_dir=Path(args.output_dir),
        model_card_dir=Path(args.model_card_dir) if args.model_card_dir else None,
        run_record=Path(args.run_record) if args.run_record else None,
    )
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Stages and checks a model for the Hugging Face Hub, then uploads it (unless --dry-run)."""
    from stance.publish import PublishError, check, stage, upload

    if not args.dry_run and not args.repo_id:
        print(
            "stance: give --repo-id org/name to upload, or --dry-run to stage and check only",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        if args.staged:
            staged = check(Path(args.staged))
        else:
            from stance.pipeline import DEFAULT_MODEL_DIR

            evaluation = Path(args.evaluation)
            name = _model_name(evaluation)
            staged = stage(
                model=Path(args.model) if args.model else DEFAULT_MODEL_DIR,
                card=Path(args.card) if args.card else Path("model_cards") / name / "README.md",
                evaluation=evaluation,
                output=Path(args.staging) if args.staging else Path("build/hub") / name,
            )
        print(
            f"staged and checked: {staged.folder} ({len(staged.files)} files, "
            f"{staged.metrics} metrics in the card's model-index)"
        )
        if args.dry_run:
            return EXIT_OK
        print(upload(staged, args.repo_id, revision=args.revision, private=args.private))
    except PublishError as err:
        print(f"stance: {err}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _model_name(evaluation: Path) -> str:
    """The model name an evaluation JSON records ("model" when it cannot be read)."""
    import json

    try:
        return str(json.loads(evaluation.read_text(encoding="utf-8"))["model_name"])
    except (OSError, ValueError, KeyError):
        return "model"  # stage() then names the unreadable file


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``stance`` command."""
    parser = argparse.ArgumentParser(
        prog="stance", description="Who says what in English news, and how sure are they."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="find attributed statements and their stance")
    p.add_argument(
        "files",
        nargs="+",
        help="UTF-8 text files, or - for standard input; with --output: one folder of .txt "
        "files, .jsonl or .parquet file",
    )
    p.add_argument(
        "--format",
        choices=("table", "jsonl", "json", "html", "parquet"),
        default=None,
        help="default: table; with --output: jsonl, or parquet when the output ends in .parquet",
    )
    p.add_argument("--model", default=None, help="model folder or Hub id (default: bundled)")
    p.add_argument("--revision", default=None, help="Hub revision")
    p.add_argument(
        "--backend",
        choices=("onnx", "torch"),
        default=None,
        help="default: onnx (int8, CPU) where the model ships an ONNX export, else torch",
    )
    p.add_argument(
        "--onnx-compute",
        choices=("auto", "int8", "fp32"),
        default="auto",
        help="how the onnx backend multiplies its int8 weights: int8 activations (fast with "
        "VNNI), fp32 activations (faster on AVX2-only CPUs), or auto: by the CPU (default)",
    )
    p.add_argument(
        "--batch-size", type=int, default=None, help="full windows per pass (default: backend's)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    a = p.add_argument_group(
        "archives", "resumable batch runs: re-run the same command to resume after a stop"
    )
    a.add_argument("--output", default=None, help="JSONL file, or folder of Parquet part files")
    a.add_argument("--text-column", default=None, help="text field of JSONL/Parquet input")
    a.add_argument("--id-column", default=None, help="id field (default: line or row number)")
    a.add_argument("--workers", type=int, default=None, help="worker processes (default 1)")
    a.add_argument(
        "--threads",
        type=int,
        default=None,
        help="cores per worker (default: the usable cores divided among the workers); the "
        "onnx backend runs that many batches at once, one core each",
    )
    a.add_argument("--status", default=None, help="status file (default OUTPUT.status.jsonl)")
    a.add_argument("--part-size", type=int, default=None, help="documents per Parquet part")
    p.set_defaults(func=cmd_predict)
    t = sub.add_parser("train", help="train a model from a JSON config")
    t.add_argument("config", help="JSON config, e.g. training/configs/default.json")
    t.add_argument("--output-dir", default=None, help="override the config's output_dir")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="evaluate a model and write reports/")
    e.add_argument("--model", default=None, help="model folder (default: bundled)")
    e.add_argument("--output-dir", default="reports")
    e.add_argument("--model-card-dir", default=None, help="also write the model card here")
    e.add_argument("--run-record", default=None, help="run.json of the training run")
    e.set_defaults(func=cmd_evaluate)
    u = sub.add_parser(
        "publish",
        help="stage, check and upload a model, its card and evaluation to the Hugging Face Hub",
    )
    u.add_argument("--repo-id", default=None, help="Hub repository, e.g. org/stance-minilm-l6")
    u.add_argument("--model", default=None, help="model folder (default: bundled)")
    u.add_argument(
        "--evaluation",
        default="reports/stance-minilm-l6.json",
        help="evaluation JSON `stance evaluate` wrote for the model",
    )
    u.add_argument(
        "--card", default=None, help="model card (default: model_cards/<model name>/README.md)"
    )
    u.add_argument("--staging", default=None, help="folder to stage in (default: build/hub/<name>)")
    u.add_argument("--staged", default=None, help="upload a folder staged before (checked again)")
    u.add_argument("--revision", default=None, help="Hub branch to upload to")
    u.add_argument("--private", action="store_true", help="create the repository private")
    u.add_argument("--dry-run", action="store_true", help="stage and check only; no network")
    u.set_defaults(func=cmd_publish)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stance`` command."""
    args = build_parser().parse_args(argv)
    for option in ("batch_size", "workers", "threads", "part_size"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            print(f"stance: --{option.replace('_', '-')} must be at least 1", file=sys.stderr)
            return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
