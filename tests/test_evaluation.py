"""Tests of stance.evaluation and the two Hugging Face `evaluate` metric modules."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
try:
    import stance  # noqa: F401
except ImportError:  # the project is not installed in the venv: import it from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from stance.evaluation import (  # noqa: E402
    confusion_matrix_markdown,
    confusion_matrix_png,
    content_recall_by,
    document_scores,
    exact_key,
    expected_calibration_error,
    greedy_match,
    probabilities_to_dict,
    span_scores,
    span_tokens,
    stance_scores,
    statement_scores,
    token_f1,
    trim_offsets,
)
from stance.types import LABELS  # noqa: E402

METRICS_DIR = REPO_ROOT / "stance" / "metrics"


def span(text: str, piece: str, nth: int = 0) -> dict:
    """The span of the nth occurrence of `piece` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(piece, start + 1)
    return {"start": start, "end": start + len(piece), "text": piece}


def statement(source, cue, content, label=None):
    st = {"source": source, "cue": cue, "content": content}
    if label is not None:
        st["label"] = label
    return st


# A document with two statements sharing source and cue, one quoted statement, and predictions
# that merge two contents, keep quote marks and a trailing comma, and miss a source.
TEXT = 'Marsh said the port was closed and would reopen. "We are ready," she said.'
GOLD = {
    "id": "d1",
    "text": TEXT,
    "statements": [
        statement(
            span(TEXT, "Marsh"), span(TEXT, "said"), span(TEXT, "the port was closed"), "assertion"
        ),
        statement(
            span(TEXT, "Marsh"), span(TEXT, "said"), span(TEXT, "would reopen"), "speculation"
        ),
        statement(
            span(TEXT, "she"), span(TEXT, "said", 1), span(TEXT, "We are ready"), "assertion"
        ),
    ],
}
PRED = {
    "id": "d1",
    "text": TEXT,
    "statements": [
        statement(
            span(TEXT, "Marsh"),
            span(TEXT, "said"),
            span(TEXT, "the port was closed and would reopen"),
            "assertion",
        ),
        statement(None, span(TEXT, "said", 1), span(TEXT, '"We are ready,"'), "hedge"),
    ],
}
# A second document whose single gold statement is missed.
TEXT2 = "Nothing happened, officials said."
GOLD2 = {
    "id": "d2",
    "text": TEXT2,
    "statements": [
        statement(
            span(TEXT2, "officials"), span(TEXT2, "said"), span(TEXT2, "Nothing happened"), "denial"
        )
    ],
}
PRED2 = {"id": "d2", "text": TEXT2, "statements": []}


def test_span_tokens_ignore_punctuation_and_quotes():
    text = '"We are ready," she said.'
    assert span_tokens(text, {"start": 0, "end": 15}) == span_tokens(text, {"start": 1, "end": 13})
    assert span_tokens(text, {"start": 0, "end": 1}) == frozenset()


def test_punctuation_cues_match_by_their_characters():
    # Transcript turns and embedded posts have a colon or a dash alone as their cue.
    text = "KESSEL: No.\nOKONJO: Yes.\n— Ivo Sand (@ivo) May 2"
    colon, other_colon, dash = (
        {"start": i, "end": i + 1} for i in (text.index(":"), text.rindex(":"), text.index("—"))
    )
    assert token_f1(text, colon, colon) == 1.0 and token_f1(text, dash, dash) == 1.0
    assert token_f1(text, colon, other_colon) == 0.0 and token_f1(text, colon, dash) == 0.0
    assert exact_key(text, colon) != exact_key(text, other_colon)
    gold = {"id": "t", "text": text, "statements": [
        {"source": span(text, "KESSEL"), "cue": colon, "content": span(text, "No")},
    ]}  # fmt: skip
    assert span_scores([gold], [gold], "cue", "overlap")["f1"] == 1.0
    assert span_scores([gold], [gold], "cue", "exact")["f1"] == 1.0


def test_token_f1_partial_overlap_and_empty():
    # "the port was closed" (4 tokens) vs "the port was closed and would reopen" (7 tokens).
    assert token_f1(
        TEXT, span(TEXT, "the port was closed"), span(TEXT, "the port was closed and would reopen")
    ) == pytest.approx(8 / 11)
    # "would reopen" (2) vs the same 7 tokens: 4/9 < 0.5.
    assert token_f1(
        TEXT, span(TEXT, "would reopen"), span(TEXT, "the port was closed and would reopen")
    ) == pytest.approx(4 / 9)
    assert token_f1(TEXT, span(TEXT, '"'), span(TEXT, "Marsh")) == 0.0
    assert token_f1(TEXT, span(TEXT, "Marsh"), span(TEXT, "she")) == 0.0


