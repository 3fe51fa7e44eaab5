"""Publishing a model to the Hugging Face Hub: stage, check, upload.

A Hub repository of a stance model holds exactly what ``stance.load("org/name")`` downloads
(:data:`stance.hub.MODEL_FILES`): the model folder's config, fp16 safetensors weights, tokenizer,
training run record and ONNX export, the model card as ``README.md`` and the evaluation results
the card was generated from as ``evaluation.json``. Everything is built and checked locally, so
the only step that needs the network is the upload itself:

1. :func:`stage` copies those files into a fresh folder (built beside it and renamed into place,
   so a stopped run leaves no half-staged folder);
2. :func:`check` lists what would make the upload wrong: a card whose ``model-index`` metadata
   does not parse, a card or evaluation made for another training run or edited by hand since
   it was generated, a file that ``stance.load`` would not download, a pickle, or a model that
   does not load and predict;
3. :func:`upload` checks again and uploads the staged folder with ``huggingface_hub``.

Command line::

    stance publish --repo-id org/stance-minilm-l6            # stage, check, upload
    stance publish --dry-run --staging build/hub/stance-minilm-l6   # stage and check only
"""

from __future__ import annotations

import fnmatch
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.hub import MODEL_FILES, PICKLE_SUFFIXES

#: The model card's name in a Hub repository (the Hub renders it).
CARD_FILE = "README.md"
#: The evaluation results the card was generated from, uploaded beside it.
EVALUATION_FILE = "evaluation.json"
#: The training run record inside a model folder (written by ``stance train``).
RUN_RECORD_FILE = "training_run.json"
#: The model folder's files that are published (the weights, config and tokenizer are required).
MODEL_FOLDER_FILES: tuple[str, ...] = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    RUN_RECORD_FILE,
    "onnx/*.onnx",
    "onnx/manifest.json",
)
REQUIRED_MODEL_FILES: tuple[str, ...] = ("config.json", "model.safetensors", "tokenizer.json")
#: A sentence every published model must find a statement in.
SMOKE_TEXT = "Talks could resume by spring, a diplomat said."


class PublishError(ValueError):
    """The model cannot be published as it is; lists every problem and how to fix it."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("cannot publish:\n" + "\n".join(f"- {p}" for p in self.problems))


@dataclass(frozen=True)
class StagedModel:
    """A folder ready for upload, as :func:`stage` built and :func:`check` passed it.

    Attributes:
        folder: The staged folder.
        files: Its files, relative paths with ``/``, sorted.
        model_name: The model's name from its evaluation results.
        metrics: The number of metrics in the card's ``model-index`` metadata.
    """

    folder: Path
    files: tuple[str, ...]
    model_name: str
    metrics: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields.

        Example:
            >>> StagedModel(Path("hub"), ("README.md",), "m", 3).to_dict()["folder"]
            'hub'
        """
        return {
            "folder": str(self.folder),
            "files": list(self.files),
            "model_name": self.model_name,
            "metrics": self.metrics,
        }


def _relative_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def downloaded_by_load(path: str) -> bool:
    """Whether ``stance.load("org/name")`` downloads this repository file.

    Example:
        >>> downloaded_by_load("onnx/encoder.onnx"), downloaded_by_load("pytorch_model.bin")
        (True, False)
    """
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in MODEL_FILES)


def stage(model: Path, card: Path, evaluation: Path, output: Path) -> StagedModel:
    """Copies a model folder, its card and its evaluation into ``output`` and checks them.

    Args:
        model: The model folder (``stance/default_model``, or a run's ``model`` folder with
            its ONNX export).
        card: The model card that ``stance evaluate --model-card-dir`` wrote for it.
        evaluation: The evaluation results JSON that the same run wrote (``reports/<name>.json``).
        output: The staged folder to create; it must not exist yet.

    Returns:
        The staged folder, checked.

    Raises:
        PublishError: an input is missing, ``output`` exists, or :func:`check` finds problems
            (the staged folder is then kept, so the problems can be looked at).

    Example:
        >>> try:
        ...     stage(Path("no-model"), Path("no-card.md"), Path("no-eval.json"), Path("hub"))
        ... except PublishError as err:
        ...     print(err.problems[0])
        model folder no-model does not exist
    """
    inputs = (("model folder", model), ("model card", card), ("evaluation", evaluation))
    problems = [f"{what} {path} does not exist" for what, path in inputs if not path.exists()]
    problems += [
        f"model folder {model} has no {name}: pass the folder `stance train` wrote (its model/)"
        for name in REQUIRED_MODEL_FILES
        if model.exists() and not (model / name).is_file()
    ]
    if output.exists():
        problems.append(
            f"{output} already exists: pass another --staging folder or remove it (nothing in it "
            "was changed)"
        )
    if problems:
        raise PublishError(problems)
    building = output.with_name(output.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)  # left over from a stopped run
    building.mkdir(parents=True)
    for pattern in MODEL_FOLDER_FILES:
        for source in sorted(model.glob(pattern)):
            target = building / source.relative_to(model)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    shutil.copy2(card, building / CARD_FILE)
    shutil.copy2(evaluation, building / EVALUATION_FILE)
    building.rename(output)
    return check(output)


