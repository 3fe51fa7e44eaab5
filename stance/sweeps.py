"""Sweeps of decoding constants on validation: score every combination, pick with few changes.

Decoding constants are module attributes (``stance.decoding``, ``stance.speakers``); the
training scripts ``sweep_speaker_rules.py`` and ``sweep_decoding.py`` set each combination,
score it, and put the shipped values back.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any


def count_encoded_tokens(predictor: Any) -> list[int]:
    """Makes ``predictor``'s backend count the real tokens it encodes, into the returned list.

    Example:
        >>> import types
        >>> import numpy as np
        >>> predictor = types.SimpleNamespace(backend=types.SimpleNamespace(encode=lambda i, a: i))
        >>> count = count_encoded_tokens(predictor)
        >>> _ = predictor.backend.encode(np.zeros((2, 4)), np.array([[1, 1, 0, 0], [1, 1, 1, 0]]))
        >>> count
        [5]
    """
    count = [0]
    encode = predictor.backend.encode

    def counting(input_ids: Any, attention_mask: Any) -> Any:
        count[0] += int(attention_mask.sum())
        return encode(input_ids, attention_mask)

    predictor.backend.encode = counting
    return count


def text_tokens(tokenizer: Any, docs: Sequence[dict[str, Any]]) -> int:
    """The tokens of the documents' texts, special tokens left out: what encoder work is per.

    Example:
        >>> from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
        >>> from stance.tokenization import WordPieceTokenizer
        >>> tokenizer = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
        >>> text_tokens(tokenizer, [{"text": "The mayor said no."}, {"text": "Yes."}])
        7
    """
    return sum(len(tokenizer.encode(d["text"])[0]) for d in docs)


def sweep_constants(
    module: ModuleType,
    grid: dict[str, tuple[Any, ...]],
    score: Callable[[], dict[str, float]],
) -> list[dict[str, Any]]:
    """``{"values": combination, **score()}`` for every combination of ``grid``.

    The module's constants are restored afterwards, also when scoring fails.

    Example:
        >>> import types
        >>> module = types.SimpleNamespace(A=1)
        >>> rows = sweep_constants(module, {"A": (0, 2)}, lambda: {"twice": 2 * module.A})
        >>> [r["twice"] for r in rows], module.A
        ([0, 4], 1)
    """
    rows = []
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values, strict=True))
        with constants_set(module, setting):
            row = {"values": setting, **score()}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


@contextlib.contextmanager
def constants_set(module: ModuleType, setting: Mapping[str, Any]) -> Iterator[None]:
    """Sets ``module``'s constants to ``setting`` inside the block; the values they had are
    put back afterwards, also when the block fails.

    Example:
        >>> import types
        >>> module = types.SimpleNamespace(A=1)
        >>> with constants_set(module, {"A": 2}):
        ...     module.A
        2
        >>> module.A
        1
    """
    earlier = {name: getattr(module, name) for name in setting}
    try:
        for name, value in setting.items():
            setattr(module, name, value)
        yield
    finally:
        for name, value in earlier.items():
            setattr(module, name, value)


def changed(row: dict[str, Any], shipped: dict[str, Any]) -> int:
    """How many of a row's constants differ from the shipped values."""
    return sum(row["values"][name] != shipped[name] for name in row["values"])


def best_row(
    rows: Sequence[dict[str, Any]], shipped: dict[str, Any], keys: Sequence[str]
) -> dict[str, Any]:
    """The row with the best scores under ``keys`` (in order), then the fewest changes.

    Example:
        >>> rows = [{"values": {"A": 1}, "f1": 0.8}, {"values": {"A": 2}, "f1": 0.8}]
        >>> best_row(rows, {"A": 2}, ["f1"])["values"]
        {'A': 2}
    """
    return max(rows, key=lambda r: (*(round(r[k], 6) for k in keys), -changed(r, shipped)))


def write_sweep(
    output: Path,
    shipped: dict[str, Any],
    chosen: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    markdown: str,
) -> None:
    """Writes ``<output>.json`` (shipped, chosen, every row) and ``<output>.md``; prints the
    Markdown."""
    from stance.report import write_json_and_markdown

    record = {"shipped": shipped, "chosen": chosen, "rows": list(rows)}
    write_json_and_markdown(output, record, markdown)
    print(markdown)


def json_object(text: str) -> dict[str, Any]:
    """``text`` read as a JSON object of constant names and values: the type of ``--grid`` and
    of the challenge set's ``--decoding``, so a bad value is a usage error that says what is wrong.

    Example:
        >>> json_object('{"JOIN_COORDINATED_CUES": true}')
        {'JOIN_COORDINATED_CUES': True}
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({error})") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a JSON object; give constant names and their values (--help "
            "shows an example)"
        )
    return value


def add_grid_argument(parser: argparse.ArgumentParser, example: str) -> None:
    """Adds ``--grid``: a JSON object of constants and their candidate values, swept instead of
    the script's default grid (the other constants stay as shipped)."""
    parser.add_argument(
        "--grid",
        type=json_object,
        default=None,
        help="JSON object of constants and their candidate values, swept instead of GRID "
        f"(the others stay as shipped), e.g. '{example}'",
    )


def grid_to_sweep(
    parser: argparse.ArgumentParser,
    grid: dict[str, Any] | None,
    default: dict[str, tuple[Any, ...]],
    module: ModuleType,
) -> dict[str, tuple[Any, ...]]:
    """``--grid`` as a grid (``default`` without it); names ``module`` lacks are a usage error.

    Example:
        >>> import types
        >>> grid_to_sweep(argparse.ArgumentParser(), {"A": [1, 2]}, {}, types.SimpleNamespace(A=1))
        {'A': (1, 2)}
    """
    chosen = {name: tuple(values) for name, values in grid.items()} if grid else default
    refuse_unknown_constants(parser, "--grid", chosen, module)
    return chosen


def refuse_unknown_constants(
    parser: argparse.ArgumentParser, option: str, names: Iterable[str], module: ModuleType
) -> None:
    """A usage error (exit status 2) naming the constants in ``names`` that ``module`` lacks."""
    unknown = sorted(name for name in names if not hasattr(module, name))
    if unknown:
        parser.error(
            f"{option} names constants {module.__name__} does not have: {unknown}; "
            f"see {module.__name__} for the names"
        )