def test_token_f1_discontinuous_pieces():
    gold = {"pieces": [[0, 5], [11, 19]], "text": "Marsh the port"}  # Marsh | the port
    assert token_f1(TEXT, gold, span(TEXT, "the port was closed")) == pytest.approx(4 / 7)


def test_trim_and_exact_key():
    text = '"We have done our part," she said.'
    assert text[slice(*trim_offsets(text, 0, 25))] == "We have done our part"
    quoted = span(text, '"We have done our part,"')
    bare = span(text, "We have done our part")
    assert exact_key(text, quoted) == exact_key(text, bare)
    assert exact_key(text, bare) != exact_key(text, span(text, "We have done our"))
    # Pieces compare as a set, whatever order they are listed in.
    assert exact_key(TEXT, {"pieces": [[11, 19], [0, 5]]}) == exact_key(
        TEXT, {"pieces": [[0, 5], [11, 19]]}
    )


def test_greedy_match_is_one_to_one_thresholded_and_deterministic():
    assert greedy_match([[0.9, 0.8], [0.8, 0.1]], 0.5) == [(0, 0)]
    # Equal similarities: the lowest gold index, then the lowest prediction index, goes first.
    assert greedy_match([[0.6, 0.6], [0.6, 0.6]], 0.5) == [(0, 0), (1, 1)]
    assert greedy_match([[0.49]], 0.5) == []
    assert greedy_match([[0.5]], 0.5) == [(0, 0)]
    assert greedy_match([], 0.5) == []


def test_span_scores_one_document():
    gold, pred = [GOLD], [PRED]
    # Sources: gold {Marsh, she} (Marsh shared by two statements counts once), pred {Marsh}
    # (the None source is skipped).
    for mode in ("exact", "overlap"):
        scores = span_scores(gold, pred, "source", mode)
        assert (scores["tp"], scores["n_gold"], scores["n_pred"]) == (1, 2, 1)
        assert scores["precision"] == 1.0
        assert scores["recall"] == 0.5
        assert scores["f1"] == pytest.approx(2 / 3)
    assert span_scores(gold, pred, "cue", "exact")["f1"] == 1.0
    # Content overlap: merged content matches "the port was closed" (8/11), the quoted one
    # matches "We are ready" (1.0); "would reopen" is left unmatched.
    overlap = span_scores(gold, pred, "content", "overlap")
    assert (overlap["tp"], overlap["n_gold"], overlap["n_pred"]) == (2, 3, 2)
    assert overlap["f1"] == pytest.approx(0.8)
    # Exact: only the quoted content matches once quote marks and the comma are trimmed.
    exact = span_scores(gold, pred, "content", "exact")
    assert exact["tp"] == 1
    assert (exact["precision"], exact["recall"]) == (0.5, pytest.approx(1 / 3))
    assert exact["f1"] == pytest.approx(0.4)


def test_span_scores_micro_average_over_documents():
    scores = span_scores([GOLD, GOLD2], [PRED, PRED2], "cue", "overlap")
    assert (scores["tp"], scores["n_gold"], scores["n_pred"]) == (2, 3, 2)
    assert scores["precision"] == 1.0
    assert scores["f1"] == pytest.approx(0.8)


def test_duplicate_predicted_spans_count_once_for_spans_but_not_statements():
    doubled = dict(PRED, statements=[PRED["statements"][0]] * 2 + [PRED["statements"][1]])
    assert span_scores([GOLD], [doubled], "content", "overlap")["n_pred"] == 2
    scores = statement_scores([GOLD], [doubled])
    # One-to-one: the duplicate cannot match a second gold statement.
    assert (scores["unlabelled"]["tp"], scores["n_pred"]) == (2, 3)


def test_statement_scores_labelled_and_unlabelled():
    scores = statement_scores([GOLD, GOLD2], [PRED, PRED2])
    # Unlabelled: 2 matches of 4 gold and 2 predicted statements.
    assert scores["unlabelled"]["precision"] == 1.0
    assert scores["unlabelled"]["recall"] == 0.5
    assert scores["unlabelled"]["f1"] == pytest.approx(2 / 3)
    # Labelled: the quoted statement is predicted as hedge, gold says assertion.
    assert (scores["tp"], scores["n_gold"], scores["n_pred"]) == (1, 4, 2)
    assert scores["precision"] == 0.5
    assert scores["recall"] == 0.25
    assert scores["f1"] == pytest.approx(1 / 3)


