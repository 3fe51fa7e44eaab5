"""Times training steps of a config in fp32 and under bfloat16 autocast on this CPU.

Whether bfloat16 autocast pays depends on the CPU: with native bfloat16 (AVX-512, AMX) it made
a step cheaper; without it (AVX2-only CPUs) PyTorch emulates bfloat16 matrix products and a
step costs many times more, which is why training falls back to fp32 there
(``bf16_fallback``). This measures both on the machine it runs on and projects the full
training time from the config's step count (training steps only: validation scoring and
calibration come on top). For fp32 it also profiles where a step's time goes and the floor
the matrix products set: their operation count at this CPU's measured matrix-product rate,
which no saving elsewhere in the step can go below. Writes
``benchmarks/results/train-step-<date>.json`` and ``.md``.

Usage::

    python benchmarks/train_step.py                       # the default config
    python benchmarks/train_step.py --steps 3 --no-write  # a quick look
    python benchmarks/train_step.py --modes fp32          # skip the (slow on AVX2) bf16 mode
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
DEFAULT_CONFIG = REPO / "training" / "configs" / "default.json"
MODES = ("fp32", "bf16_autocast")
#: Profiler rows that are matrix products (the ones it counts floating-point operations for).
MATRIX_PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")
#: Profiler rows that draw dropout masks.
DROPOUT_MASKS = ("aten::bernoulli_",)


def time_steps(args: Any, bf16: bool, steps: int) -> dict[str, Any]:
    """Seconds per training step of a config's ``TrainingArguments`` (the mean over its first
    ``steps`` batches after one warm-up batch, the same batches in every mode), and the run's
    step count, with the model, batches and optimizer ``train`` uses."""
    import torch

    from stance.corpus import read_corpus
    from stance.trainer import (
        _train_step,
        batch_order,
        build_model,
        build_optimizer,
        set_seed,
        steps_per_run,
        training_batch,
        training_windows,
    )

    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    model, tokenizer = build_model(args)
    docs = [d for d in read_corpus(Path(args.corpus)) if d["split"] == "train"]
    windows = training_windows(args, docs[: args.max_train_documents], tokenizer, model.config)
    total = steps_per_run(len(windows), args)
    optimizer, scheduler = build_optimizer(model, args, total)
    generator = torch.Generator().manual_seed(args.seed)
    lengths = [len(w) for w in windows]
    batches = batch_order(lengths, args.batch_size, generator, args.group_by_length)
    model.train()
    timed = [
        training_batch(windows, indices, args, generator, tokenizer.pad_token_id)
        for indices in batches[: steps + 1]
    ]
    seconds = []
    for batch in timed:
        started = time.perf_counter()
        _train_step(model, batch, optimizer, scheduler, bf16)
        seconds.append(time.perf_counter() - started)
    per_step = sum(seconds[1:]) / steps  # the first step pays one-off allocation costs
    # Batches differ in length (group_by_length), so the projection scales the sample to the
    # run by padded tokens rather than by steps.
    run_scale = (
        padded_tokens(batches, lengths)
        * args.epochs
        / padded_tokens(batches[1 : steps + 1], lengths)
    )
    record = {
        "seconds_per_step": round(per_step, 3),
        "steps_per_run": total,
        "projected_training_seconds": round(sum(seconds[1:]) * run_scale),
    }
    if not bf16:
        # Profiled apart from the timing, which the profiler would slow down: the same batches
        # once more (the weights have moved on a few steps, which does not change the work).
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], with_flops=True) as profiler:
            for batch in timed[1:]:
                _train_step(model, batch, optimizer, scheduler, bf16)
        rows = profiler.key_averages()
        record["profile"] = step_profile(rows, steps, run_scale, matmul_gflops(args, model.config))
    return record


def padded_tokens(batches: list[list[int]], lengths: list[int]) -> int:
    """Token positions the batches compute on, padding included (each batch is padded to
    its longest window).

    Example:
        >>> padded_tokens([[0, 1], [2]], [5, 9, 4])
        22
    """
    return sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)


def step_profile(rows: Any, steps: int, run_scale: float, gemm_gflops: float) -> dict[str, float]:
    """Where a fp32 step's time goes (shares of the profiled self CPU time) and the floor the
    matrix products alone set: their floating-point operations, scaled from the ``steps``
    profiled batches to the run by ``run_scale``, at this CPU's measured matrix-product rate."""
    total = sum(row.self_cpu_time_total for row in rows)
    products = [row for row in rows if row.key in MATRIX_PRODUCTS]
    product_flop = sum(row.flops for row in products)
    return {
        "matrix_product_share": round(sum(r.self_cpu_time_total for r in products) / total, 3),
        "dropout_mask_share": round(
            sum(r.self_cpu_time_total for r in rows if r.key in DROPOUT_MASKS) / total, 3
        ),
        "matrix_product_gflop_per_step": round(product_flop / steps / 1e9, 1),
        "matrix_product_gflops_measured": round(gemm_gflops, 1),
        "matrix_product_floor_seconds": round(product_flop * run_scale / 1e9 / gemm_gflops),
    }


