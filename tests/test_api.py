"""stance.predict() on handwritten news: spans, labels, ordering and bad input."""

from __future__ import annotations

import pytest

import stance
from stance.types import LABELS, Statement

EXAMPLES = {
    "denial": [
        "The Harbour Ministry on Friday denied that its patrol boats had entered the bay.",
        '"There is no truth in these reports," club chairman Pavel Orsk said.',
    ],
    "speculation": [
        "Talks could resume by spring, a senior diplomat said on Tuesday.",
        "Analysts at Brenner Capital said the central bank might cut rates in June.",
    ],
    "hedge": [
        "The coast guard said the trawler apparently lost power before it ran aground.",
        '"We believe the leak probably started in the eastern tank," plant manager Ivo Brandt '
        "said.",
    ],
    "assertion": [
        "Finance Minister Aro Lindqvist told reporters the budget gap had narrowed to 2.1 percent.",
        "According to the port authority, 42 vessels were waiting offshore on Monday.",
    ],
}


def check_offsets(text: str, statements: list[Statement]) -> None:
    for st in statements:
        for span in (st.source, st.cue, st.content, st.source_description):
            if span is not None:
                assert 0 <= span.start < span.end <= len(text)
                assert text[span.start : span.end] == span.text
        assert st.label in LABELS and abs(sum(st.scores.values()) - 1) < 1e-4
    assert statements == sorted(statements, key=Statement.sort_key)
    assert len({st.span_key() for st in statements}) == len(statements)


@pytest.mark.parametrize(("label", "text"), [(k, t) for k, ts in EXAMPLES.items() for t in ts])
def test_shipped_model_finds_the_statement_and_its_stance(nlp, label: str, text: str) -> None:
    statements = nlp.predict(text)
    check_offsets(text, statements)
    assert statements, f"no statement found in: {text}"
    assert any(st.label == label for st in statements), [s.to_dict() for s in statements]


def test_module_level_predict_and_to_dict() -> None:
    text = EXAMPLES["assertion"][0]
    (st,) = stance.predict(text)
    row = st.to_dict()
    assert set(row) == {
        "source",
        "cue",
        "content",
        "label",
        "score",
        "scores",
        "speaker",
        "source_description",
    }
    assert row["source"]["text"] == "Finance Minister Aro Lindqvist"
    assert row["speaker"]["name"] == "Finance Minister Aro Lindqvist"  # its own canonical mention
    assert row["cue"]["text"] == "told reporters"


def same(a: list[Statement], b: list[Statement]) -> bool:
    """Equal spans and labels; scores equal within 1e-4 (padding changes float rounding)."""
    return [(s.span_key(), s.label, s.speaker) for s in a] == [
        (s.span_key(), s.label, s.speaker) for s in b
    ] and all(abs(x.score - y.score) < 1e-4 for x, y in zip(a, b, strict=True))


def test_many_texts_equal_one_by_one(nlp) -> None:
    texts = [t for ts in EXAMPLES.values() for t in ts] + ["", "  "]
    together = nlp.predict(texts, batch_size=3)
    assert all(same(x, nlp.predict(t)) for x, t in zip(together, texts, strict=True))
    assert together[-1] == [] and together[-2] == []


def test_dataset_input(nlp) -> None:
    from datasets import Dataset

    texts = EXAMPLES["hedge"]
    from_dataset = nlp.predict(Dataset.from_dict({"text": texts}))
    assert all(same(x, y) for x, y in zip(from_dataset, nlp.predict(texts), strict=True))
    with pytest.raises(ValueError, match="no 'text' column"):
        nlp.predict(Dataset.from_dict({"body": texts}))


@pytest.mark.parametrize("bad", [42, None, 3.5, [b"bytes"], ["ok", 7]])
def test_non_strings_raise_type_error(nlp, bad) -> None:
    with pytest.raises(TypeError, match="int|NoneType|float|bytes"):
        nlp.predict(bad)


def test_empty_input(nlp) -> None:
    assert nlp.predict("") == [] and nlp.predict("   \n\t") == [] and nlp.predict([]) == []


def test_bad_batch_size(nlp) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        nlp.predict("text", batch_size=0)