def test_content_recall_by_groups_add_up_to_the_unlabelled_matches():
    def by_cue_line(text, st):
        return "first cue" if st["cue"]["start"] < 20 else "later cue"

    groups = content_recall_by([GOLD, GOLD2], [PRED, PRED2], by_cue_line)
    # "the port was closed" (first cue) and "We are ready" are found; "would reopen" is taken by
    # nothing (the merged prediction is matched once) and d2's statement is missed.
    assert groups == {
        "first cue": {"gold": 2, "found": 1, "recall": 0.5},
        "later cue": {"gold": 2, "found": 1, "recall": 0.5},
    }
    unlabelled = statement_scores([GOLD, GOLD2], [PRED, PRED2])["unlabelled"]
    assert sum(g["found"] for g in groups.values()) == unlabelled["tp"]
    assert sum(g["gold"] for g in groups.values()) == unlabelled["n_gold"]


def test_reporting_cue_lexicon_split():
    from stance.baseline import is_reporting_cue

    for cue in ("said", "has told reporters", "according to", "did not deny", "it is believed"):
        assert is_reporting_cue(cue), cue
    for cue in ("called for", "wants", "cited", "laid out"):
        assert not is_reporting_cue(cue), cue


def test_statement_scores_label_constraint_changes_the_matching():
    text = "Marsh said the port was closed."
    gold = {
        "text": text,
        "statements": [
            statement(None, span(text, "said"), span(text, "the port was closed"), "hedge"),
            statement(None, span(text, "said"), span(text, "the port"), "assertion"),
        ],
    }
    pred = {
        "text": text,
        "statements": [
            statement(None, span(text, "said"), span(text, "the port was closed"), "assertion"),
        ],
    }
    # Matching first and checking labels afterwards would pair the prediction with the hedge
    # (token F1 1.0) and score 0; matching among label-equal pairs finds the assertion (2/3).
    scores = statement_scores([gold], [pred])
    assert scores["tp"] == 1
    assert scores["unlabelled"]["tp"] == 1


def test_statement_scores_without_gold_labels():
    unlabelled_gold = dict(
        GOLD, statements=[{k: v for k, v in s.items() if k != "label"} for s in GOLD["statements"]]
    )
    scores = statement_scores([unlabelled_gold], [PRED])
    assert scores["f1"] is None and scores["precision"] is None
    assert scores["unlabelled"]["f1"] == pytest.approx(0.8)


def test_errors_on_misaligned_documents_and_bad_arguments():
    with pytest.raises(ValueError):
        span_scores([GOLD], [PRED, PRED2], "cue")
    with pytest.raises(ValueError):
        span_scores([GOLD], [PRED2], "cue")
    with pytest.raises(ValueError):
        span_scores([GOLD], [PRED], "speaker")
    with pytest.raises(ValueError):
        span_scores([GOLD], [PRED], "cue", "fuzzy")


def test_document_scores_shape():
    scores = document_scores([GOLD], [PRED])
    assert set(scores) == {"source", "cue", "content", "statement"}
    assert scores["content"]["overlap"] == span_scores([GOLD], [PRED], "content", "overlap")


def test_stance_scores_hand_computed():
    gold = ["denial", "denial", "speculation", "hedge", "assertion", "assertion"]
    pred = ["denial", "assertion", "speculation", "assertion", "assertion", "hedge"]
    scores = stance_scores(gold, pred)
    assert scores["confusion_matrix"] == {
        "labels": list(LABELS),
        "matrix": [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1]],
    }
    assert scores["accuracy"] == 0.5
    per = scores["per_label"]
    assert per["denial"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert per["speculation"]["f1"] == 1.0
    assert per["hedge"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["assertion"]["precision"] == pytest.approx(1 / 3)
    assert per["assertion"]["f1"] == pytest.approx(0.4)
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 1 + 0 + 0.4) / 4)
    assert scores["ece"] is None


def test_stance_scores_macro_f1_ignores_labels_absent_from_gold_and_predictions():
    assert stance_scores(["assertion", "hedge"], ["assertion", "hedge"])["macro_f1"] == 1.0
    assert stance_scores([], [])["accuracy"] == 0.0


def test_stance_scores_rejects_unknown_labels_and_length_mismatch():
    with pytest.raises(ValueError):
        stance_scores(["assertion"], ["opinion"])
    with pytest.raises(ValueError):
        stance_scores(["assertion"], [])


