"""Checks that a training run reproduced a model: the same weights, bit for bit.

Compares two model folders (``model.safetensors`` and ``training_run.json``): the weights
(every tensor's name, dtype, shape and bytes, and the file's metadata:
:func:`tensor_digest`), the data hash and config each run trained on, and the per-epoch
training losses, and writes the comparison as Markdown and JSON. Exits 1 when the weights
differ. The files' own sha256 is shown too, but not ruled on: safetensors writes the header's
metadata in hash-map order, so two saves of the same tensors can differ there.

Usage:
    python training/train.py training/configs/default.json
    python training/check_reproduction.py --reference stance/default_model \\
        --candidate runs/default/model --output reports/default-reproduction
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.base_encoder import file_sha256
from stance.report import write_json_and_markdown

#: Config entries that name where a run read and wrote, not what it trained on: the corpus
#: file's path differs between checkouts, so the data is compared by its sha256 instead.
LOCATIONS = ("output_dir", "corpus")


def tensor_digest(path: Path) -> str:
    """sha256 of a safetensors file's content: each tensor's name, dtype, shape and bytes in
    name order, then the metadata as sorted JSON; the header's layout is left out.

    Example:
        >>> from stance.pipeline import DEFAULT_MODEL_DIR
        >>> len(tensor_digest(DEFAULT_MODEL_DIR / "model.safetensors"))
        64
    """
    with path.open("rb") as handle:
        (header_size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_size))
        data = handle.read()
    digest = hashlib.sha256()
    for name in sorted(k for k in header if k != "__metadata__"):
        entry = header[name]
        start, end = entry["data_offsets"]
        described = json.dumps([name, entry["dtype"], entry["shape"]]).encode()
        digest.update(struct.pack("<Q", len(described)) + described)
        digest.update(struct.pack("<Q", end - start) + data[start:end])
    digest.update(json.dumps(header.get("__metadata__", {}), sort_keys=True).encode())
    return digest.hexdigest()


def compare(reference: Path, candidate: Path) -> dict[str, Any]:
    """What two model folders share: weights, data, config and training losses.

    Example:
        >>> from stance.pipeline import DEFAULT_MODEL_DIR
        >>> compare(DEFAULT_MODEL_DIR, DEFAULT_MODEL_DIR)["identical_weights"]
        True
    """
    runs = []
    for folder in (reference, candidate):
        weights, record = folder / "model.safetensors", folder / "training_run.json"
        for needed in (weights, record):
            if not needed.is_file():
                raise FileNotFoundError(
                    f"{needed} is missing: pass a model folder written by training/train.py"
                )
        runs.append(
            (
                tensor_digest(weights),
                file_sha256(weights),
                json.loads(record.read_text(encoding="utf-8")),
            )
        )
    (ref_digest, ref_sha, ref), (cand_digest, cand_sha, cand) = runs

    def trained(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record["config"].items() if k not in LOCATIONS}

    return {
        "reference": str(reference),
        "candidate": str(candidate),
        "tensor_sha256": {"reference": ref_digest, "candidate": cand_digest},
        "identical_weights": ref_digest == cand_digest,
        "file_sha256": {"reference": ref_sha, "candidate": cand_sha},
        "identical_files": ref_sha == cand_sha,
        "same_data": ref["data_sha256"] == cand["data_sha256"],
        "same_config": trained(ref) == trained(cand),
        "same_training_losses": [h["train_loss"] for h in ref["history"]]
        == [h["train_loss"] for h in cand["history"]],
        "machines": {"reference": ref.get("machine"), "candidate": cand.get("machine")},
        "train_seconds": {"reference": ref["train_seconds"], "candidate": cand["train_seconds"]},
        "commands": {"reference": ref.get("command"), "candidate": cand.get("command")},
    }


def to_markdown(result: dict[str, Any]) -> str:
    """The comparison as a Markdown page."""
    verdict = "reproduced, bit for bit" if result["identical_weights"] else "NOT reproduced"
    rows = [
        (
            "weights (every tensor of model.safetensors, and its metadata)",
            result["identical_weights"],
        ),
        ("training data (sha256)", result["same_data"]),
        ("config (output folder and corpus path aside)", result["same_config"]),
        ("training loss of every epoch and head", result["same_training_losses"]),
    ]

    def machine(which: str) -> str:
        facts = result["machines"][which] or {}
        return f"{facts.get('cpu', '?')} ({facts.get('cpu_capability', '?')})"

    return "\n".join(
        [
            f"# Reproduction check: {verdict}",
            "",
            "Generated by `python training/check_reproduction.py`.",
            "",
            "| | reference | candidate |",
            "|---|---|---|",
            f"| model folder | `{result['reference']}` | `{result['candidate']}` |",
            f"| command | `{' '.join(result['commands']['reference'] or [])}` | "
            f"`{' '.join(result['commands']['candidate'] or [])}` |",
            f"| CPU | {machine('reference')} | {machine('candidate')} |",
            f"| training time (s) | {result['train_seconds']['reference']} | "
            f"{result['train_seconds']['candidate']} |",
            f"| tensors sha256 | `{result['tensor_sha256']['reference']}` | "
            f"`{result['tensor_sha256']['candidate']}` |",
            f"| file sha256 | `{result['file_sha256']['reference']}` | "
            f"`{result['file_sha256']['candidate']}` |",
            "",
            "| the same | |",
            "|---|---|",
            *(f"| {name} | {'yes' if same else '**no**'} |" for name, same in rows),
            "",
            "The file sha256 is not ruled on: safetensors writes the header's metadata in "
            "hash-map order, so two saves of the same tensors can differ there"
            + ("." if result["identical_files"] else "; these two files differ."),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Compares the folders, writes ``<output>.md`` and ``.json`` if asked, exits 1 on a
    mismatch of weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, required=True, help="the model to reproduce")
    parser.add_argument("--candidate", type=Path, required=True, help="the new run's model")
    parser.add_argument("--output", type=Path, default=None, help="write <output>.md and .json")
    args = parser.parse_args(argv)
    try:
        result = compare(args.reference, args.candidate)
    except FileNotFoundError as error:
        parser.error(str(error))
    page = to_markdown(result)
    if args.output is not None:
        write_json_and_markdown(args.output, result, page)
    print(page)
    return 0 if result["identical_weights"] else 1


if __name__ == "__main__":
    sys.exit(main())
