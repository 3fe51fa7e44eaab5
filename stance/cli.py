"""The ``stance`` command line: predict, train, evaluate.

Exit codes: 0 success; 1 some input could not be read (the others are still processed);
2 bad usage or a model that cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_INPUT_ERROR, EXIT_USAGE = 0, 1, 2


def _read(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        data = Path(path).read_bytes()
        name = path
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{name} is not valid UTF-8 (byte {err.start}); convert it, e.g. "
            f"`iconv -f latin1 -t utf-8 {name}`"
        ) from err


def cmd_predict(args: argparse.Namespace) -> int:
    """Runs the model over files and prints statements in the chosen format."""
    from tqdm.auto import tqdm

    from stance import render
    from stance.errors import ModelFilesError
    from stance.hub import ModelNotAvailableError
    from stance.pipeline import load

    try:
        nlp = load(args.model, revision=args.revision)
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``stance`` command."""
    parser = argparse.ArgumentParser(
        prog="stance", description="Who says what in English news, and how sure are they."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="find attributed statements and their stance")
    p.add_argument("files", nargs="+", help="UTF-8 text files, or - for standard input")
    p.add_argument("--format", choices=("table", "jsonl", "json", "html"), default="table")
    p.add_argument("--model", default=None, help="model folder or Hub id (default: bundled)")
    p.add_argument("--revision", default=None, help="Hub revision")
    p.add_argument(
        "--batch-size", type=int, default=None, help="full windows per pass (default: backend's)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stance`` command."""
    args = build_parser().parse_args(argv)
    batch_size = getattr(args, "batch_size", None)
    if batch_size is not None and batch_size < 1:
        print("stance: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
