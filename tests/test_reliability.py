"""Reliability: threads, blocked network, determinism across processes and batch sizes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_properties import check_sound, same

ARTICLE = [
    "The ministry denied that the port had been closed, officials said on Monday.",
    '"We could lose the harbour by winter," warned harbour master Ines Valko. "Nobody knows."',
    "According to the agency, the cargo apparently left port before the storm.",
    "Analysts expect rates to rise in May, while the central bank said inflation had peaked.",
    "The council met on Tuesday. No decision was taken.",
    "Union leader Arvo Kask dismissed the report as fabricated and said talks may resume.",
    "It is understood the contract was signed in March, a person familiar with the matter said.",
    "The company, which employs 400 people, said profits seemed to have recovered.",
]
TEXTS = [" ".join(ARTICLE[i:] + ARTICLE[:i]) for i in range(len(ARTICLE))] + ARTICLE


def _dump(results: list[list]) -> list[list[dict]]:
    return [[s.to_dict() for s in statements] for statements in results]


def test_lone_surrogates_do_not_crash_and_offsets_hold(nlp) -> None:
    # Found by the fuzz tests: the Rust tokenizer raised TypeError on a lone surrogate.
    text = "Officials said the port \ud800 was closed. \udcff The ministry denied the report."
    statements = nlp.predict(text)
    check_sound(text, statements)
    assert any(s.label == "denial" for s in statements)


def test_eight_threads_share_one_model(nlp) -> None:
    sequential = [nlp.predict(t) for t in TEXTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Each text is submitted several times so threads really overlap on the same model.
        threaded = list(pool.map(nlp.predict, TEXTS * 3))
    for i, statements in enumerate(threaded):
        assert same(statements, sequential[i % len(TEXTS)], tolerance=1e-5), TEXTS[i % len(TEXTS)]


def test_batch_sizes_one_and_thirty_two_agree(nlp) -> None:
    one = nlp.predict(TEXTS, batch_size=1)
    many = nlp.predict(TEXTS, batch_size=32)
    for a, b in zip(one, many, strict=True):
        assert same(a, b, tolerance=1e-4)
    assert sum(map(len, one)) >= len(TEXTS)


def test_two_processes_give_identical_predictions(nlp) -> None:
    script = "import json, sys, stance; texts = json.load(sys.stdin); " + (
        "print(json.dumps([[s.to_dict() for s in r] for r in stance.load().predict(texts)]))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(TEXTS),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    here = _dump(nlp.predict(TEXTS))
    assert json.loads(runs[0]) == json.loads(json.dumps(here))


@pytest.fixture
def no_network(monkeypatch):
    """Makes every socket connection fail, recording the attempts."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args[1] if len(args) > 1 else args)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize("offline_flag", ["1", None])
def test_local_loads_make_no_network_call(no_network, monkeypatch, offline_flag) -> None:
    import stance
    from stance.pipeline import DEFAULT_MODEL_DIR

    if offline_flag is None:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", offline_flag)
    for nlp in (stance.load(), stance.load(DEFAULT_MODEL_DIR)):
        assert nlp.predict("The ministry denied the report, officials said.")
    assert no_network == []


def test_uncached_hub_id_with_network_blocked_fails_fast_and_says_how(tmp_path) -> None:
    # A fresh process, HF_HUB_OFFLINE unset, an empty cache and no network: the situation of a
    # locked-down server where someone passes a Hub id.
    script = textwrap.dedent(
        """
        import socket, sys, time
        def refuse(*a, **k):
            raise OSError("network blocked")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        import stance
        from stance.hub import ModelNotAvailableError
        started = time.monotonic()
        try:
            stance.load("some-org/some-stance-model")
        except ModelNotAvailableError as err:
            print(f"{time.monotonic() - started:.2f}")
            print(err)
            sys.exit(0)
        sys.exit("loaded a model that does not exist")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env["HF_HOME"] = str(tmp_path / "hf")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    seconds, message = result.stdout.split("\n", 1)
    assert float(seconds) < 5
    assert time.monotonic() - started < 30  # the whole process, imports included
    assert "huggingface-cli download some-org/some-stance-model" in message
    assert "local folder" in message
