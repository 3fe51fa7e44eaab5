"""training/compare_models.py --mean-of: paired comparisons averaged, no model scored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, load_script


def comparison(before: float, after: float) -> dict:
    figures = {"documents": 3, "statements": 9}
    return {
        "shipped": {"validation": {**figures, "statement_f1": before, "stance_macro_f1": 0.9}},
        "trial": {
            "validation": {**figures, "statement_f1": after, "stance_macro_f1": 0.9},
            "polnear_dev": {"source_overlap_f1": 0.6},  # only one side: left out
        },
    }


def test_mean_of_comparisons_cli(tmp_path: Path) -> None:
    files = []
    for seed, (before, after) in {13: (0.86, 0.85), 14: (0.84, 0.87)}.items():
        files.append(tmp_path / f"trial-seed{seed}.json")
        files[-1].write_text(json.dumps(comparison(before, after)))
    result = subprocess.run(
        [sys.executable, "training/compare_models.py", "--mean-of", *map(str, files),
         "--output", str(tmp_path / "mean")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = (tmp_path / "mean.md").read_text()
    assert "| validation | statement_f1 | -0.010 | +0.030 | +0.010 |" in table
    assert "| validation | stance_macro_f1 | +0.000 | +0.000 | +0.000 |" in table
    assert "polnear_dev" not in table and "documents" not in table
    assert "`trial-seed13`: shipped → trial" in table


def test_compare_needs_models_or_comparisons(tmp_path: Path, capsys) -> None:
    compare = load_script("training/compare_models.py")
    with pytest.raises(SystemExit) as error:
        compare.main(["--output", str(tmp_path / "x")])
    assert error.value.code == 2
    assert "--before and --after are required (or --mean-of" in capsys.readouterr().err


def test_render_shows_the_split_with_inserted_words() -> None:
    compare = load_script("training/compare_models.py")
    figures = {"documents": 3, "statements": 9, "source_overlap_f1": 0.9}
    before = {"validation": figures, "validation_with_inserted_words": figures}
    after = {
        "validation": figures,
        "validation_with_inserted_words": {**figures, "source_overlap_f1": 0.95},
    }
    table = compare.render(before, after, ("shipped", "trial"), "validation", 63)
    row = "| validation_with_inserted_words | source_overlap_f1 | 0.900 | 0.950 | +0.050 |"
    assert row in table