def test_multi_paragraph_article_with_pronoun_source(nlp) -> None:
    text = (
        "Lena Marsh, the port authority's spokeswoman, spoke after the meeting.\n\n"
        '"The harbour will stay closed until Friday," she said. "After that, we expect the '
        'first ferries could sail again."'
    )
    statements = nlp.predict(text)
    check_offsets(text, statements)
    assert any(st.source is not None and st.source.text == "she" for st in statements)


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("Mr. Trump said the deal was a disaster.", "Mr. Trump"),
        (
            "Sen. Charles E. Grassley said the program was open to fraud.",
            "Sen. Charles E. Grassley",
        ),
        (
            "Mr. Vanderhoek and Mr. Okonkwo-Baines say the levy is too high.",
            "Mr. Vanderhoek and Mr. Okonkwo-Baines",
        ),
        pytest.param(
            "But Mr. Vanderhoek and Mr. Okonkwo-Baines say the levy is too high.",
            "Mr. Vanderhoek and Mr. Okonkwo-Baines",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known regression of the model trained with the non-answer part: after "
                "a leading 'But' it keeps 'Mr' alone (the model shipped before it, and this one "
                "without the 'But', read the source whole)",
            ),
        ),
    ],
)
def test_source_with_an_abbreviation_is_read_whole(nlp, text: str, source: str) -> None:
    # After "Mr." the tagger opens a second source (B I B: MERGE_ADJACENT_SOURCES joins the
    # pieces) or leaves a word piece untagged (SOURCE_GAP_MIN_PROBABILITY bridges the gap);
    # either way it kept the surer piece, "Mr", alone.
    (statement,) = nlp.predict(text)
    assert statement.source is not None and statement.source.text == source


@pytest.mark.parametrize(
    ("text", "source", "cue"),
    [
        (
            "The agency's spokesman, Tom Reyes, denied the report.",
            "The agency's spokesman",
            "denied",
        ),
        (
            "The council's chairman, Mary O'Brien, denied the report.",
            "The council's chairman",
            "denied",
        ),
    ],
)
def test_source_reads_past_a_possessive(nlp, text: str, source: str, cue: str | None) -> None:
    # Before an appositive name the tagger stopped the source at the possessor ("The agency",
    # "The council's"): SOURCE_POSSESSIVE_* takes the "'s" in and the words it governs. That a
    # pronoun's "'s" is left alone is checked by possessive_markers' doctest: the corpus-v12
    # model reads "He's said" with the "'s" inside the source itself, a tagger error the
    # challenge set counts ("pronoun with a contracted auxiliary").
    (statement,) = nlp.predict(text)
    assert statement.source is not None and statement.source.text == source
    if cue is not None:
        assert statement.cue.text == cue


@pytest.mark.parametrize(
    ("text", "source", "cue", "content"),
    [
        # "allege" is two word pieces ("all", "##ege") and the tagger opened a cue on each: the
        # first took "allege that Varga ..." as its content.
        (
            "Prosecutors allege that Varga diverted $3 million from the charity.",
            "Prosecutors",
            "allege",
            "Varga diverted $3 million from the charity",
        ),
        # The cue tagger read only "##pped" of "quipped", and the source took "qui" in.
        (
            '"The shelves will be full by Friday," the grocer quipped.',
            "the grocer",
            "quipped",
            "The shelves will be full by Friday",
        ),
    ],
)
def test_cue_split_into_word_pieces_is_read_whole(
    nlp, text: str, source: str, cue: str, content: str
) -> None:
    # WHOLE_WORD_CUES: a cue does not start or end inside a word.
    (statement,) = nlp.predict(text)
    assert statement.source is not None and statement.source.text == source
    assert (statement.cue.text, statement.content.text) == (cue, content)


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("The mayor separately said the library had closed for repairs.", "The mayor"),
        (
            "Union leader Teodor Varga publicly insisted that no deal had been reached.",
            "Union leader Teodor Varga",
        ),
    ],
)
def test_source_ends_before_an_adverb_next_to_its_cue(nlp, text: str, source: str) -> None:
    # The tagger read the adverb into the source ("The mayor separately"), which the guidelines
    # leave outside every span: SOURCE_WITHOUT_TRAILING_ADVERBS.
    (statement,) = nlp.predict(text)
    assert statement.source is not None and statement.source.text == source


