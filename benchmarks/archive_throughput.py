"""Archive throughput: documents/s for --workers 1, --workers 2 and Spark local[2], one run.

All three read the same generated input (seeded, invented news paragraphs) and are timed from
start to finish, model loading included, as a user would see it:

- ``stance predict news.jsonl --output ... --workers N`` as a subprocess (threads per worker:
  the cores divided among the workers, the default);
- ``stance.spark.statement_rows`` on a local[2] session (two partitions, one torch thread per
  Python worker), written to Spark's ``noop`` sink; session start-up is not timed.

Writes ``benchmarks/results/archive-<YYYY-MM-DD>.json`` and ``.md``::

    HF_HUB_OFFLINE=1 python benchmarks/archive_throughput.py [--documents 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

FIRST = ["Mara", "Tomas", "Ilse", "Ravi", "Nell", "Oskar", "Femi", "Juno", "Petra", "Lio"]
LAST = ["Lindqvist", "Okonjo", "Varga", "Delacroix", "Ashgrove", "Brannick", "Tesfaye", "Moreau"]
ROLES = ["council spokeswoman", "harbour master", "union leader", "police inspector", "economist"]
BODIES = ["The Fennwick council", "The regional transport board", "Castell Mining", "The ministry"]
PLACES = ["Fennwick", "Lower Ashby", "Port Calder", "the Rell valley", "Mossgate"]
THINGS = ["the ferry service", "the new tram line", "the water plant", "the grain depot"]
DAYS = ["Monday", "Friday", "next week", "the spring", "3 May", "the weekend"]
SENTENCES = [
    '"{thing} will reopen on {day}," {role} {name} said.',
    "{body} denied that {thing} in {place} had been sold.",
    "{name}, a {role}, warned that {thing} could close by {day}.",
    "{body} said {thing} apparently failed after a storm in {place}.",
    "It is unclear whether {thing} will run again before {day}.",
    "According to {name}, {thing} carried 4,000 people last year.",
    "{name} told reporters there was no truth in claims about {thing}.",
    "Residents of {place} gathered outside the town hall on {day}.",
    "{body} believes {thing} may need new funding, {role} {name} said.",
]


def generate(count: int, seed: int = 2026) -> list[dict[str, str]]:
    """``count`` invented news paragraphs (3 to 6 sentences), the same for the same seed."""
    rng = random.Random(seed)
    documents = []
    for i in range(count):
        sentences = [
            rng.choice(SENTENCES).format(
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                role=rng.choice(ROLES),
                body=rng.choice(BODIES),
                place=rng.choice(PLACES),
                thing=rng.choice(THINGS),
                day=rng.choice(DAYS),
            )
            for _ in range(rng.randint(3, 6))
        ]
        documents.append({"id": f"doc-{i:04d}", "text": " ".join(sentences)})
    return documents


def run_cli(source: Path, output: Path, workers: int) -> dict:
    """Times one CLI run and reads back its status file."""
    command = [sys.executable, "-m", "stance.cli", "predict", str(source), "--output", str(output)]
    command += ["--text-column", "text", "--id-column", "id", "--workers", str(workers), "--quiet"]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"workers={workers} failed:\n{result.stderr}")
    status = [json.loads(line) for line in output.with_name(output.name + ".status.jsonl").open()]
    return {
        "seconds": round(seconds, 2),
        "statements": sum(r.get("statements", 0) for r in status),
        "status": status,
    }


def run_spark(documents: list[dict[str, str]]) -> dict:
    """Times statement_rows over the same documents on a local[2] session."""
    import pyspark

    from stance.spark import local_session, statement_rows

    spark = local_session("stance-benchmark", str(REPO))
    frame = spark.createDataFrame(
        [(d["id"], d["text"]) for d in documents], "id string, text string"
    )
    frame = frame.repartition(2).cache()
    frame.count()  # materialise the input before timing
    started = time.perf_counter()
    rows = statement_rows(frame, "text", "id").cache()
    statements = rows.count()
    seconds = time.perf_counter() - started
    spark.stop()
    return {"seconds": round(seconds, 2), "statements": statements, "pyspark": pyspark.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2, help="rounds; the best is reported")
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        help="only rewrite the .md (and ratios) of a results .json",
    )
    args = parser.parse_args()
    if args.render is not None:
        record = json.loads(args.render.read_text())
        record["ratios"] = ratios(record["runs"])
        write(record)
        return
    import torch

    documents = generate(args.documents)
    # Other jobs on the machine slow every run; the load average says how busy it was.
    load_before = round(os.getloadavg()[0], 2)
    seconds: dict[str, list[float]] = {"workers_1": [], "workers_2": [], "spark_local_2": []}
    found: dict[str, int] = {}
    status: dict[str, list] = {}
    pyspark_version = ""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "news.jsonl"
        source.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
        # Rounds interleave the three set-ups, so a burst of load from other jobs does not
        # fall on one of them only; each round starts cold (fresh processes, model loading).
        for round_ in range(args.repeats):
            for workers in (1, 2):
                name = f"workers_{workers}"
                run = run_cli(source, Path(tmp) / f"{name}-{round_}.jsonl", workers)
                seconds[name].append(run["seconds"])
                found[name], status[name] = run["statements"], run["status"]
            run = run_spark(documents)
            seconds["spark_local_2"].append(run["seconds"])
            found["spark_local_2"], pyspark_version = run["statements"], run["pyspark"]
    without_offsets = [
        [{k: v for k, v in r.items() if k != "offset"} for r in status[name]]
        for name in ("workers_1", "workers_2")
    ]
    runs = {
        name: {
            "seconds": min(times),
            "all_seconds": times,
            "documents_per_second": round(len(documents) / min(times), 2),
            "statements": found[name],
        }
        for name, times in seconds.items()
    }
    date = dt.date.today().isoformat()
    record = {
        "date": date,
        "command": f"python benchmarks/archive_throughput.py --documents {args.documents} "
        f"--repeats {args.repeats}",
        "documents": len(documents),
        "characters": sum(len(d["text"]) for d in documents),
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pyspark": pyspark_version,
        "load_average_1min": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "runs": runs,
        "ratios": ratios(runs),
        "same_statements": without_offsets[0] == without_offsets[1]
        and len(set(found.values())) == 1,
    }
    write(record)


def ratios(runs: dict[str, dict]) -> dict[str, float]:
    """Throughput ratios between the set-ups."""
    rate = {name: run["documents_per_second"] for name, run in runs.items()}
    return {
        "workers_2_over_workers_1": round(rate["workers_2"] / rate["workers_1"], 2),
        "spark_local_2_over_workers_1": round(rate["spark_local_2"] / rate["workers_1"], 2),
        "spark_local_2_over_workers_2": round(rate["spark_local_2"] / rate["workers_2"], 2),
    }


def write(record: dict) -> None:
    """Writes ``archive-<date>.json`` and ``.md`` under benchmarks/results/."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"archive-{record['date']}"
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    stem.with_suffix(".md").write_text(markdown(record))
    print(markdown(record))