def matmul_gflops(args: Any, config: Any, repeats: int = 20) -> float:
    """This CPU's fp32 matrix-product rate (GFLOP/s) at the encoder's feed-forward shape for
    a full batch of windows, with the config's threads: the best the step's products can do."""
    import torch

    rows, hidden = args.batch_size * config.window_length, config.hidden_size
    inner = int(config.encoder_config.get("intermediate_size", 4 * hidden))
    left, right = torch.randn(rows, hidden), torch.randn(hidden, inner)
    for _ in range(3):  # warm-up: thread pool and caches
        left @ right
    started = time.perf_counter()
    for _ in range(repeats):
        left @ right
    seconds = (time.perf_counter() - started) / repeats
    return 2 * rows * hidden * inner / seconds / 1e9


def to_markdown(record: dict[str, Any]) -> str:
    """The results as a Markdown page."""
    rows = [
        f"| {mode} | {r['seconds_per_step']} | {r['projected_training_seconds']} |"
        for mode, r in record["modes"].items()
    ]
    steps_per_run = next(iter(record["modes"].values()))["steps_per_run"]
    ratio = record["bf16_over_fp32"]
    comparison = (
        f"bfloat16 autocast takes {ratio}x the time of fp32 here; a" if ratio is not None else "A"
    )
    lines = [
        f"# Training step, {' vs '.join(record['modes'])} ({record['date']})",
        "",
        "Generated by `python benchmarks/train_step.py`. Config "
        f"`{record['config']}`, {record['threads']} threads, CPU: {record['cpu']} "
        f"(PyTorch CPU capability {record['cpu_capability']}; native bfloat16: "
        f"{'yes' if record['native_bfloat16'] else 'no'}). Mean over the run's first "
        f"{record['steps']} batches after one warm-up batch, the same batches in every mode. "
        f"The projection to the run's {steps_per_run} steps scales the sample by padded "
        "tokens, as batches differ in length (training steps only: validation scoring and "
        "calibration come on top).",
        "",
        "| forward pass | seconds / step | projected training steps (s) |",
        "|---|---|---|",
        *rows,
        "",
        f"{comparison} run of this config trains in {record['run_trains_in']} on this CPU "
        "(`bf16_autocast`, `bf16_fallback`).",
        "",
    ]
    profile = record["modes"].get("fp32", {}).get("profile")
    if profile:
        lines += [
            "## Where a fp32 step goes",
            "",
            "The same batches once more under `torch.profiler` (shares of self CPU time):",
            "",
            f"- matrix products: {profile['matrix_product_share']:.0%} of the step, "
            f"{profile['matrix_product_gflop_per_step']} GFLOP a step;",
            f"- dropout masks (`aten::bernoulli_`): {profile['dropout_mask_share']:.0%};",
            f"- this CPU's fp32 matrix-product rate at the encoder's feed-forward shape: "
            f"{profile['matrix_product_gflops_measured']} GFLOP/s.",
            "",
            "At that rate the matrix products alone need "
            f"{profile['matrix_product_floor_seconds']} s for the run's {steps_per_run} steps "
            "(scaled by padded tokens, as above): the floor for this config on this CPU however "
            "lean everything else gets.",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measures both modes and writes (or prints) the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per mode")
    parser.add_argument("--no-write", action="store_true", help="print, do not write files")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"comma-separated forward modes to time, of {', '.join(MODES)} (bf16_autocast "
        "takes about 20x longer than fp32 on CPUs without native bfloat16)",
    )
    options = parser.parse_args(argv)
    if options.steps < 1:
        parser.error(f"--steps must be at least 1, not {options.steps}")
    chosen = [mode.strip() for mode in options.modes.split(",") if mode.strip()]
    unknown = [mode for mode in chosen if mode not in MODES]
    if unknown or not chosen:
        parser.error(f"--modes takes {', '.join(MODES)} (comma-separated), not {options.modes!r}")

    import torch

    from stance.trainer import TrainingArguments, machine_facts, use_bf16_autocast

    args = TrainingArguments.from_json(options.config)
    modes = {mode: time_steps(args, mode == "bf16_autocast", options.steps) for mode in chosen}
    config = options.config.resolve()
    machine = machine_facts(args.threads)
    native = machine["native_bfloat16"]
    record = {
        "date": dt.date.today().isoformat(),
        "config": str(config.relative_to(REPO)) if config.is_relative_to(REPO) else str(config),
        **machine,
        "run_trains_in": "bfloat16" if use_bf16_autocast(args, native) else "fp32",
        "steps": options.steps,
        "modes": modes,
        "bf16_over_fp32": round(
            modes["bf16_autocast"]["seconds_per_step"] / modes["fp32"]["seconds_per_step"], 2
        )
        if len(modes) == len(MODES)
        else None,
        "torch": torch.__version__,
    }
    page = to_markdown(record)
    if options.no_write:
        print(page)
        return 0
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"train-step-{record['date']}"
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(page, encoding="utf-8")
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
