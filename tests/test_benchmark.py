"""benchmarks/run.py: a real (tiny) run of the driver, its rounds and its table."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_measures_every_system_in_rounds_and_keeps_the_fastest() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "benchmarks/run.py", "--paragraphs", "12", "--systems",
               "encoder", "--rounds", "2", "--no-write"]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    rounds = [line for line in done.stdout.splitlines() if line.startswith("round ")]
    assert [line.split(",")[0] for line in rounds] == ["round 1", "round 2"]
    rates = [float(line.split(": ")[1].split()[0]) for line in rounds]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| (d) bare"))
    assert f"{max(rates):,.1f}" in row.split("|")[2]  # the fastest round is the row's figure
    assert "measured 2 times, in turn" in done.stdout
    # Targets whose systems did not run are not judged.
    assert "| (c) >= 5x (a) sentences/s | not measured in this run |" in done.stdout
    bad = subprocess.run([*command[:-3], "--rounds", "0"], cwd=REPO, env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert bad.returncode != 0 and "--rounds must be at least 1" in bad.stderr


def test_benchmark_measures_the_model_it_is_given(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "benchmarks/run.py", "--paragraphs", "6", "--systems", "encoder",
               "--rounds", "1", "--no-write", "--model"]  # fmt: skip
    shipped = REPO / "stance" / "default_model"
    done = subprocess.run([*command, str(shipped)], cwd=REPO, env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Model: `{shipped}`" in done.stdout
    # The same weights without their ONNX export: the worker loads the folder it is given.
    without_onnx = tmp_path / "model"
    without_onnx.mkdir()
    for file in shipped.iterdir():
        if file.is_file():
            (without_onnx / file.name).write_bytes(file.read_bytes())
    done = subprocess.run([*command, str(without_onnx)], cwd=REPO, env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode != 0 and "export_onnx" in done.stderr


def test_train_step_benchmark_times_both_forward_modes(tmp_path: Path) -> None:
    import json

    from stance.trainer import native_bfloat16

    config = json.loads((REPO / "training" / "configs" / "default.json").read_text())
    config.update(batch_size=2, max_train_documents=3)
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(config))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "benchmarks/train_step.py", "--config", str(path), "--no-write"]
    done = subprocess.run([*command, "--steps", "1"], cwd=REPO, env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split("|")[1].strip() for line in done.stdout.splitlines()
            if line.startswith("| fp32") or line.startswith("| bf16")]  # fmt: skip
    assert rows == ["fp32", "bf16_autocast"]
    native = native_bfloat16()
    assert f"native bfloat16: {'yes' if native else 'no'}" in done.stdout
    assert f"trains in {'bfloat16' if native else 'fp32'} on this CPU" in done.stdout
    # The fp32 profile: shares of the step and the matrix products' floor, from the run.
    profile = done.stdout.split("## Where a fp32 step goes")[1]
    share = re.search(r"matrix products: (\d+)% of the step, ([\d.]+) GFLOP", profile)
    assert share and 0 < int(share[1]) <= 100 and float(share[2]) > 0, profile
    assert re.search(r"alone need \d+ s for the run's \d+ steps", profile), profile
    fp32_only = subprocess.run([*command, "--steps", "1", "--modes", "fp32"], cwd=REPO, env=env,
                               capture_output=True, text=True)  # fmt: skip
    assert fp32_only.returncode == 0, fp32_only.stderr[-2000:]
    assert "| fp32 |" in fp32_only.stdout and "| bf16_autocast |" not in fp32_only.stdout
    bad = subprocess.run([*command, "--steps", "0"], cwd=REPO, env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert bad.returncode != 0 and "--steps must be at least 1" in bad.stderr
    unknown = subprocess.run([*command, "--modes", "fp16"], cwd=REPO, env=env,
                             capture_output=True, text=True)  # fmt: skip
    assert unknown.returncode != 0 and "--modes takes fp32, bf16_autocast" in unknown.stderr
