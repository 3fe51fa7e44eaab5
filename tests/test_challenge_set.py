"""training/challenge_set.py: the cases file, its checks, and a real run on the shipped model."""

import json
import re

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def challenge():
    return load_script("training/challenge_set.py")


def test_shipped_cases_are_well_formed(challenge) -> None:
    cases = challenge.read_cases()
    assert len(cases) >= 50
    assert len({case.construction for case in cases}) >= 10
    for case in cases:
        content = case.span("content")
        assert case.text[content["start"] : content["end"]] == case.content


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("x\tMarsh said it rained.\tMarsh\tsaid\tit rained\n", "has 5 fields"),
        ("x\tMarsh said it rained.\tMarsh\tsaid\tit snowed\tassertion\n", "is not in its sentence"),
        ("x\tMarsh said it rained.\tMarsh\tsaid\tit rained\tsure\n", "unknown label 'sure'"),
    ],
)
def test_bad_cases_are_refused_with_the_fix(challenge, tmp_path, line: str, problem: str) -> None:
    path = tmp_path / "cases.tsv"
    path.write_text("# construction\ttext\tsource\tcue\tcontent\tlabel\n" + line, "utf-8")
    with pytest.raises(ValueError, match=problem):
        challenge.read_cases(path)


def test_report_counts_what_the_model_read(challenge, tmp_path) -> None:
    cases = tmp_path / "cases.tsv"
    cases.write_text(
        "possessive\tThe agency's spokesman, Tom Reyes, denied the report.\t"
        "The agency's spokesman\tdenied\tthe report\tdenial\n"
        "perception\tHarbour officials watched the ferry leave.\tHarbour officials\twatched\t"
        "the ferry leave\t\n",
        "utf-8",
    )
    output = tmp_path / "report"
    assert challenge.main(["--cases", str(cases), "--output", str(output)]) == 0
    results = json.loads(output.with_suffix(".json").read_text("utf-8"))
    assert [r["found"] for r in results] == [True, False]
    assert results[0]["source_right"] and results[0]["cue_right"]
    assert results[1]["label_right"] is None  # no label given: not scored
    report = output.with_suffix(".md").read_text("utf-8")
    assert "| all cases | 1/2 | 1/1 | 1/1 |" in report
    assert "Harbour officials watched the ferry leave. — not found" in report


def test_decoding_option_sets_constants_for_the_run_only(challenge, tmp_path) -> None:
    from stance import decoding

    cases = tmp_path / "cases.tsv"
    cases.write_text(
        "non-answer\tThe ministry neither confirmed nor denied that talks had taken place.\t"
        "The ministry\tneither confirmed nor denied\tthat talks had taken place\t\n",
        "utf-8",
    )
    cue_right = {}
    shipped = decoding.JOIN_COORDINATED_CUES
    for joined in (not shipped, shipped):
        output = tmp_path / f"joined-{joined}"
        setting = json.dumps({"JOIN_COORDINATED_CUES": joined})
        argv = ["--cases", str(cases), "--output", str(output), "--decoding", setting]
        assert challenge.main(argv) == 0
        assert decoding.JOIN_COORDINATED_CUES is shipped  # put back after the run
        cue_right[joined] = json.loads(output.with_suffix(".json").read_text("utf-8"))[0]
        assert f"--decoding '{setting}'" in output.with_suffix(".md").read_text("utf-8")
    # The shipped model cuts the group at "nor"; only the join reads it as one cue. (Should a
    # retrained model read it whole without the join, this needs a case the join still mends.)
    assert [cue_right[j]["cue_right"] for j in (False, True)] == [False, True]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('{"NO_SUCH_CONSTANT": 1}', "does not have: \\['NO_SUCH_CONSTANT'\\]"),
        ('["JOIN_COORDINATED_CUES"]', "is not a JSON object"),
        ("{JOIN_COORDINATED_CUES: true}", "is not JSON"),
    ],
)
def test_bad_decoding_option_is_a_usage_error(challenge, capsys, value: str, problem: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        challenge.main(["--decoding", value])
    assert exit_info.value.code == 2
    assert re.search(problem, capsys.readouterr().err)