def markdown(record: dict) -> str:
    """The results as a Markdown table with a closing note on the ratios."""
    names = {
        "workers_1": "`stance predict --workers 1` (2 threads)",
        "workers_2": "`stance predict --workers 2` (1 thread each)",
        "spark_local_2": "Spark `local[2]`, `stance.spark.statement_rows` (1 thread per worker)",
    }
    lines = [
        f"# Archive throughput, {record['date']}",
        "",
        f"Generated by `{record['command']}` on {record['cores']} cores (Python "
        f"{record['python']}, torch {record['torch']}, pyspark "
        f"{record['pyspark']}): {record['documents']} invented news paragraphs "
        f"({record['characters']} characters), each set-up timed end to end with model loading, "
        f"best of {len(record['runs']['workers_1']['all_seconds'])} interleaved cold runs. "
        f"1-minute load average {record['load_average_1min']['before']} before, "
        f"{record['load_average_1min']['after']} after.",
        "",
        "| run | best seconds (all) | documents/s | statements |",
        "|---|---:|---:|---:|",
    ]
    for key, run in record["runs"].items():
        lines.append(
            f"| {names[key]} | {run['seconds']} ({', '.join(map(str, run['all_seconds']))}) | "
            f"{run['documents_per_second']} | "
            f"{run['statements']} |"
        )
    ratio = record["ratios"]
    load = record["load_average_1min"]
    lines += [
        "",
        f"2 workers run at {ratio['workers_2_over_workers_1']}× the documents/s of 1 worker; "
        f"Spark local[2] at {ratio['spark_local_2_over_workers_1']}× of 1 worker and "
        f"{ratio['spark_local_2_over_workers_2']}× of 2 workers (its extra cost: the JVM, "
        "Arrow transfers and cold Python workers that import torch and load the model). "
        "With 2 cores, one worker already spreads each forward pass over both cores with "
        "torch's intra-op threads, so on an idle machine a second process adds only what one "
        "leaves idle (tokenising, decoding, writing, the serial parts of a forward pass) and "
        "pays a second model load: well under 2×.",
    ]
    if max(load.values()) > record["cores"]:
        lines[-1] += (
            f" This machine was not idle: the load average ({load['before']} to {load['after']}) "
            f"exceeded its {record['cores']} cores, other jobs running. The likely effect: "
            "the 2-thread worker suffers most, since each operation waits for its slower thread "
            "whenever another job holds a core, while single-thread workers never wait on each "
            "other; the 1-worker figure is then depressed and the ratios against it inflated "
            "(2 processes on 2 cores cannot truly exceed 2×)."
        )
    lines += [
        "",
        f"All runs found the same statements: {'yes' if record['same_statements'] else 'NO'}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