def test_ece_known_case():
    gold = ["denial", "assertion", "hedge", "assertion"]
    probs = [
        {"denial": 0.95, "speculation": 0.05, "hedge": 0.0, "assertion": 0.0},  # right, bin 9
        {"denial": 0.0, "speculation": 0.0, "hedge": 0.15, "assertion": 0.85},  # right, bin 8
        {"denial": 0.0, "speculation": 0.0, "hedge": 0.15, "assertion": 0.85},  # wrong, bin 8
        {"denial": 0.0, "speculation": 0.0, "hedge": 0.55, "assertion": 0.45},  # wrong, bin 5
    ]
    # 1/4 * |1 - 0.95| + 2/4 * |0.5 - 0.85| + 1/4 * |0 - 0.55|
    expected = 0.0125 + 0.175 + 0.1375
    assert expected_calibration_error(gold, probs) == pytest.approx(expected)
    assert stance_scores(gold, ["denial", "assertion", "assertion", "hedge"], probs)[
        "ece"
    ] == pytest.approx(expected)


def test_ece_bins_are_right_closed_and_perfect_calibration_is_zero():
    # 0.3 falls in (0.2, 0.3] and 0.31 in (0.3, 0.4]: two bins, not one.
    gold = ["assertion", "hedge"]
    probs = [
        {"assertion": 0.3, "hedge": 0.2, "denial": 0.25, "speculation": 0.25},
        {"assertion": 0.31, "hedge": 0.29, "denial": 0.2, "speculation": 0.2},
    ]
    assert expected_calibration_error(gold, probs) == pytest.approx(0.5 * 0.7 + 0.5 * 0.31)
    assert expected_calibration_error(["hedge"], [{"hedge": 1.0}]) == 0.0


def test_probabilities_to_dict_accepts_lists_dicts_and_json():
    as_list = probabilities_to_dict([0.1, 0.2, 0.3, 0.4])
    assert as_list == {"denial": 0.1, "speculation": 0.2, "hedge": 0.3, "assertion": 0.4}
    assert probabilities_to_dict(json.dumps(as_list)) == as_list
    assert probabilities_to_dict("[0.1, 0.2, 0.3, 0.4]") == as_list
    with pytest.raises(ValueError):
        probabilities_to_dict([0.5, 0.5])
    with pytest.raises(ValueError):
        probabilities_to_dict({"opinion": 1.0})


def test_confusion_matrix_markdown():
    confusion = stance_scores(["hedge", "denial"], ["assertion", "denial"])["confusion_matrix"]
    assert confusion_matrix_markdown(confusion) == (
        "| gold ↓ / predicted → | denial | speculation | hedge | assertion |\n"
        "|---|---|---|---|---|\n"
        "| denial | 1 | 0 | 0 | 0 |\n"
        "| speculation | 0 | 0 | 0 | 0 |\n"
        "| hedge | 0 | 0 | 0 | 1 |\n"
        "| assertion | 0 | 0 | 0 | 0 |\n"
    )


def test_confusion_matrix_png(tmp_path):
    from matplotlib.image import imread

    confusion = stance_scores(["hedge", "denial"], ["assertion", "denial"])["confusion_matrix"]
    path = confusion_matrix_png(confusion, tmp_path / "cm.png", title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = imread(path).shape
    assert height > 100 and width > 100


def test_evaluate_stance_classification_loads_offline():
    import evaluate

    metric = evaluate.load(str(METRICS_DIR / "stance_classification"))
    gold = ["denial", "assertion", "hedge", "assertion"]
    pred = ["denial", "assertion", "assertion", "hedge"]
    probs = [
        [0.95, 0.05, 0.0, 0.0],
        [0.0, 0.0, 0.15, 0.85],
        json.dumps([0.0, 0.0, 0.15, 0.85]),
        json.dumps({"hedge": 0.55, "assertion": 0.45}),
    ]
    result = metric.compute(predictions=pred, references=gold, probabilities=probs)
    assert result["accuracy"] == 0.5
    assert result["ece"] == pytest.approx(0.325)
    assert result["confusion_matrix"] == stance_scores(gold, pred)["confusion_matrix"]
    assert metric.compute(predictions=pred, references=gold)["ece"] is None


def test_evaluate_span_f1_loads_offline():
    import evaluate

    metric = evaluate.load(str(METRICS_DIR / "span_f1"))
    result = metric.compute(
        predictions=[json.dumps(PRED), json.dumps(PRED2)],
        references=[json.dumps(GOLD), json.dumps(GOLD2)],
    )
    assert result == document_scores([GOLD, GOLD2], [PRED, PRED2])
    assert result["cue"]["overlap"]["f1"] == pytest.approx(0.8)
    assert result["statement"]["unlabelled"]["f1"] == pytest.approx(2 / 3)