@pytest.mark.parametrize(
    "text",
    ['Kovacs said: "Absolutely not."', 'Asked if he would resign, Kovacs said: "Absolutely not."'],
)
def test_short_quote_after_its_cue_is_found(nlp, text: str) -> None:
    # The tagger read "Absolutely not." as I tags without a B, a stray run too short to keep:
    # a run that starts right after a quote mark opens a content (QUOTE_OPENS_CONTENT).
    (statement,) = [st for st in nlp.predict(text) if st.cue.text == "said"]
    assert statement.source is not None and statement.source.text == "Kovacs"
    assert statement.content.text == "Absolutely not"


@pytest.mark.parametrize(
    ("doc_id", "phrase", "source", "cue"),
    [
        ("crt-9521", "Ms. Tavares said", "Ms. Tavares", "said"),
        ("pol-9902", "Ms. Ybarra wrote", "Ms. Ybarra", "wrote"),
        ("sci-0021", "according to hospital records", "hospital records", "according to"),
    ],
)
def test_source_opened_without_its_first_words_grows_back(
    nlp, corpus, doc_id: str, phrase: str, source: str, cue: str
) -> None:
    # Validation texts where the tagger opened the source inside it, on I tags ("Tavares",
    # "Ybarra", "records"): the words before it are taken in (SOURCE_HEAD_MIN_PROBABILITY).
    # Found by decoding validation with the rule off and on; a retrained model that reads
    # these sources whole needs cases found the same way.
    text = next(d["text"] for d in corpus if d["id"] == doc_id)
    cue_start = text.index(phrase) + phrase.index(cue)
    (statement,) = [st for st in nlp.predict(text) if st.cue.start == cue_start]
    assert statement.source is not None and statement.source.text == source


def test_spans_start_and_end_on_word_edges(nlp, corpus) -> None:
    # A validation text where the tagger opened a source on the word piece after the hyphen of
    # "Mine-clearing": spans are widened over hyphens inside a word (WHOLE_HYPHENATED_WORDS).
    text = next(d["text"] for d in corpus if d["id"] == "con-2060")

    def in_word(i: int) -> bool:  # a letter or digit, or a hyphen between two
        if not 0 <= i < len(text):
            return False
        if text[i].isalnum():
            return True
        return text[i] == "-" and text[i - 1 : i].isalnum() and text[i + 1 : i + 2].isalnum()

    statements = nlp.predict(text)
    (adding,) = [st for st in statements if st.cue.text == "adding"]
    assert adding.source is not None and adding.source.text == "Mine-clearing charity Safe Ground"
    for span in (sp for st in statements for sp in (st.source, st.cue, st.content) if sp):
        assert not (in_word(span.start - 1) and in_word(span.start)), span
        assert not (in_word(span.end - 1) and in_word(span.end)), span