def card_metrics(card_text: str) -> list[Any]:
    """The ``model-index`` results of a model card's metadata, as ``huggingface_hub`` reads them.

    Raises:
        ValueError: the metadata is missing, does not parse, or has no results with values.

    Example:
        >>> card = '''---
        ... license: apache-2.0
        ... model-index:
        ... - name: m
        ...   results:
        ...   - task: {type: token-classification}
        ...     dataset: {type: d, name: D}
        ...     metrics:
        ...     - {type: f1, value: 0.9}
        ... ---
        ... # m'''
        >>> [r.metric_value for r in card_metrics(card)]
        [0.9]
    """
    from huggingface_hub import ModelCard

    try:
        results = ModelCard(card_text, ignore_metadata_errors=False).data.eval_results or []
    except Exception as err:  # YAML and card-data errors come in several types
        raise ValueError(f"its metadata does not parse as a Hub model card: {err}") from err
    if not results or any(not isinstance(r.metric_value, (int, float)) for r in results):
        raise ValueError("its model-index has no results with numeric values")
    return list(results)


def check(folder: Path) -> StagedModel:
    """Checks a staged folder; returns it described, or raises with every problem found.

    Raises:
        PublishError: listing each problem and its fix.

    Example:
        >>> import tempfile
        >>> try:
        ...     check(Path(tempfile.mkdtemp()))
        ... except PublishError as err:
        ...     print(err.problems[0])
        config.json is missing
    """
    from stance.report import render_model_card

    regenerate = (
        "regenerate the card and evaluation for this model with `python training/"
        "evaluate_model.py --model MODEL --model-card-dir model_cards/NAME` and stage again"
    )
    problems: list[str] = []
    files = _relative_files(folder)
    problems += [
        f"{name}: pickled weights are never published; remove it"
        for name in files
        if name.endswith(PICKLE_SUFFIXES)
    ]
    problems += [
        f"{name} would not be downloaded by stance.load('org/name') (it fetches "
        f"{', '.join(MODEL_FILES)}); remove it or rename it to match"
        for name in files
        if not downloaded_by_load(name) and not name.endswith(PICKLE_SUFFIXES)
    ]
    problems += [
        f"{name} is missing" for name in (*REQUIRED_MODEL_FILES, CARD_FILE) if name not in files
    ]
    metrics: list[Any] = []
    card_text = (folder / CARD_FILE).read_text(encoding="utf-8") if CARD_FILE in files else ""
    if card_text:
        try:
            metrics = card_metrics(card_text)
        except ValueError as err:
            problems.append(f"{CARD_FILE}: {err}; {regenerate}")
    results: dict[str, Any] = {}
    if EVALUATION_FILE in files:
        results = json.loads((folder / EVALUATION_FILE).read_text(encoding="utf-8"))
        record_path = folder / RUN_RECORD_FILE
        record = (
            json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else None
        )
        if record is None or results.get("training_run") != record:
            problems.append(
                f"{EVALUATION_FILE} was made for another training run than the model's "
                f"{RUN_RECORD_FILE}; {regenerate}"
            )
        elif card_text and card_text != render_model_card(results, results["model_name"]):
            problems.append(
                f"{CARD_FILE} is not the card generated from {EVALUATION_FILE} by this version of "
                f"stance (edited by hand, or generated before the decoder changed); {regenerate}"
            )
    else:
        problems.append(f"{EVALUATION_FILE} is missing; {regenerate}")
    if not problems:
        problems += _load_problems(folder)
    if problems:
        raise PublishError(problems)
    return StagedModel(folder, tuple(files), results["model_name"], len(metrics))


def _load_problems(folder: Path) -> list[str]:
    """What keeps the staged model from loading and predicting, per backend it ships."""
    import importlib.util

    from stance.onnx_backend import has_onnx
    from stance.pipeline import load

    backends = ["onnx"] if has_onnx(folder) else []
    if importlib.util.find_spec("torch") is not None:
        backends.append("torch")
    problems = []
    for backend in backends:
        try:
            found = load(folder, backend=backend).predict(SMOKE_TEXT)
        except Exception as err:  # any failure to load or run is a reason not to publish
            problems.append(f"the model does not load with the {backend} backend: {err}")
            continue
        if not found:
            problems.append(
                f"the model ({backend} backend) finds no statement in {SMOKE_TEXT!r}: is it "
                "trained?"
            )
    return problems


def upload(
    staged: StagedModel,
    repo_id: str,
    revision: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
) -> str:
    """Uploads a staged folder to the Hub repository ``repo_id`` (created if missing).

    The folder is checked again first. The token is ``huggingface_hub``'s (``HF_TOKEN`` or
    ``hf auth login``).

    Returns:
        The URL of the Hub commit.

    Raises:
        PublishError: the folder fails :func:`check`, or the Hub cannot be reached (offline
            mode, no network), saying how to upload the staged folder later.
    """
    from stance.hub import hub_offline, hub_reachable

    check(staged.folder)
    later = (
        f"the staged folder {staged.folder} is checked and ready: upload it where the Hub is "
        f"reachable with `stance publish --staged {staged.folder} --repo-id {repo_id}` or "
        f"`hf upload {repo_id} {staged.folder} .`"
    )
    if hub_offline():
        raise PublishError([f"HF_HUB_OFFLINE is set, so nothing was uploaded; {later}"])
    if not hub_reachable():
        raise PublishError([f"the Hugging Face Hub cannot be reached; {later}"])
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, private=private, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        folder_path=str(staged.folder),
        revision=revision,
        commit_message=commit_message or f"Upload {staged.model_name}",
    )
    return str(getattr(commit, "commit_url", commit))
