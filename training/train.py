"""Reproduces a stance model from data/annotations and a JSON config.

Usage:
    python training/train.py training/configs/default.json [--output-dir runs/default]

The run writes <output_dir>/model (loadable with stance.load(path)) and <output_dir>/run.json
(command, config, package versions, data hash, validation history).
"""

from __future__ import annotations

import sys

from stance.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
