"""Report sections built from evaluation results (the figures come from runs; here, the layout)."""

from stance.report import packed_section, polnear_cue_kind_section


def _scores(statement_f1: float) -> dict:
    spans = {f"{part}_overlap": {"f1": 0.5} for part in ("source", "cue", "content")}
    return {"statements": {"f1": statement_f1}, "stance": {"macro_f1": 0.9}, "spans": spans}


def test_packed_section_puts_both_readings_side_by_side() -> None:
    lines = packed_section(_scores(0.8), _scores(0.7))
    table = "\n".join(lines)
    assert "| as written | 0.800 | 0.900 | 0.500 | 0.500 | 0.500 |" in table
    assert "| packed | 0.700 | 0.900 | 0.500 | 0.500 | 0.500 |" in table
    assert packed_section(_scores(0.8), None) == []


def test_polnear_cue_kind_section_rows() -> None:
    counts = {
        "reporting": {"gold": 10, "found": 7, "recall": 0.7},
        "other": {"gold": 20, "found": 4, "recall": 0.2},
    }
    lexicon = {
        "reporting": {"gold": 10, "found": 5, "recall": 0.5},
        "other": {"gold": 20, "found": 0, "recall": 0.0},
    }
    table = "\n".join(polnear_cue_kind_section({"model": counts, "lexicon": lexicon}))
    assert "| 10 | 7 | 0.700 | 0.500 |" in table
    assert "| 20 | 4 | 0.200 | 0.000 |" in table
    assert polnear_cue_kind_section(None) == []


def test_limitation_figures_come_from_the_results() -> None:
    from stance.report import limitation_figures

    by_kind = {
        "model": {
            "reporting": {"gold": 10, "found": 7, "recall": 0.7},
            "other": {"gold": 20, "found": 4, "recall": 0.2},
        }
    }
    results = {
        "test": _scores(0.83),
        "test_packed": _scores(0.79),
        "polnear_dev": {"content_recall_by_cue_kind": by_kind},
    }
    note = limitation_figures(results)
    assert "statement F1 is 0.790 against 0.830" in note
    assert "finds 70% of the contents introduced by reporting cues" in note
    assert "and 20% of the others" in note
    assert limitation_figures({"test": _scores(0.83), "polnear_dev": None}) == ""


def test_polnear_joined_section_states_the_figure_and_keeps_the_target() -> None:
    from stance.report import polnear_joined_section

    lines = polnear_joined_section({"precision": 0.79, "recall": 0.5, "f1": 0.611})
    assert "content token-overlap F1 is 0.611 (P 0.790, R 0.500)" in " ".join(lines)
    assert polnear_joined_section(None) == []


def test_polnear_described_section_states_the_figures_and_keeps_the_target() -> None:
    from stance.report import polnear_described_section

    described = {
        "statements_with_description": 12,
        "overlap": {"precision": 0.8, "recall": 0.6, "f1": 0.686},
        "exact": {"precision": 0.7, "recall": 0.5, "f1": 0.583},
    }
    text = " ".join(polnear_described_section(described))
    assert "12 of the model's statements have one" in text
    assert "source token-overlap F1 is 0.686 (P 0.800, R 0.600) and exact F1 0.583" in text
    assert "the target row above stays" in text
    assert polnear_described_section(None) == []


def test_description_widened_source_matches_a_gold_source_with_its_appositive() -> None:
    """PolNeAR's "Name, appositive" source: missed by the name alone, matched when widened."""
    from stance.evaluation import sources_with_descriptions, span_scores

    text = "Lena Marsh, a spokeswoman for the port authority of Velmore, said it was shut."
    cue, content = {"start": 61, "end": 65}, {"start": 66, "end": 77}
    gold = {
        "id": "d",
        "text": text,
        "statements": [{"source": {"start": 0, "end": 59}, "cue": cue, "content": content}],
    }
    pred = {
        "id": "d",
        "text": text,
        "statements": [
            {
                "source": {"start": 0, "end": 10},
                "cue": cue,
                "content": content,
                "source_description": {"start": 12, "end": 59},
            }
        ],
    }
    assert span_scores([gold], [pred], "source", "overlap")["f1"] == 0.0
    widened = sources_with_descriptions([pred])
    assert span_scores([gold], widened, "source", "exact")["f1"] == 1.0


def test_joining_by_cue_matches_a_discontinuous_gold_content() -> None:
    """Two quote parts under one cue score as one match against a content in two pieces."""
    from stance.evaluation import join_contents_by_cue, span_scores

    text = '"The port is closed to all ships," she said, "and it will stay closed until May."'
    cue, source = {"start": 39, "end": 43}, {"start": 35, "end": 38}
    gold = [{"id": "d", "text": text, "statements": [
        {"source": source, "cue": cue, "content": {"pieces": [[1, 32], [46, 79]]}}]}]  # fmt: skip
    parts = [(1, 32), (46, 79)]  # "The port ... ships", "and it ... May"
    pred = [{"id": "d", "text": text, "statements": [
        {"source": source, "cue": cue, "content": {"start": a, "end": b}, "label": "assertion"}
        for a, b in parts]}]  # fmt: skip
    strict = span_scores(gold, pred, "content", "overlap")
    joined = span_scores(gold, join_contents_by_cue(pred), "content", "overlap")
    assert (strict["tp"], strict["n_pred"]) == (1, 2)
    assert (joined["tp"], joined["n_pred"], joined["f1"]) == (1, 1, 1.0)


def test_a_reproduction_check_is_cited_only_for_the_weights_it_checked(tmp_path) -> None:
    import json

    from stance.base_encoder import tensor_digest
    from stance.pipeline import DEFAULT_MODEL_DIR
    from stance.report import reproduction_check

    weights = DEFAULT_MODEL_DIR / "model.safetensors"
    check = tmp_path / "default-reproduction.json"
    result = {
        "tensor_sha256": {"reference": tensor_digest(weights), "candidate": "x"},
        "identical_weights": True,
        "commands": {"candidate": ["python", "training/train.py", "training/configs/default.json"]},
        "machines": {"candidate": {"cpu": "AMD EPYC", "cpu_capability": "AVX512"}},
    }
    check.write_text(json.dumps(result))
    found = reproduction_check(weights, check)
    assert found is not None and found["identical_weights"]
    assert found["report"] == "reports/default-reproduction.md"
    # A check of other weights (an earlier model) says nothing of these.
    result["tensor_sha256"]["reference"] = "0" * 64
    check.write_text(json.dumps(result))
    assert reproduction_check(weights, check) is None
    assert reproduction_check(weights, tmp_path / "missing.json") is None
