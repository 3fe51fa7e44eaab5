"""Profiles one prediction run over generated paragraphs with pyinstrument.

Usage::

    python benchmarks/profile_run.py [--backend onnx|torch] [--paragraphs 400] [--before COMMIT]

``--before COMMIT`` profiles the torch predictor of an older commit (``stance/inference.py`` of
that commit, run on this checkout's model) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _old_predictor(commit: str) -> Any:
    """The torch Predictor as it was at ``commit``."""
    import types

    source = subprocess.run(
        ["git", "show", f"{commit}:stance/inference.py"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    source = source.replace("from stance.configuration import", "from stance.types import")
    module = types.ModuleType("old_inference")
    exec(compile(source, f"{commit}:stance/inference.py", "exec"), module.__dict__)
    from stance.modeling import load_folder
    from stance.pipeline import DEFAULT_MODEL_DIR
    from stance.tokenization import WordPieceTokenizer

    return module.Predictor(
        load_folder(DEFAULT_MODEL_DIR), WordPieceTokenizer.from_folder(DEFAULT_MODEL_DIR)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="onnx", choices=("onnx", "torch"))
    parser.add_argument("--paragraphs", type=int, default=400)
    parser.add_argument("--before", default=None, help="profile this commit's torch predictor")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="cores for the model; pyinstrument samples only the calling thread, so with the "
        "default of 1 every batch runs on it and shows up in the profile",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from corpus import generate
    from pyinstrument import Profiler

    import stance

    texts = [p.text for p in generate(args.paragraphs)]
    predictor = (
        _old_predictor(args.before)
        if args.before
        else stance.load(backend=args.backend, threads=args.threads)._predictor
    )
    predictor.predict(texts[:4])
    profiler = Profiler(interval=0.001)
    profiler.start()
    predictor.predict(texts)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