@pytest.mark.parametrize(
    "size",
    [
        200_000,
        # 450 s on this project's 2-core machine, a third of the suite: `pytest -m slow` runs it.
        pytest.param(1_000_000, marks=pytest.mark.slow),
    ],
)
def test_long_text_finds_statements_everywhere(nlp, size: int) -> None:
    import resource

    paragraph = (
        "The council met on Monday. Deputy mayor Ruth Abara said the bridge could reopen "
        "in May. The agency denied that the contract had been rigged.\n"
    )
    text = paragraph * (size // len(paragraph) + 1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    statements = nlp.predict(text, batch_size=64)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    check_offsets(text, statements)
    assert len(text) >= size
    assert statements[-1].content.start > len(text) * 0.99
    assert len(statements) >= 0.9 * 2 * text.count("Ruth Abara")
    assert grown_mb < 2048


def test_curly_quotes_read_as_straight_ones(nlp) -> None:
    straight = (
        '"The bridge is safe," said engineer Ola Brandt. "We\'ll reopen it on Friday," '
        "she added, though she doubted the rail link could follow."
    )
    curly = (
        straight.replace('"The', "“The").replace('safe,"', "safe,”")
        .replace('"We\'ll', "“We’ll").replace('Friday,"', "Friday,”")
    )  # fmt: skip
    assert len(curly) == len(straight) and curly.count("“") == 2

    def read(statements) -> list[tuple]:
        spans = ("source", "cue", "content", "speaker")
        return [
            (s.label, round(s.score, 4), *[(x.start, x.end) if x else None for x in
                                             (getattr(s, name) for name in spans)])
            for s in statements
        ]  # fmt: skip

    found = read(nlp.predict(straight))
    assert len(found) >= 2 and found == read(nlp.predict(curly))


def test_two_apostrophe_quotes_read_as_double_ones(nlp) -> None:
    # Some papers quote with two apostrophes; the model reads them as a double quote mark
    # (stance.tokenization.normalize_quotes), and every span still points into the text given.
    straight = (
        '"The bridge is safe," said engineer Ola Brandt. "We will reopen it to traffic on Friday."'
    )
    doubled = straight.replace('"', "''")
    assert len(doubled) == len(straight) + 4

    def read(text: str) -> list[tuple]:
        statements = nlp.predict(text)
        check_offsets(text, statements)
        return [(s.label, s.source and s.source.text, s.cue.text, s.content.text)
                for s in statements]  # fmt: skip

    found = read(straight)
    assert len(found) == 2 and found == read(doubled)
    assert [content for *_, content in found] == [
        "The bridge is safe",
        "We will reopen it to traffic on Friday",
    ]


def test_transcript_turns_and_embedded_posts(nlp) -> None:
    # A transcript turn's cue is its colon, an embedded post's is the dash before its author
    # (GUIDELINES.md, "Decisions from the v8 batch"); neither content runs into the paragraph
    # above it.
    text = (
        "The exchange on the budget ran as follows:\n"
        "MORVAN: Will you raise the fuel levy next year?\n"
        "OKONJO: No. The levy stays where it is, and it will not rise while I am minister.\n"
        "Hours later the ferry operator posted on its own account.\n"
        "The ferry will run again on Monday, and fares will stay frozen until June.\n"
        "— Kaya Lindqvist (@kayalind) March 3, 2026"
    )
    statements = nlp.predict(text)
    check_offsets(text, statements)
    found = {(st.source.text if st.source else None, st.cue.text): st for st in statements}
    assert found[("MORVAN", ":")].label == "speculation"
    assert found[("OKONJO", ":")].label == "denial"
    post = found[("Kaya Lindqvist", "—")]
    assert post.content.text.startswith("The ferry will run again on Monday")
    assert all("\n" not in st.content.text for st in statements)


@pytest.mark.parametrize(
    ("text", "source", "description"),
    [
        (
            "Lena Marsh, a spokeswoman for the port authority, said on Tuesday that the port "
            "would stay closed.",
            "Lena Marsh",
            "a spokeswoman for the port authority",
        ),
        (
            '"We will not sign this deal," said Tomas Brandt, who leads the dockworkers\' union.',
            "Tomas Brandt",
            "who leads the dockworkers' union",
        ),
        (
            "The company, which runs the terminal, denied that any cargo had been lost.",
            "The company",
            "which runs the terminal",
        ),
        ("Sen. Dana Whitlock (D-Ore.) said the bill was dead.", "Sen. Dana Whitlock", "(D-Ore.)"),
        # A participle phrase says what the source did, not who the source is.
        (
            "Lena Marsh, speaking at a news conference in Oslo, said the port would stay closed.",
            "Lena Marsh",
            None,
        ),
        (
            "Port director Lena Marsh said the port would stay closed.",
            "Port director Lena Marsh",
            None,
        ),
    ],
)
def test_source_description_is_given_apart_from_the_source(
    nlp, text: str, source: str, description: str | None
) -> None:
    (st,) = nlp.predict(text)
    check_offsets(text, [st])
    assert st.source is not None and st.source.text == source
    found = st.source_description.text if st.source_description is not None else None
    assert found == description
    assert st.to_dict()["source_description"] == (
        None if description is None else st.source_description.to_dict()
    )
