"""Publishing to the Hub: everything up to the network call is built and checked here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import load_from_hub_cache, run_stance

from stance.pipeline import DEFAULT_MODEL_DIR
from stance.publish import (
    CARD_FILE,
    EVALUATION_FILE,
    PublishError,
    StagedModel,
    check,
    downloaded_by_load,
    stage,
    upload,
)

ROOT = Path(__file__).resolve().parents[1]
EVALUATION = ROOT / "reports" / "stance-minilm-l6.json"
CARD = ROOT / "model_cards" / "stance-minilm-l6" / "README.md"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> StagedModel:
    """The bundled model, its card and its evaluation, staged and checked once."""
    return stage(DEFAULT_MODEL_DIR, CARD, EVALUATION, tmp_path_factory.mktemp("hub") / "model")


@pytest.fixture()
def staged_copy(staged: StagedModel, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(staged.folder, folder)
    return folder


def test_bundled_model_stages_with_what_load_downloads(staged: StagedModel) -> None:
    assert staged.model_name == "stance-minilm-l6"
    required = {"config.json", "model.safetensors", "tokenizer.json", CARD_FILE, EVALUATION_FILE}
    assert required <= set(staged.files)
    assert "onnx/encoder.onnx" in staged.files and "onnx/manifest.json" in staged.files
    assert all(downloaded_by_load(name) for name in staged.files)
    # The card's model-index holds the test-split and PolNeAR metrics the report wrote.
    assert staged.metrics >= 9
    assert (staged.folder / CARD_FILE).read_bytes() == CARD.read_bytes()


def test_staged_folder_loads_from_the_hub_cache(staged: StagedModel, tmp_path: Path) -> None:
    """What is uploaded is what stance.load('org/name') reads back from the Hub's cache."""
    result = load_from_hub_cache(staged.folder, tmp_path / "hub", "stance-nlp/published")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "speculation" in result.stdout


def test_hand_edited_card_is_refused(staged_copy: Path) -> None:
    card = staged_copy / CARD_FILE
    card.write_text(card.read_text().replace("value: 0.", "value: 0.9", 1))
    with pytest.raises(PublishError, match="not the card generated from evaluation.json"):
        check(staged_copy)


def test_card_without_model_index_is_refused(staged_copy: Path) -> None:
    card = staged_copy / CARD_FILE
    body = card.read_text().split("\n---\n", 1)[1]
    card.write_text("---\nlicense: apache-2.0\n---\n" + body)
    with pytest.raises(PublishError, match="model-index has no results"):
        check(staged_copy)


def test_evaluation_of_another_run_is_refused(staged_copy: Path) -> None:
    path = staged_copy / EVALUATION_FILE
    results = json.loads(path.read_text())
    results["training_run"]["train_seconds"] += 1
    path.write_text(json.dumps(results))
    with pytest.raises(PublishError, match="made for another training run"):
        check(staged_copy)


def test_pickles_and_files_load_would_not_fetch_are_refused(staged_copy: Path) -> None:
    (staged_copy / "pytorch_model.bin").write_bytes(b"\x80\x04N.")
    (staged_copy / "notes.txt").write_text("draft")
    with pytest.raises(PublishError) as caught:
        check(staged_copy)
    problems = "\n".join(caught.value.problems)
    assert "pytorch_model.bin: pickled weights are never published" in problems
    assert "notes.txt would not be downloaded by stance.load" in problems


def test_staging_never_overwrites(staged: StagedModel, tmp_path: Path) -> None:
    output = tmp_path / "taken"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    with pytest.raises(PublishError, match="already exists"):
        stage(DEFAULT_MODEL_DIR, CARD, EVALUATION, output)
    assert [p.name for p in output.iterdir()] == ["keep.txt"]


def test_missing_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(PublishError) as caught:
        stage(tmp_path / "nowhere", CARD, tmp_path / "eval.json", tmp_path / "out")
    problems = "\n".join(caught.value.problems)
    assert "model folder" in problems and "eval.json does not exist" in problems
    assert not (tmp_path / "out").exists()


def test_upload_offline_says_how_to_upload_later(staged: StagedModel, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PublishError, match="nothing was uploaded.*stance publish --staged"):
        upload(staged, "stance-nlp/stance-minilm-l6")


def test_cli_dry_run_stages_and_checks(tmp_path: Path) -> None:
    result = run_stance("publish", "--dry-run", "--staging", str(tmp_path / "hub"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "staged and checked" in result.stdout and "9 metrics" in result.stdout
    assert (tmp_path / "hub" / CARD_FILE).exists()


def test_cli_needs_a_repo_id_or_dry_run(staged: StagedModel) -> None:
    result = run_stance("publish", "--staged", str(staged.folder))
    assert result.returncode == 2
    assert "give --repo-id org/name to upload, or --dry-run" in result.stderr


def test_cli_upload_offline_exits_2_and_keeps_the_staged_folder(staged: StagedModel) -> None:
    result = run_stance("publish", "--staged", str(staged.folder), "--repo-id", "stance-nlp/x")
    assert result.returncode == 2
    assert "HF_HUB_OFFLINE is set, so nothing was uploaded" in result.stderr
    assert (staged.folder / CARD_FILE).exists()
