"""training/check_reproduction.py: a run's weights against the model it should reproduce."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "stance" / "default_model"
COMMAND = [sys.executable, "training/check_reproduction.py", "--reference", str(SHIPPED)]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*COMMAND, *args], cwd=REPO, env=env, capture_output=True, text=True)


def test_same_weights_pass_and_changed_weights_fail(tmp_path: Path) -> None:
    same = run("--candidate", str(SHIPPED), "--output", str(tmp_path / "same"))
    assert same.returncode == 0, same.stderr[-2000:]
    assert "reproduced, bit for bit" in same.stdout
    assert json.loads((tmp_path / "same.json").read_text())["same_training_losses"] is True

    changed = tmp_path / "changed"
    changed.mkdir()
    shutil.copy(SHIPPED / "training_run.json", changed)
    weights = bytearray((SHIPPED / "model.safetensors").read_bytes())
    weights[-1] ^= 1  # one bit of the last weight
    (changed / "model.safetensors").write_bytes(weights)
    differs = run("--candidate", str(changed))
    assert differs.returncode == 1
    assert "NOT reproduced" in differs.stdout and "| **no** |" in differs.stdout


def test_the_same_tensors_under_another_metadata_order_pass(tmp_path: Path) -> None:
    """safetensors writes the header's metadata in hash-map order: two saves of one model
    differed only there, so the file sha256 is not what is ruled on."""
    resaved = tmp_path / "resaved"
    resaved.mkdir()
    shutil.copy(SHIPPED / "training_run.json", resaved)
    weights = (SHIPPED / "model.safetensors").read_bytes()
    size = int.from_bytes(weights[:8], "little")
    header = json.loads(weights[8 : 8 + size])
    metadata = header.pop("__metadata__")
    reordered = {"__metadata__": dict(reversed(metadata.items())), **header}
    text = json.dumps(reordered, separators=(",", ":")).encode().ljust(size)
    assert len(text) == size and text != weights[8 : 8 + size]
    (resaved / "model.safetensors").write_bytes(weights[:8] + text + weights[8 + size :])
    done = run("--candidate", str(resaved), "--output", str(tmp_path / "resaved"))
    assert done.returncode == 0, done.stdout[-2000:]
    result = json.loads((tmp_path / "resaved.json").read_text())
    assert result["identical_weights"] and not result["identical_files"]


def test_a_folder_without_a_run_record_names_the_fix(tmp_path: Path) -> None:
    done = run("--candidate", str(tmp_path))
    assert done.returncode == 2
    assert "model.safetensors is missing" in done.stderr and "training/train.py" in done.stderr
