"""Evaluates a model on the test split, the baselines and PolNeAR dev; writes reports/.

Usage:
    python training/evaluate_model.py --model runs/default/model \
        --run-record runs/default/run.json --model-card-dir model_cards/stance-minilm-l6
"""

from __future__ import annotations

import sys

from stance.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
