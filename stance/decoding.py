"""Backend-independent inference: windows, token-packed batches and vectorised decoding.

Both backends (torch and ONNX Runtime) run the same :class:`Predictor`; they differ only in the
three forward passes of the :class:`Backend` protocol. Everything between those passes (which
cues to read, which spans to keep, how confident they are) is numpy over whole batches, so the
two backends cannot drift apart and no per-token Python loop runs.

This module imports neither torch nor transformers.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import dataclasses
import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, Protocol

import numpy as np

from stance.corpus import QUOTE_CHARS
from stance.descriptions import with_source_descriptions
from stance.quotes import open_quote_before
from stance.speakers import CALENDAR_WORDS, DocumentSpeakers, name_runs, whole_name
from stance.tokenization import normalize_quotes
from stance.types import CUE_TAGS, MENTION_TAGS, ROLE_TAGS, Span, Statement
from stance.windows import Window, char_to_tokens, make_windows, window_at

_O = 0
_B_CUE, _I_CUE = CUE_TAGS.index("B-CUE"), CUE_TAGS.index("I-CUE")
_B_SRC, _I_SRC = ROLE_TAGS.index("B-SRC"), ROLE_TAGS.index("I-SRC")
_B_CON, _I_CON = ROLE_TAGS.index("B-CON"), ROLE_TAGS.index("I-CON")
_B_MEN, _I_MEN = MENTION_TAGS.index("B-MEN"), MENTION_TAGS.index("I-MEN")

#: Stray I-CON runs shorter than this are dropped (chosen on validation: content token-overlap F1
#: 0.752 keeping all, 0.869 dropping runs under 4 tokens, 0.786 dropping every stray run).
CONTENT_MIN_STRAY_TOKENS = 4
#: A stray I-CON run that starts right after a double quote mark opens a content, however short:
#: the guidelines start a quoted content at the first word inside its quote mark. 'Kovacs said:
#: "Absolutely not."' gave no statement: the tagger read "Absolutely not." as I tags without a
#: B (three tokens, under CONTENT_MIN_STRAY_TOKENS). Only an opening mark counts
#: (:func:`opening_quotes`), and only one that follows no content: a partial quote inside a
#: content opens nothing. Swept on validation (training/sweep_decoding.py,
#: reports/quote-opens-content-sweep.md): no statement there changes (its quotes open on a B);
#: on because a quote that opens right after its cue is where a content starts, by the
#: guidelines. On PolNeAR dev, read for error analysis, 4 statements change and content overlap
#: F1 moves 0.6413 -> 0.6415.
QUOTE_OPENS_CONTENT = True
#: Content spans whose confidence is lower are dropped. The confidence is the mean over the
#: span's tokens of P(B-CON) + P(I-CON). Chosen on validation for the v2 model, together with
#: MERGE_ADJACENT: statement F1 0.819 / content overlap F1 0.881 as the v1 decoder had it
#: (threshold 0.6, no merging), 0.829 / 0.893 merging, then 0.832 / 0.898 at 0.7, 0.844 / 0.912
#: at 0.8, 0.840 / 0.907 at 0.85, 0.820 / 0.888 at 0.9. The test split was not used.
#: Re-chosen for the model trained with the v6 batch (corpus v5) with the other constants
#: (training/sweep_decoding.py, reports/decoding-sweep.md): 0.75, cues no longer merged.
CONTENT_MIN_CONFIDENCE = 0.75
#: Join a content span with one that starts right where it ends (a B tag directly after the
#: span): the v2 model often splits a long content into such fragments ("the" + the rest).
MERGE_ADJACENT = True
#: Gaps of up to this many tokens inside a content are bridged (:func:`bridge_gaps`) when
#: every gap token has P(B-CON) + P(I-CON) of at least CONTENT_GAP_MIN_PROBABILITY. Error
#: analysis of real news showed contents cut to a piece (median 5 words predicted where the
#: gold had 25); chosen on validation (torch; statement P / R / F1, content overlap F1): off
#: 0.835 / 0.849 / 0.842, 0.910; gap 1 at 0.05 0.852, 0.1 0.852, 0.2 0.851, 0.25 0.855,
#: 0.3 0.869 / 0.847 / 0.858, 0.926, 0.35 0.856, 0.4 0.851; gaps 2–6 at 0.3 0.857, 0.925;
#: gaps 2–6 at 0.05–0.1 0.852–0.854; gap 2 at 0.5 0.843. With it on, CONTENT_MIN_CONFIDENCE
#: (0.7 0.849, 0.75 0.857, 0.85 0.851) and CONTENT_MIN_STRAY_TOKENS (3 and 6: 0.856) stay.
#: Re-chosen for the model trained on corpus v4 (training/sweep_decoding.py,
#: reports/decoding-sweep.md): 0.2, with CUE_MIN_CONFIDENCE below.
CONTENT_GAP_TOKENS = 1
CONTENT_GAP_MIN_PROBABILITY = 0.2
#: Cue spans whose confidence (mean over the span's tokens of P(B-CUE) + P(I-CUE)) is lower
#: are dropped: the end-to-end errors were more false statements than missed ones (test
#: precision 0.789, recall 0.840 without it). Chosen on validation for the shipped model
#: (torch; statement P / R / F1, content overlap F1): off 0.816 / 0.854 / 0.835, 0.906; 0.6
#: 0.819 / 0.852 / 0.835, 0.906; 0.65 0.823 / 0.851 / 0.836, 0.906; 0.7 0.830 / 0.851 /
#: 0.840, 0.909; 0.75 0.835 / 0.849 / 0.842, 0.910; 0.8 0.840 / 0.838 / 0.839, 0.906; 0.9
#: 0.852 / 0.822 / 0.837, 0.901. CONTENT_MIN_CONFIDENCE re-swept for this model first
#: (statement F1 0.824 at 0.7, 0.830 at 0.75, 0.835 at 0.8, 0.832 at 0.85, 0.818 at 0.9)
#: stayed at 0.8. Re-chosen for the model trained on corpus v4 with the other constants
#: (training/sweep_decoding.py, reports/decoding-sweep.md): 0.65.
CUE_MIN_CONFIDENCE = 0.65
#: Join a cue span with one that starts right where it ends: the v3 model sometimes tags "has
#: said" as two cues, each read with its own contents ("has" and "have" are among the
#: validation cues that match no statement, reports/error-analysis-v6.md). Chosen on
#: validation with the thresholds above re-swept around it (training/sweep_decoding.py,
#: reports/decoding-sweep.md): mean statement F1 as written and packed 0.849 without, 0.855
#: with; no threshold changed. Off for the model trained with the v6 batch: the same sweep, re-run,
#: put merging and not merging within 0.001 of each other, and not merging first.
MERGE_ADJACENT_CUES = False
#: A cue tag B on a word piece that continues a word ("##ege" of "allege", "all" + "##ege") and
#: directly follows a cue span is read as I: a span does not start inside a word. The tagger
#: read "Prosecutors allege that X" as two cues, "all" and "ege", and the first took "ege that
#: X", widened to "allege that X", as its content: a statement whose content holds its own cue.
#: A cue span that starts or ends inside a word then grows to the word's edges
#: (:func:`whole_words`): the cue tagger read only "##pped" of "quipped" ("qui", "##pped") and
#: the source took "qui" in ("the grocer quipped").
#: Swept on validation (training/sweep_decoding.py, reports/whole-word-cues-sweep.md):
#: statement F1 0.8737 -> 0.8746 as written and 0.8709 -> 0.8718 packed, sources unchanged;
#: under MIN_GAIN, on as WHOLE_WORD_STARTS is, because a cue that starts or ends inside a word
#: is cut wrong by construction. On PolNeAR dev, read for error analysis, 9 statements change
#: ("Apple" + "contended", not "contended" + "contended that Ireland ..."; "The court's
#: decision" became "The court") and source / cue / content overlap F1 move 0.6677 -> 0.6678,
#: 0.6824 -> 0.6822, 0.6413 -> 0.6413.
WHOLE_WORD_CUES = True
#: Join a cue span that starts with one of AUXILIARY_CUE_WORDS to the cue span right after it: the
#: guidelines make the whole verb group one cue ("has repeatedly said", "had reported"), so a
#: span that opens on an auxiliary and stops where another cue starts is one verb group cut in
#: two, and each half would otherwise be read with contents of its own ("inspectors had
#: reported that X" came out as cue "had" with content "that X" plus cue "reported" with content
#: "X"). Unlike MERGE_ADJACENT_CUES it leaves a verb and the reporting noun after it apart
#: ("denied [reports that X]": two cues, as the guidelines want). Chosen on validation
#: (training/sweep_decoding.py --grid, reports/auxiliary-cues-sweep.md) and checked on five
#: other trained models, where it raised mean statement F1 with each
#: (reports/auxiliary-cues-other-models/).
JOIN_AUXILIARY_CUES = True
AUXILIARY_CUE_WORDS = (
    "is are am was were be been being has have had having do does did will would shall "
    "should can could may might must"
).split()
#: Join two cue spans with only "nor" or "or" between them into one cue, and take a "neither"
#: right before the first into it: the guidelines make a non-answer one cue ("neither confirmed
#: nor denied", "declined to confirm or deny", a speculation), and the tagger cut it into pieces
#: ("confirmed" + "denied"), each then read with the content as a statement of its own, the
#: "denied" one a denial: for a fact-checker the worst reading of a non-denial. The join runs
#: after the confidence check, which reads the pieces the tagger marked. With the corpus-v8
#: model, whose stance head reads even the whole "neither confirmed nor denied" as a denial, the
#: join only dropped the spurious "confirmed" statement (challenge set, non-answers' cues right:
#: 1/3 -> 2/3, labels 1/3 either way); with the seed-14 model trained on the v11 batch
#: (drafts/v11-*.txt), which labels most non-answers speculation, cues right 2/6 -> 4/6 and
#: labels 5/6 either way (reports/corpus-v11-trial.md). Swept on validation for the corpus-v12
#: model (training/sweep_decoding.py --grid, reports/join-coordinated-cues-sweep.md): nothing
#: there changes (mean statement F1 0.8745 either way), and on the challenge set it gets one
#: more non-answer cue right (1/4 -> 2/4; labels 1/4 either way:
#: reports/join-coordinated-cues-challenge.md). On, as the source tail rule is, below MIN_GAIN:
#: no setting loses, and a non-answer cut into a "confirmed" and a "denied" statement is wrong
#: by construction.
JOIN_COORDINATED_CUES = True
#: Words that coordinate two cue verbs into one cue (JOIN_COORDINATED_CUES).
COORDINATING_CUE_WORDS = ("nor", "or")
#: Words that open a coordinated cue ("neither confirmed nor denied").
CORRELATIVE_CUE_WORDS = ("neither",)
#: Words a content does not end on: prepositions, articles and conjunctions. A content the
#: role tagger ends on one ("... a valve that was flushed on" before "Tuesday") is extended
#: over the next token while that token's P(B-CON) + P(I-CON) is at least
#: CONTENT_TAIL_MIN_PROBABILITY (at most CONTENT_TAIL_TOKENS tokens; above 1: off). Chosen on
#: validation (training/sweep_decoding.py --grid, reports/content-tail-sweep.md): 0.1, 0.2 and
#: 0.3 tie, the rule takes the first; off scores lowest but one.
DANGLING_WORDS = (
    "of in on at to for from with by about into over under after before between than as "
    "through during against since until without within the a an and or but nor whether if "
    "because its their our this these those every each"
).split()
CONTENT_TAIL_TOKENS = 2
CONTENT_TAIL_MIN_PROBABILITY = 0.1
#: A source does not end on a :data:`DANGLING_WORDS` word either (1 of corpus v7's 9,868 gold
#: sources does): the tagger reads "The regional water authority on" before "Thursday denied".
#: Such a source first grows over the next token while its P(B-SRC) + P(I-SRC) is at least
#: SOURCE_TAIL_MIN_PROBABILITY (at most SOURCE_TAIL_TOKENS; above 1: off), so "residents of" +
#: "the old quarter" is completed where the tagger is unsure of the rest, but never over a day
#: or month name (wire copy's "The ministry on Tuesday said"), and whatever still dangles is
#: then trimmed off (SOURCE_TAIL_TRIM), never emptying the source. Swept on validation
#: (training/sweep_decoding.py --objective source, reports/source-tail-sweep.md): source exact
#: F1 0.9154 off, 0.9166 with growing at 0.1 or 0.3 (trimmed or not), overlap F1 unchanged;
#: trimming alone loses overlap (0.9586 -> 0.9574: it cuts "residents of" short of "the old
#: quarter"). The gain is under MIN_GAIN; the rule is on, as the content head rule is, because
#: no grown setting loses and a source ending on "on" is cut wrong by construction.
SOURCE_TAIL_TOKENS = 2
SOURCE_TAIL_MIN_PROBABILITY = 0.1
SOURCE_TAIL_TRIM = True
#: Join a source span with one that starts right where it ends (a B tag directly after the
#: span), as MERGE_ADJACENT does for contents: after an abbreviation's period the tagger may
#: open a new source ("Mr." + "Trump said": B I B), and the surer piece, the title "Mr", was
#: kept alone. Swept on validation (training/sweep_decoding.py --objective source,
#: reports/source-merge-sweep.md): source exact F1 0.9274 off, 0.9308 on, overlap 0.9578 and
#: 0.9589, statement F1 unchanged. The gain is under MIN_GAIN; the rule is on, as the source
#: tail rule is, because it loses nothing and a statement has one source, so two abutting
#: source pieces are one source cut wrong by construction.
MERGE_ADJACENT_SOURCES = True
#: Gaps of up to SOURCE_GAP_TOKENS tokens inside a source are bridged (:func:`bridge_gaps`, as
#: for contents) when every gap token has P(B-SRC) + P(I-SRC) of at least
#: SOURCE_GAP_MIN_PROBABILITY (above 1: off). In real news the tagger left "Grass" of
#: "Mr. Grassley and Mr. Leahy say" at O 0.50 against I 0.45, and the surer piece, "Mr.", was
#: kept as the source. Swept on validation with MERGE_ADJACENT_SOURCES on
#: (training/sweep_decoding.py --objective source, reports/source-gap-sweep.md): source exact
#: F1 0.9308 off, 0.9364 at 0.2 (0.9353 at 0.1, 0.9364 at 0.3, 0.9342 at 0.4), overlap F1
#: 0.9589 off, 0.9612 at 0.2; 2 tokens change nothing more; statement F1 unchanged.
SOURCE_GAP_TOKENS = 1
SOURCE_GAP_MIN_PROBABILITY = 0.2
#: A source the role tagger opens without a B tag (a run of I tags after an O) is grown back
#: over the token before it while that token's P(B-SRC) + P(I-SRC) is at least
#: SOURCE_HEAD_MIN_PROBABILITY (at most SOURCE_HEAD_TOKENS tokens; above 1: off), as contents
#: are (CONTENT_HEAD_*), before the surest source is chosen: "the minister" came out as
#: "minister" ("the" at B 0.24 against O 0.59), "Ms. Tavares" as "Tavares". Swept on validation
#: (training/sweep_decoding.py --objective source, reports/source-head-sweep.md, run before
#: WHOLE_HYPHENATED_WORDS was on): source exact F1 0.9364 off, 0.9448 at 0.1 (0.9437 at 0.2,
#: 0.9403 at 0.3; 0.9426 at 0.1 with 2 tokens), overlap 0.9612 and 0.9617, statement F1
#: unchanged.
SOURCE_HEAD_TOKENS = 4
SOURCE_HEAD_MIN_PROBABILITY = 0.1
#: A source that stops at a possessive "'s" ("The agency" + "'s spokesman, Tom Reyes, denied",
#: "The council's" + " chairman, Mary O'Brien, denied") names the possessor, not the source: a
#: noun before "'s" is not the head of its phrase. Such a source takes in the "'s" and grows
#: over the tokens after it while their P(B-SRC) + P(I-SRC) is at least
#: SOURCE_POSSESSIVE_MIN_PROBABILITY, at most SOURCE_POSSESSIVE_TOKENS of them (0: off); when
#: no word after the "'s" is taken in, the source stays as it was. Two readings of "'s" are
#: left alone: after a pronoun it is "is" or "has" ("It" + "'s worth noting", "He's said"), and
#: a grown source that would end right on the cue names the cue's possessor, which is the
#: source of a reporting noun (section 2 of the guidelines: "her claim that", source "her"):
#: "Tulsa police" + "'s earlier account" stays "Tulsa police". Swept on validation
#: (training/sweep_decoding.py --objective source, reports/source-possessive-sweep.md): no
#: source there changes (the tagger reads validation's possessive sources whole), so the rule
#: neither gains nor loses there; it is on, as the source tail rule is, because a source that
#: ends on a possessor is cut wrong by construction. On PolNeAR dev, read for error analysis,
#: its predictions are unchanged.
SOURCE_POSSESSIVE_TOKENS = 3
SOURCE_POSSESSIVE_MIN_PROBABILITY = 0.1
#: A cue the role tagger gives no source at all gets one where the tagger is least unsure: the
#: token with the highest P(B-SRC) opens a source when that is at least
#: SOURCE_FALLBACK_MIN_PROBABILITY (above 1: off), and the source runs on over the tokens after
#: it whose P(B-SRC) + P(I-SRC) is at least SOURCE_HEAD_MIN_PROBABILITY, at most
#: SOURCE_FALLBACK_TOKENS of them. An adverb between source and cue left the tagger under its
#: argmax: "The company firmly denied the allegations" read "The" at P(B-SRC) 0.36 and
#: "company" at P(I-SRC) 0.17, and the statement came out with no source. Off: swept on
#: validation (training/sweep_decoding.py --objective source, reports/source-fallback-sweep.md)
#: it loses at every threshold tried (source exact F1 0.9454 off, 0.9432 at 0.2 and 0.3, 0.9438
#: at 0.4). Of the three validation statements it gave a source at 0.4, one is agentless ("It
#: is believed", given "ministry") and two are spurious statements (cues "not", "claims").
#: Kept to be swept again for a retrained model.
SOURCE_FALLBACK_MIN_PROBABILITY = 2.0
SOURCE_FALLBACK_TOKENS = 8
#: Word pieces of the possessive clitic, as the tokenizer splits "council's": "'" or "’", "s".
POSSESSIVE_PIECES = ("'", "’", "s")
#: Words whose "'s" is a contraction of "is" or "has", never a possessive.
CONTRACTING_WORDS = ("it", "he", "she", "that", "there", "here", "what", "who", "where", "how")
#: A content the role tagger opens without a B tag (a run of I tags after an O) is grown back over
#: the token before it while that token's P(B-CON) + P(I-CON) is at least
#: CONTENT_HEAD_MIN_PROBABILITY (at most CONTENT_HEAD_TOKENS tokens; above 1: off). The argmax
#: cuts the first word of a content whose B the tagger is unsure of: in '"Our future is at
#: stake," Vasquez said. "Fairness is at stake. …"' the second content opened at "is". Swept on
#: validation (training/sweep_decoding.py --grid, reports/content-head-sweep.md): mean statement
#: F1 0.8597 off, 0.8602 at 0.1 (1 or 2 tokens alike; 0.2 and above change nothing). The gain
#: is under the sweep's MIN_GAIN, like the tail rule's over strays; it is on because no setting
#: loses and a content opened without its B is cut by construction (the guidelines start a
#: content at its first word). The content's confidence is read without the grown tokens.
CONTENT_HEAD_TOKENS = 2
CONTENT_HEAD_MIN_PROBABILITY = 0.1
#: The tail rule may also grow over a stray content run dropped by CONTENT_MIN_STRAY_TOKENS
#: ("... into the Rell river by the" + a stray "weekend": the tagger gave "the" 0.17 and
#: "weekend" 0.81), never into a content that is kept. On validation it ties with off
#: (reports/content-tail-strays-sweep.md); it is on for cuts like this one in the README example.
CONTENT_TAIL_OVER_STRAYS = True
#: Join two contents of one cue that got the same stance when at most this many words, no
#: sentence end and neither the cue nor its source lie between them (-1: off). The guidelines
#: split conjoined clauses only when their stances differ, and in the corpus 3 of the 305 pairs
#: of one cue's contents within one sentence share a label; a same-stance split is a cut content
#: ("said X" + ", and that " + "Y"; a partial quote inside reported speech, where the tagger
#: stops at the quote mark: "it was" + "not aware of any fault" in the ramp"). The joined
#: content is classified again. Chosen on validation with CONTENT_MIN_SIBLING_WORDS
#: (training/sweep_decoding.py --grid, reports/content-joins-sweep.md; mean statement F1 as
#: written and packed, with that constant at 4 / off): off 0.8613 / 0.8594, 0 0.8615 / 0.8602,
#: 2-4 0.8650 / 0.8637, 6-12 0.8656 / 0.8642.
MERGE_SAME_STANCE_WORDS = 6
#: After joining, a content of fewer words than this is dropped when its cue has a content at
#: least this long and it is not a whole quoted passage (1: off). Our guidelines give one cue
#: several contents only for a quote interrupted by its cue and for conjoined clauses of
#: different stance, so a short sibling is almost never right unless it is a whole quote part
#: ('"Hopefully," he said, "..."'): 3 of the corpus's 997 contents that share a cue have under 4
#: words. Error analysis of real news (PolNeAR dev) found the model leaving scraps beside a cue's
#: real content ("I" cut from a quote, "unmistakably", a sentence start in the next paragraph).
#: Chosen on validation with MERGE_SAME_STANCE_WORDS (reports/content-joins-sweep.md; mean
#: statement F1, that constant off): off 0.8594, 2 0.8596, 3 0.8607, 4 0.8613, 5 0.8595, 6
#: 0.8577; together 0.8656 (the 5 contents it drops on validation alone match no gold
#: statement). PolNeAR was not used to choose either constant.
CONTENT_MIN_SIBLING_WORDS = 4
#: Keep one statement per content span (-1: off). The guidelines never give one content two
#: statements (1 of 9,383 corpus statements shares its content span), but the tagger sometimes
#: reads one content under two cues: fragments of one cue ("told the Halden" + "Court",
#: "posted on social media" + "saying"), or a second cue nearby. Cues at most this many words
#: apart are joined into one cue; of cues further apart, the one nearest the content is kept.
#: Chosen on validation: mean statement F1 0.8696 -> 0.8735, 5 to 12 words alike, 0 to 3 words
#: 0.8728 (reports/one-statement-per-content-sweep.md); cue exact F1 is lower at 10 words.
ONE_STATEMENT_PER_CONTENT_GAP_WORDS = 5
#: Cut a content that runs over a paragraph break to the paragraph nearest its cue: in the
#: corpus no span crosses one (a quote going on in a new paragraph is a statement of its own,
#: GUIDELINES.md), but the tagger can run an embedded post's content back into the paragraph
#: above its "— Name (@handle)" line.
CONTENT_WITHIN_PARAGRAPH = True
#: Drop a statement whose content lies before its cue in an earlier paragraph, unless the cue
#: opens its paragraph. In the corpus the only such statements are posts and reaction quotes
#: over a "— Name" line (34 of 1,547 contents before their cue), and PolNeAR dev has one
#: ("According to" opening a paragraph); the tagger, though, can read a quote of the paragraph
#: above as a second content of a cue whose own quote it has already found ('"The plan is
#: dead," said Rep. Ana Ruiz' taking the previous speaker's quote).
CONTENT_BEFORE_CUE_IN_ITS_PARAGRAPH = True
#: Grow a content that stops right before an opening quote mark through that quoted passage,
#: when it closes in the same paragraph within this many words (-1: off). The guidelines keep
#: a partial quote inside its reported clause ('said the ruling was a "huge win for voters"'),
#: but the tagger can stop at the mark: in PolNeAR dev 31 of 33 contents that end so are cut
#: short of their gold content. Not after naming cues (:data:`NAMING_CUE_WORDS`).
PARTIAL_QUOTE_MAX_WORDS = 30
#: Grow a content that starts inside a quoted passage back to the passage's opening mark, when
#: at most this many words lie between and no statement's span does (-1: off). The guidelines
#: give a quote part one content from its opening mark, but the tagger can leave out a lead-in
#: such as '"As a city, ' or a first sentence; in the corpus the words between an opening mark
#: and a content inside the quote always belong to another statement, or are a lone "and"
#: (the rule changes none of the 11,201 gold statements). Chosen on validation by content span
#: F1 (`python training/sweep_decoding.py --objective content --min-gain 0 --grid
#: '{"QUOTE_HEAD_MAX_WORDS": [-1, 8, 15, 30]}'`, reports/quote-head-sweep.md) with no minimum
#: gain, as it only moves content starts: each of its 5 changes there made a content the gold
#: one (content exact F1 0.8567 -> 0.8615).
QUOTE_HEAD_MAX_WORDS = 30
_CONJUNCTIONS = frozenset({"and", "but", "or", "so", "yet", "nor"})
#: Cues whose quoted words after the object are the source's verdict on it, not part of the
#: content: 'called the report "a fabrication"' has the content `the report` (GUIDELINES.md);
#: all but 15 of the corpus's 121 contents that end before an opening quote mark have them.
NAMING_CUE_WORDS = frozenset(
    {"call", "calls", "called", "calling", "brand", "brands", "branded", "branding", "label",
     "labels", "labelled", "labeled", "labelling", "labeling", "term", "terms", "termed",
     "dub", "dubs", "dubbed", "dubbing"}
)  # fmt: skip
#: Move a span that starts inside a contracted or possessive word ("Nervo|'s conclusion",
#: "didn’|t want") to a word boundary (:func:`whole_word_starts`). The tagger reads word
#: pieces, and an apostrophe splits "it’s" into three; on PolNeAR dev 15 predicted spans
#: started on the piece after one, giving cues such as "s conclusion".
WHOLE_WORD_STARTS = True
#: A content that starts inside its own cue (after the cue's first character) starts after it
#: instead: "told him" + "him the nominee had paid no tax" -> "the nominee had paid no tax",
#: "have proposed" + "proposed jointly owned drones" -> "jointly owned drones". Swept on
#: validation (training/sweep_decoding.py, reports/content-after-its-cue-sweep.md): statement,
#: source and content F1 unchanged (one content there moves). On PolNeAR dev, read for error
#: analysis, three contents move and content exact F1 goes 0.2753 -> 0.2763. Dropping instead
#: every statement whose content starts inside *another* statement's cue ("It's understood
#: the talks have stalled" also came out as cue "It", content "understood the talks have
#: stalled") was tried and not kept (reports/content-inside-other-cue-sweep.md, run while it was
#: on, as NO_CONTENT_INSIDE_A_CUE): on validation it dropped three statements gold has
#: (their contents started inside an over-long cue), source exact F1 0.9454 -> 0.9448.
CONTENT_AFTER_ITS_CUE = True
#: A source that ends right before its cue on an adverb ("The mayor separately" + "said",
#: "Union leader Teodor Varga publicly" + "insisted") ends before it instead: adverbs are
#: outside every span (GUIDELINES.md), and the tagger, trained on a corpus that almost never
#: puts a word between a source and its cue, read them into the source. An adverb is one of
#: :data:`SOURCE_END_ADVERBS` or a lowercase word ending in "ly" that is not one of
#: :data:`LY_NOUNS` ("the Smith family said" keeps its source). Swept on validation
#: (training/sweep_decoding.py): no change as written (reports/source-trailing-adverbs-sweep.md:
#: validation almost never has such a word), and with a word put between every source and its
#: cue where one fits (``--inserted-words``, reports/source-trailing-adverbs-inserted-sweep.md)
#: source exact F1 0.616 -> 0.846. On PolNeAR dev, read for error analysis, 18 sources lose
#: an adverb ("Putney later" + "told CNN") and source exact F1 goes 0.6023 -> 0.6100.
SOURCE_WITHOUT_TRAILING_ADVERBS = True
#: A source that ends on a pronoun's contracted auxiliary right before its cue ("He's" +
#: "said", "They've" + "told colleagues") gives the auxiliary to the cue: "He" + "'s said", as
#: the guidelines split it (the auxiliary is part of the cue's verb group). Which contractions
#: count, after which words: :data:`CONTRACTED_AUXILIARIES`. The corpus-v12 tagger reads
#: "He's" whole into the source: the challenge set's "pronoun with a contracted auxiliary" cases
#: had 2/4 sources right, 4/4 with the rule. Swept on validation
#: (training/sweep_decoding.py --objective source, reports/contracted-auxiliary-sweep.md): no
#: figure moves, validation has no such source; on, as the source tail rule is, because such a
#: source is cut wrong by construction.
CONTRACTED_AUXILIARY_TO_CUE = True
#: Contracted auxiliaries (after the apostrophe) and the words they are never a possessive
#: after: "'s" ("is"/"has") after :data:`CONTRACTING_WORDS`, "'ve" and "'d" after pronouns.
CONTRACTED_AUXILIARIES: dict[str, frozenset[str]] = {
    "s": frozenset(CONTRACTING_WORDS),
    "ve": frozenset({"i", "you", "we", "they", "who"}),
    "d": frozenset({"i", "you", "we", "they", "he", "she", "it", "who"}),
}
SOURCE_END_ADVERBS = frozenset(
    "also later earlier again separately previously yesterday meanwhile however too still "
    "then now once already often never".split()
)
#: Words that grade an adverb ("almost universally", "very aptly"): left out with it.
DEGREE_WORDS = frozenset("very almost most more so quite rather less fairly much far".split())
LY_NOUNS = frozenset(
    "family assembly ally rally monopoly supply reply anomaly belly bully fly holly lily tally "
    "gully jelly elderly weekly daily monthly quarterly homily butterfly italy".split()
)
#: Spans are widened over a hyphen inside a word as over its letters (:func:`char_span`): the
#: tagger can open a span on the word piece after one ("Mine-|clearing charity Safe Ground"
#: came out as "-clearing charity Safe Ground"). Swept on validation
#: (training/sweep_decoding.py, reports/hyphenated-words-sweep.md): source exact F1 0.9364 off,
#: 0.9369 on, contents and statements unchanged. Under MIN_GAIN; on because a span that starts
#: or ends inside a word is cut wrong by construction, as WHOLE_WORD_STARTS says.
WHOLE_HYPHENATED_WORDS = True
_APOSTROPHES = "'’"
#: A content still ending on a dangling word (:data:`DANGLING_WORDS`) with a word right after
#: it ("cash for him on" + " three of the dates in question.") runs on to the next punctuation
#: mark, when that is at most this many words away and no cue lies between (-1: off). The
#: content tail rule grows only over likely tokens; these cuts stop before unlikely ones. In
#: the validation predictions 7 contents ended so, all cut short.
DANGLING_CONTENT_RUN_WORDS = 12
#: A content before its cue that stops at most this many words short of the punctuation mark
#: its source or cue follows ("It is unclear whether the authority will order more" + " tests,
#: she said") runs on to that mark (-1: off). In the corpus no content before its cue leaves a
#: word between its end and that mark.
CONTENT_BEFORE_CUE_RUN_WORDS = 3
# A single quote mark ends a phrase only where no letter follows it ("they’ve" goes on).
_PHRASE_END = re.compile(r"[.,;:!?\"“”()\[\]\n—–]|''|['‘’](?!\w)")
_OPENING_QUOTE = re.compile(r"[ \t]+(\"|“|‘|'')")
_CLOSING_QUOTE = {'"': '"', "“": "”", "‘": "’", "''": "''"}
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201c\u201d\u2018\u2019]*\s")
#: Start prediction windows at sentence starts (stance.windows.window_bounds), so that a window
#: edge does not fall inside the sentence a cue is read in. Off: on validation it raised mean
#: statement F1 0.8602 -> 0.8635 but needed 11 % more windows (reports/sentence-windows-trial.md,
#: training/trial_sentence_windows.py); PolNeAR dev content F1 went 0.598 -> 0.585.
ALIGN_WINDOWS_TO_SENTENCES = False
#: A token belongs to a speaker mention when P(B-MEN) + P(I-MEN) reaches this. First chosen
#: on validation with an accuracy that counted a source resolved to itself as right, and no
#: decoding rules (0.824 at 0.2 against 0.780 at 0.5). Swept again with the corrected accuracy
#: and the rules of stance.speakers (91 sources needing resolution / 143 never named): 0.1 →
#: 0.835 / 0.937, 0.15 → 0.824 / 0.951, 0.2 and 0.25 → 0.813 / 0.951, 0.3 → 0.802 / 0.951,
#: 0.4 → 0.813 / 0.958, 0.5 and 0.6 → 0.824 / 0.958, 0.7 → 0.813 / 0.958: one or two sources
#: either way, so it was left at 0.2.
MENTION_MIN_PROBABILITY = 0.2
#: (window, cue) pairs read per role-head pass: bounds memory on cue-dense text (each pair holds
#: a window of states and its attention map).
MAX_PAIRS_PER_PASS = 64
#: A cue with fewer tokens than this between it and an edge of its window (an edge inside the
#: text: a text's own start and end are no edge) is read again in a window centred on it,
#: shared with the window's other such cues within reach (-1: off). A window core leaves a cue
#: as little as half an overlap of context, and a quote of a sentence or two before its "he
#: said" does not fit in that: the content is cut at the edge or lost. Larger overlaps give
#: every cue more context but run the encoder over every token several times; this reads
#: again only where a cue is near an edge. Chosen on validation (reports/reread-sweep.md):
#: mean statement F1 as written and packed 0.8555 off, 0.8664 / 0.8695 / 0.8723 / 0.8710 at
#: 24 / 32 / 40 / 47 (47: centred in a 96-token window).
REREAD_CONTEXT_TOKENS = 40
#: A cue near an edge (``REREAD_CONTEXT_TOKENS``) is read again only if its first reading tagged
#: source or content on the last token before an edge of its window inside the text, or this
#: many tokens further in, or no content at all: a content that ends well inside the window was
#: not cut, and reading it again costs an encoder pass (-1: every cue near an edge is read
#: again, whatever its first reading found). Swept on validation (reports/reread-edge-sweep.md,
#: ``--objective cost``): mean statement F1 as written and packed, and encoder work per token
#: of the packed texts, -1 0.8723 at 2.93, 16 0.8712 at 2.28, 12 0.8717 at 2.10, 8 0.8703 at
#: 1.96, 6 0.8699 at 1.88, 4 and 2 0.8674 at 1.81 and 1.74, 0 0.8651 at 1.62 (reading a cue in
#: the centre also changes labels, which no span test sees). The cost rule picked 6, but with
#: it the prediction window's own rule (training/choose_window.py, run at commit 3000813:
#: reports/predict-window-reread-edge-6.md) no longer keeps 96 / 16, whose long-content recall
#: fell 0.944 -> 0.922, and would move to 96 / 24, whose speaker resolution is 0.850 against
#: 0.870. Neither loss is worth a third of the encoder work, so every cue near an edge is read
#: again.
REREAD_EDGE_TOKENS = -1
_EDGE_PUNCTUATION = " \t\n,;:.\"'“”‘’«»„"


class Backend(Protocol):
    """The forward passes a backend provides; inputs and outputs are numpy arrays.

    ``states`` and ``pair_states`` are opaque to the decoder (a backend may keep them as its own
    tensors); every probability array is float32 numpy. Backends of models with a speaker head
    set ``has_speakers`` and provide ``tag_mentions``, ``pool`` and ``score_speakers`` too.
    """

    has_speakers: bool

    def encode(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[Any, np.ndarray]:
        """Encoder states and cue-tag probabilities [B, T, len(CUE_TAGS)]."""
        ...

    def read_cues(
        self,
        states: Any,
        attention_mask: np.ndarray,
        pair_window: np.ndarray,
        pair_cue_mask: np.ndarray,
    ) -> tuple[Any, np.ndarray]:
        """Cue-conditioned states and role-tag probabilities [P, T, len(ROLE_TAGS)]."""
        ...

    def classify_stance(
        self,
        pair_states: Any,
        pair_cue_mask: np.ndarray,
        item_pair: np.ndarray,
        item_content_mask: np.ndarray,
    ) -> np.ndarray:
        """Stance probabilities [Q, labels] of Q (pair, content) items."""
        ...

    def tag_mentions(self, states: Any) -> np.ndarray:
        """Speaker-mention tag probabilities [B, T, len(MENTION_TAGS)]."""
        ...

    def pool(self, states: Any, rows: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Mean encoder state [N, H] of window ``rows[i]`` over the tokens of ``masks[i]``."""
        ...

    def score_speakers(
        self, anchors: np.ndarray, candidates: np.ndarray, buckets: np.ndarray
    ) -> np.ndarray:
        """Mention-ranking logits [A, K + 2] (never named, the source itself, candidates)."""
        ...


# ------------------------------------------------------------------------------ batching


class TokenMasks(NamedTuple):
    """[B, T] masks of a padded batch of windows that the span rules read."""

    #: Where tags may be read (:func:`tag_positions`).
    inner: np.ndarray
    #: :data:`DANGLING_WORDS` tokens (``None`` when no rule reads them).
    dangling: np.ndarray | None
    #: Day and month names, which a source does not grow over.
    calendar: np.ndarray
    #: The pieces of a possessive "'s" (:func:`possessive_markers`).
    possessive: np.ndarray
    #: Word pieces that continue a word ("##ege" of "allege").
    continues_word: np.ndarray
    #: Double quote marks that open a quotation (:func:`opening_quotes`).
    opening_quote: np.ndarray


def pack_windows(lengths: Sequence[int] | np.ndarray, token_budget: int) -> list[np.ndarray]:
    """Groups windows of similar length into batches of at most ``token_budget`` padded tokens.

    Windows are sorted by length, so a batch pads each window only up to its longest neighbour
    (a few tokens at most), and short windows are packed many to a batch instead of a fixed
    count. A window longer than the budget gets a batch of its own.

    Args:
        lengths: Token count of each window.
        token_budget: Upper bound on ``len(batch) * max(length in batch)``.

    Returns:
        Window indices of each batch.

    Example:
        >>> [b.tolist() for b in pack_windows([5, 3, 9, 4], token_budget=12)]
        [[1, 3], [0], [2]]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    batches: list[np.ndarray] = []
    begin = 0
    # Per batch, not per token: the sorted lengths say how far the batch can grow.
    while begin < len(order):
        sorted_lengths = lengths[order[begin:]]
        # Batch [begin, begin + n) costs n * sorted_lengths[n - 1] padded tokens.
        cost = np.arange(1, len(sorted_lengths) + 1) * sorted_lengths
        n = max(1, int(np.searchsorted(cost > token_budget, True)))
        batches.append(order[begin : begin + n])
        begin += n
    return batches


def pad_batch(windows: Sequence[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Input ids and attention mask [B, T] (int64) of a batch of windows; T is even.

    Why even: ONNX Runtime's int8 MatMul kernel computes rows (tokens) two at a time and gives
    the last row of an odd row count to a different kernel whose result differs slightly, so
    with odd widths a window's output could change with its place in a batch. With an even
    width every batch has an even row count and every token takes the same path, alone or in
    any batch (the extra pad token is masked, as all padding is).
    """
    lengths = np.fromiter((len(w) for w in windows), dtype=np.int64, count=len(windows))
    width = int(lengths.max())
    width += width % 2
    mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
    ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    ids[mask.astype(bool)] = np.concatenate([w.input_ids for w in windows])
    return ids, mask


def tag_positions(attention: np.ndarray) -> np.ndarray:
    """Positions a tag may be read at [B, T]: real tokens other than [CLS] and [SEP].

    Example:
        >>> tag_positions(np.array([[1, 1, 1, 1], [1, 1, 1, 0]])).astype(int).tolist()
        [[0, 1, 1, 0], [0, 1, 0, 0]]
    """
    inner = attention.astype(bool)
    inner[:, 0] = False
    inner[np.arange(len(attention)), attention.sum(axis=1) - 1] = False
    return inner


# ------------------------------------------------------------------------------ decoding


def bridge_gaps(
    tags: np.ndarray,
    probs: np.ndarray,
    begin: int,
    inside: int,
    blockers: np.ndarray,
    max_gap: int,
    min_probability: float,
) -> np.ndarray:
    """``tags`` with short gaps inside a span filled with its I tag.

    A run of at most ``max_gap`` tokens between two B/I tokens of a row becomes I when every
    token in it has ``probs`` at least ``min_probability`` and none is a ``blockers`` token. The
    role tagger's argmax drops a comma, a name or an "and" in the middle of a long content
    ("in 1998, Clinton allowed her staff …" came out as three pieces), and the decoder then
    kept one piece.

    Example:
        >>> tags = np.array([[1, 2, 0, 2, 0, 0, 0, 2]])
        >>> probs = np.array([[0.9, 0.9, 0.3, 0.9, 0.3, 0.3, 0.3, 0.9]])
        >>> bridge_gaps(tags, probs, 1, 2, np.zeros_like(tags, bool), 2, 0.2).tolist()
        [[1, 2, 2, 2, 0, 0, 0, 2]]
    """
    if max_gap <= 0 or not tags.size:
        return tags
    n_rows, width = tags.shape
    in_span = (tags == begin) | (tags == inside)
    positions = np.broadcast_to(np.arange(width), tags.shape)
    previous = np.maximum.accumulate(np.where(in_span, positions, -1), axis=1)
    following = np.minimum.accumulate(np.where(in_span, positions, width)[:, ::-1], axis=1)[:, ::-1]
    # Tokens that forbid a bridge, counted with a prefix sum so each gap is checked at once.
    bad = (~in_span) & ((probs < min_probability) | blockers)
    bad_before = np.concatenate([np.zeros((n_rows, 1), np.int64), np.cumsum(bad, axis=1)], 1)
    inner_gap = (~in_span) & (previous >= 0) & (following < width)
    prev_i = np.clip(previous, 0, width - 1)
    next_i = np.clip(following, 0, width)
    bad_in_gap = np.take_along_axis(bad_before, next_i, 1) - np.take_along_axis(
        bad_before, prev_i + 1, 1
    )
    bridge = inner_gap & (following - previous - 1 <= max_gap) & (bad_in_gap == 0)
    return np.where(bridge, inside, tags)


def grow_edges(
    rows: np.ndarray,
    edges: np.ndarray,
    step: int,
    wants_growth: np.ndarray,
    joinable: np.ndarray,
    probs: np.ndarray,
    min_probability: float,
    max_tokens: int,
) -> np.ndarray:
    """Span edges moved one token at a time while the token at the edge ``wants_growth``.

    An end (``step=1``, exclusive) grows over the token at ``end``; a start (``step=-1``,
    inclusive) over the token at ``start - 1``. A span grows only over a ``joinable`` token
    whose ``probs`` is at least ``min_probability``, and by at most ``max_tokens``.

    Args:
        rows: Each span's row.
        edges: Each span's end (``step=1``) or start (``step=-1``).
        step: 1 to grow ends rightwards, -1 to grow starts leftwards.
        wants_growth: [R, T] True on tokens a span does not stop on.
        joinable: [R, T] True on tokens a span may grow over.
        probs: [R, T] probability that a token belongs to a span.
        min_probability: Least ``probs`` of a token the span grows over.
        max_tokens: Most tokens a span grows by.

    Example:
        >>> wants = np.array([[False, False, True, False]])
        >>> probs = np.array([[0.1, 0.6, 0.9, 0.9]])
        >>> grow_edges(np.array([0]), np.array([2]), -1, wants,
        ...            np.ones((1, 4), bool), probs, 0.4, 2).tolist()
        [1]
        >>> dangling = np.array([[False, True, False, False]])  # the span ends on "of"
        >>> probs = np.array([[0.9, 0.8, 0.3, 0.1]])
        >>> grow_edges(np.array([0]), np.array([2]), 1, dangling,
        ...            np.ones((1, 4), bool), probs, 0.2, 2).tolist()
        [3]
    """
    width = wants_growth.shape[1]
    # The token a span stops on, and the one it would grow over, relative to its edge.
    edge_offset, next_offset = (-1, 0) if step > 0 else (0, -1)
    for _ in range(max_tokens):
        edge = np.clip(edges + edge_offset, 0, width - 1)
        after = np.clip(edges + next_offset, 0, width - 1)
        inside = (edges < width) if step > 0 else (edges > 0)
        grow = (
            inside
            & wants_growth[rows, edge]
            & joinable[rows, after]
            & (probs[rows, after] >= min_probability)
        )
        if not grow.any():
            break
        edges = edges + step * grow
    return edges


def trim_ends(
    rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, unwanted: np.ndarray, max_tokens: int
) -> np.ndarray:
    """Span ends (exclusive) moved left while the span's last token is ``unwanted``.

    A span keeps at least its first token.

    Args:
        rows: Each span's row.
        starts: Each span's start.
        ends: Each span's end.
        unwanted: [R, T] True on tokens a span does not end on.
        max_tokens: Most tokens taken off a span.

    Example:
        >>> unwanted = np.array([[False, False, True, True]])  # "... authority on the"
        >>> trim_ends(np.array([0, 0]), np.array([0, 2]), np.array([4, 4]), unwanted, 2).tolist()
        [2, 3]
    """
    width = unwanted.shape[1]
    for _ in range(max_tokens):
        trim = unwanted[rows, np.clip(ends - 1, 0, width - 1)] & (ends - 1 > starts)
        if not trim.any():
            break
        ends = ends - trim
    return ends


def complete_source_ends(
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    dangling: np.ndarray,
    joinable: np.ndarray,
    probs: np.ndarray,
) -> np.ndarray:
    """Source ends that no longer stop on a dangling word (SOURCE_TAIL_* constants).

    A source that ends on a :data:`DANGLING_WORDS` word takes in a source span that starts
    where it ends (the tagger may open the rest as a span of its own: "Figures published by"
    + "the bank"), then grows over ``joinable`` tokens whose P(source) is at least
    SOURCE_TAIL_MIN_PROBABILITY; with SOURCE_TAIL_TRIM, what still dangles is cut off.

    Args:
        rows: Each source span's row, sorted by row then start.
        starts: Each span's start.
        ends: Each span's end (exclusive).
        dangling: [R, T] True on tokens a span does not end on.
        joinable: [R, T] True on tokens a source may grow over.
        probs: [R, T] P(B-SRC) + P(I-SRC).

    Example:
        >>> dangling = np.array([[False, True, False, False]])  # "authority on Thursday said"
        >>> probs = np.array([[0.9, 0.8, 0.05, 0.0]])
        >>> complete_source_ends(np.array([0]), np.array([0]), np.array([2]), dangling,
        ...                      np.ones((1, 4), bool), probs).tolist()  # P("Thursday") < 0.1
        [1]
        >>> complete_source_ends(np.array([0, 0]), np.array([0, 2]), np.array([2, 4]), dangling,
        ...                      np.ones((1, 4), bool), probs).tolist()  # joined with the next
        [4, 4]
    """
    if SOURCE_TAIL_MIN_PROBABILITY <= 1:
        ends = ends.copy()
        adjacent = (rows[1:] == rows[:-1]) & (starts[1:] == ends[:-1])
        joins = adjacent & dangling[rows[:-1], ends[:-1] - 1]
        ends[:-1][joins] = ends[1:][joins]
        ends = grow_edges(
            rows, ends, 1, dangling, joinable, probs, SOURCE_TAIL_MIN_PROBABILITY,
            SOURCE_TAIL_TOKENS,
        )  # fmt: skip
    if SOURCE_TAIL_TRIM:
        ends = trim_ends(rows, starts, ends, dangling, SOURCE_TAIL_TOKENS)
    return ends


def whole_words(
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    continues_word: np.ndarray,
    inner: np.ndarray,
    max_pieces: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """Span starts and ends (exclusive) moved to the edges of the words they cut: back while
    the first token continues a word, on while the token after the span does.

    Example:
        >>> pieces = np.array([[False, False, False, True, False]])  # "the grocer qui ##pped ."
        >>> whole_words(np.array([0]), np.array([3]), np.array([4]), pieces,
        ...             np.ones((1, 5), bool))
        (array([2]), array([4]))
        >>> whole_words(np.array([0]), np.array([2]), np.array([3]), pieces,
        ...             np.ones((1, 5), bool))
        (array([2]), array([4]))
    """
    anywhere = np.ones_like(continues_word, dtype=float)
    starts = grow_edges(rows, starts, -1, continues_word, inner, anywhere, 0.0, max_pieces)
    next_continues = np.zeros_like(continues_word)
    next_continues[:, :-1] = continues_word[:, 1:]
    ends = grow_edges(rows, ends, 1, next_continues, inner, anywhere, 0.0, max_pieces)
    return starts, ends


def possessive_markers(
    ids: np.ndarray, apostrophe_ids: np.ndarray, s_id: int, contracting_ids: np.ndarray
) -> np.ndarray:
    """[B, T] True on the two word pieces of a possessive "'s" ("council", "'", "s"): an
    apostrophe followed by the piece "s", not after one of ``contracting_ids`` ("it's").

    Example:
        >>> ids = np.array([[7, 1, 2, 9, 1, 8, 5, 1, 2]])  # 5: "it"
        >>> possessive_markers(ids, np.array([1]), 2, np.array([5])).tolist()
        [[False, True, True, False, False, False, False, False, False]]
    """
    apostrophe = np.isin(ids, apostrophe_ids)
    markers = np.zeros(ids.shape, dtype=bool)
    markers[:, 1:-1] = (
        apostrophe[:, 1:-1] & (ids[:, 2:] == s_id) & ~np.isin(ids[:, :-2], contracting_ids)
    )
    markers[:, 1:] |= markers[:, :-1].copy()
    return markers


def through_possessives(
    rows: np.ndarray,
    ends: np.ndarray,
    markers: np.ndarray,
    cue: np.ndarray,
    joinable: np.ndarray,
    probs: np.ndarray,
    min_probability: float,
    max_tokens: int,
) -> np.ndarray:
    """Source ends (exclusive) moved past a possessive "'s" and over the words it governs
    (SOURCE_POSSESSIVE_* constants).

    A span that ends right before or inside a ``markers`` run takes the run in, then grows over
    ``joinable`` tokens whose ``probs`` is at least ``min_probability``, by at most
    ``max_tokens``. A span keeps its end when it grows over no token after the run, or when it
    would end right before its ``cue`` (the possessor of a reporting noun is its source).

    Args:
        rows: Each span's row.
        ends: Each span's end.
        markers: [R, T] True on the pieces of "'s" (:func:`possessive_markers`).
        cue: [R, T] True on the span's cue.
        joinable: [R, T] True on tokens a source may grow over.
        probs: [R, T] P(B-SRC) + P(I-SRC).
        min_probability: Least ``probs`` of a word the span grows over after the "'s".
        max_tokens: Most tokens taken in after the "'s".

    Example:
        >>> markers = np.array([[False, False, True, True, False, False]])  # "The agency's
        >>> probs = np.array([[0.9, 0.8, 0.0, 0.1, 0.4, 0.0]])  # spokesman, ..."
        >>> no_cue, anywhere = np.zeros((1, 6), bool), np.ones((1, 6), bool)
        >>> through_possessives(np.array([0]), np.array([2]), markers, no_cue, anywhere,
        ...                     probs, 0.1, 3).tolist()
        [5]
        >>> through_possessives(np.array([0]), np.array([4]), markers, no_cue, anywhere,
        ...                     probs, 0.1, 3).tolist()  # "The agency's", ending on the "s"
        [5]
        >>> cue = np.array([[False] * 5 + [True]])  # "The agency's new statement"
        >>> through_possessives(np.array([0]), np.array([2]), markers, cue, anywhere,
        ...                     probs, 0.1, 3).tolist()
        [2]
        >>> probs[0, 4] = 0.05  # nothing to take in after the "'s"
        >>> through_possessives(np.array([0]), np.array([2]), markers, no_cue, anywhere,
        ...                     probs, 0.1, 3).tolist()
        [2]
    """
    width = markers.shape[1]
    crossed = ends.copy()
    # The clitic is two pieces at most; it is crossed whatever its probability, as the tagger
    # reads little of a source in it.
    for _ in range(2):
        at = np.clip(crossed, 0, width - 1)
        cross = (crossed < width) & markers[rows, at] & joinable[rows, at]
        crossed = crossed + cross
    ends_on_marker = markers[rows, np.clip(ends - 1, 0, width - 1)] & (ends > 0)
    moved = (crossed > ends) | ends_on_marker
    grown = grow_edges(
        rows, crossed, 1, np.ones_like(markers), joinable, probs, min_probability, max_tokens
    )
    before_cue = cue[rows, np.clip(grown, 0, width - 1)] & (grown < width)
    return np.where(moved & (grown > crossed) & ~before_cue, grown, ends)


def bio_spans_2d(
    tags: np.ndarray,
    begin: int,
    inside: int,
    min_stray_length: int = 1,
    merge_adjacent: bool = False,
    continues_word: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spans [start, end) of every row of a BIO tag matrix at once.

    Args:
        tags: [R, T] tag ids.
        begin: The id of the B tag.
        inside: The id of the I tag.
        min_stray_length: A run of I tags without a B opens a span only if it is at least this
            long (see :func:`stance.windows.bio_spans`).
        merge_adjacent: Read a B that directly follows a B or I as I, joining the two spans.
        continues_word: [R, T] True on word pieces inside a word: a B there that directly
            follows a B or I is read as I (with ``merge_adjacent``, every such B is).

    Returns:
        ``(rows, starts, ends)``, sorted by row then start.

    Example:
        >>> rows, starts, ends = bio_spans_2d(np.array([[1, 2, 0], [2, 2, 1]]), 1, 2)
        >>> rows.tolist(), starts.tolist(), ends.tolist()
        ([0, 1, 1], [0, 0, 2], [2, 2, 3])
        >>> tags = np.array([[1, 1, 0, 1, 1]])  # "all" "##ege" "that" "He" "said"
        >>> inside_word = np.array([[False, True, False, False, False]])
        >>> bio_spans_2d(tags, 1, 2, continues_word=inside_word)[1:]
        (array([0, 3, 4]), array([2, 4, 5]))
    """
    n_rows, width = tags.shape
    if merge_adjacent or continues_word is not None:
        in_any = (tags == begin) | (tags == inside)
        after_span = np.concatenate([np.zeros((n_rows, 1), bool), in_any[:, :-1]], axis=1)
        joins = after_span if merge_adjacent else after_span & continues_word
        tags = np.where((tags == begin) & joins, inside, tags)
    # A separator column that is neither B nor I keeps spans from running across rows.
    flat = np.concatenate([tags, np.full((n_rows, 1), -1, dtype=tags.dtype)], axis=1).ravel()
    is_begin = flat == begin
    in_span = is_begin | (flat == inside)
    previous = np.concatenate([[False], in_span[:-1]])
    starts = np.nonzero(in_span & (is_begin | ~previous))[0]
    following = np.concatenate([in_span[1:], [False]])
    next_is_begin = np.concatenate([is_begin[1:], [False]])
    ends = np.nonzero(in_span & (~following | next_is_begin))[0] + 1
    keep = is_begin[starts] | (ends - starts >= min_stray_length)
    starts, ends = starts[keep], ends[keep]
    rows = starts // (width + 1)
    return rows, starts - rows * (width + 1), ends - rows * (width + 1)


def opening_quotes(windows: Sequence[Window], quote_marks: np.ndarray) -> np.ndarray:
    """[B, T] True on the ``quote_marks`` that open a quotation: apart from the token before
    them (or first in their window) and touching the token after them. A closing mark touches
    the token before it instead ('"The Apprentice," Trump').

    Example:
        >>> w = Window(0, np.array([101, 1000, 1001, 1000, 102]),
        ...            np.array([[-1, -1], [0, 1], [1, 3], [3, 4], [-1, -1]]), 0, 5)
        >>> opening_quotes([w], np.array([[False, True, False, True, False]])).tolist()
        [[False, True, False, False, False]]
    """
    opening = np.zeros(quote_marks.shape, dtype=bool)
    for row, window in enumerate(windows):
        starts, ends = window.offsets[:, 0], window.offsets[:, 1]
        n = len(window)
        apart_before = np.ones(n, dtype=bool)
        apart_before[1:] = (starts[1:] > ends[:-1]) | (ends[:-1] < 0)
        touching_after = np.zeros(n, dtype=bool)
        touching_after[:-1] = (starts[1:] == ends[:-1]) & (starts[1:] >= 0)
        opening[row, :n] = quote_marks[row, :n] & apart_before & touching_after
    return opening


def open_missing_spans(
    tags: np.ndarray,
    begin: int,
    inside: int,
    begin_probs: np.ndarray,
    span_probs: np.ndarray,
    candidates: np.ndarray,
    min_begin: float,
    min_inside: float,
    max_tokens: int,
) -> np.ndarray:
    """``tags`` with a span opened in each row that has none: on the ``candidates`` token with
    the highest ``begin_probs``, if that is at least ``min_begin``, running on over the
    candidate tokens after it whose ``span_probs`` is at least ``min_inside`` (at most
    ``max_tokens`` of them).

    Example:
        >>> tags = np.array([[0, 0, 0, 0, 3], [1, 0, 0, 0, 3]])  # "The company firmly denied"
        >>> begin_probs = np.array([[0.36, 0.0, 0.0, 0.0, 0.0], [0.9, 0.0, 0.0, 0.0, 0.0]])
        >>> span_probs = np.array([[0.36, 0.17, 0.0, 0.0, 0.0], [0.9, 0.0, 0.0, 0.0, 0.0]])
        >>> candidates = tags == 0
        >>> open_missing_spans(tags, 1, 2, begin_probs, span_probs, candidates, 0.3, 0.1, 4)
        array([[1, 2, 0, 0, 3],
               [1, 0, 0, 0, 3]])
    """
    in_span = (tags == begin) | (tags == inside)
    scores = np.where(candidates, begin_probs, -1.0)
    best = scores.argmax(axis=1)
    opens = ~in_span.any(axis=1) & (scores[np.arange(len(tags)), best] >= min_begin)
    rows = np.nonzero(opens)[0]
    if not len(rows):
        return tags
    starts = best[rows]
    ends = grow_edges(
        rows, starts + 1, 1, np.ones_like(candidates), candidates, span_probs, min_inside,
        max_tokens,
    )  # fmt: skip
    positions = np.arange(tags.shape[1])
    tags = tags.copy()
    tags[rows] = np.where(
        (positions > starts[:, None]) & (positions < ends[:, None]), inside, tags[rows]
    )
    tags[rows, starts] = begin
    return tags


def open_after(tags: np.ndarray, begin: int, inside: int, openers: np.ndarray) -> np.ndarray:
    """``tags`` with an I tag read as B where it directly follows an ``openers`` token that
    follows no span: the run it starts is a span, not a stray. An opener right after a span
    (a partial quote inside a content, or a closing quote mark) opens nothing.

    Example:
        >>> quote = np.array([[False, True, False, False, False]])  # 'said: "Absolutely not'
        >>> open_after(np.array([[0, 0, 2, 2, 0]]), 1, 2, quote).tolist()
        [[0, 0, 1, 2, 0]]
        >>> open_after(np.array([[2, 0, 2, 2, 0]]), 1, 2, quote).tolist()  # 'a "war of'
        [[2, 0, 2, 2, 0]]
    """
    in_span = (tags == begin) | (tags == inside)
    previous_opens = np.zeros(tags.shape, dtype=bool)
    previous_opens[:, 2:] = openers[:, 1:-1] & ~in_span[:, 1:-1] & ~in_span[:, :-2]
    previous_opens[:, 1] = openers[:, 0] & ~in_span[:, 0]
    return np.where((tags == inside) & previous_opens, begin, tags)


def join_into_next(
    rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, joinable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spans with each ``joinable`` span joined to the span that starts where it ends (same
    row); chains join into their last span. Spans are sorted by row then start, as
    :func:`bio_spans_2d` returns them.

    Example:
        >>> rows, starts = np.array([0, 0, 0, 1]), np.array([1, 2, 5, 0])
        >>> ends = np.array([2, 4, 6, 1])
        >>> joined = join_into_next(rows, starts, ends, np.array([True, False, True, True]))
        >>> [a.tolist() for a in joined]
        [[0, 0, 1], [1, 5, 0], [4, 6, 1]]
    """
    follows = np.zeros(len(rows), dtype=bool)
    follows[:-1] = (rows[1:] == rows[:-1]) & (starts[1:] == ends[:-1])
    absorbed = joinable & follows
    kept = np.nonzero(~absorbed)[0]
    # A kept span starts where the run of absorbed spans just before it starts.
    first = np.concatenate([[0], kept[:-1] + 1])
    return rows[kept], starts[first], ends[kept]


def join_coordinated(
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    coordinating: np.ndarray,
    correlative: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spans with two spans that only a ``coordinating`` token parts joined, each grown back
    over a ``correlative`` token right before it (JOIN_COORDINATED_CUES).

    Spans are sorted by row then start, as :func:`bio_spans_2d` returns them; a span never
    grows over a row's first token (the [CLS] position).

    Args:
        rows: Each span's row.
        starts: Each span's start.
        ends: Each span's end (exclusive).
        coordinating: [R, T] True on tokens that join the spans on either side ("nor", "or").
        correlative: [R, T] True on tokens a span grows back over ("neither").

    Example:
        >>> # [CLS] neither confirmed nor denied that ...: cues "confirmed" and "denied"
        >>> coordinating = np.array([[False, False, False, True, False, False]])
        >>> correlative = np.array([[False, True, False, False, False, False]])
        >>> joined = join_coordinated(np.array([0, 0]), np.array([2, 4]), np.array([3, 5]),
        ...                           coordinating, correlative)
        >>> [a.tolist() for a in joined]
        [[0], [1], [5]]
    """
    if not len(rows):
        return rows, starts, ends
    width = coordinating.shape[1]
    parted_by_one = np.zeros(len(rows), dtype=bool)
    parted_by_one[:-1] = (rows[1:] == rows[:-1]) & (starts[1:] == ends[:-1] + 1)
    parted_by_one[parted_by_one] = coordinating[
        rows[parted_by_one], np.clip(ends[parted_by_one], 0, width - 1)
    ]
    # Growing each such span over its conjunction makes it end where the next starts.
    rows, starts, ends = join_into_next(rows, starts, ends + parted_by_one, parted_by_one)
    grows_back = (starts > 1) & correlative[rows, np.clip(starts - 1, 0, width - 1)]
    return rows, starts - grows_back, ends


def span_sums(values: np.ndarray, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
    """Sums of ``values[row, start:end]`` for many spans at once (prefix sums, float64).

    Example:
        >>> span_sums(np.array([[1.0, 2.0, 3.0]]), np.array([0]), np.array([1]), np.array([3]))
        array([5.])
    """
    prefix = np.zeros((values.shape[0], values.shape[1] + 1), dtype=np.float64)
    np.cumsum(values, axis=1, dtype=np.float64, out=prefix[:, 1:])
    return prefix[rows, ends] - prefix[rows, starts]


def span_means(values: np.ndarray, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Any:
    """Means of ``values[row, start:end]`` for many spans at once: a span's confidence.

    Example:
        >>> span_means(np.array([[1.0, 2.0, 3.0]]), np.array([0]), np.array([1]), np.array([3]))
        array([2.5])
    """
    return span_sums(values, rows, starts, ends) / (ends - starts)


def span_maxima(
    values: np.ndarray, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Maxima of ``values[row, start:end]`` (non-empty spans) for many spans at once.

    Example:
        >>> span_maxima(np.array([[1.0, 4.0, 3.0]]), np.array([0, 0]), np.array([0, 2]),
        ...             np.array([2, 3]))
        array([4., 3.])
    """
    if not len(rows):
        return np.zeros(0, dtype=values.dtype)
    width = values.shape[1]
    flat = np.concatenate([values.ravel(), values.ravel()[:1]])  # room for an end at the end
    bounds = np.stack([rows * width + starts, rows * width + ends], axis=1).ravel()
    return np.maximum.reduceat(flat, bounds)[::2]


def best_per_row(
    n_rows: int, rows: np.ndarray, starts: np.ndarray, confidence: np.ndarray
) -> np.ndarray:
    """Index of each row's most confident span (the first on ties), -1 for rows without one.

    Example:
        >>> best_per_row(3, np.array([0, 0, 2]), np.array([1, 5, 0]), np.array([0.5, 0.9, 0.1]))
        array([ 1, -1,  2])
    """
    best = np.full(n_rows, -1, dtype=np.int64)
    if len(rows):
        order = np.lexsort((starts, -confidence, rows))
        first = np.concatenate([[True], rows[order][1:] != rows[order][:-1]])
        best[rows[order[first]]] = order[first]
    return best


def sibling_groups(
    pairs: Sequence[int], spans: Sequence[tuple[int, int]], joins: Callable[[int, int], bool]
) -> list[list[int]]:
    """Contents grouped for joining: each group holds contents of one cue (indices into
    ``pairs``, in text order) where ``joins(i, j)`` holds for each content ``i`` and the next
    one, ``j``; overlapping contents are never joined, and every other content is a group of
    its own.

    Args:
        pairs: The (window, cue) pair of each content.
        spans: Each content's character (start, end) in its document.
        joins: Whether content ``i`` and the next one of its cue, ``j``, are one content.

    Example:
        >>> spans = [(0, 5), (7, 9), (20, 24), (7, 9)]
        >>> sibling_groups([0, 0, 0, 1], spans, lambda i, j: spans[j][0] - spans[i][1] < 5)
        [[0, 1], [2], [3]]
    """
    by_pair: dict[int, list[int]] = {}
    for index, pair in enumerate(pairs):
        by_pair.setdefault(pair, []).append(index)
    groups: list[list[int]] = []
    for indices in by_pair.values():
        indices.sort(key=lambda i: spans[i][0])
        group = [indices[0]]
        for index in indices[1:]:
            before = group[-1]
            if spans[index][0] >= spans[before][1] and joins(before, index):
                group.append(index)
            else:
                groups.append(group)
                group = [index]
        groups.append(group)
    return sorted(groups)


def is_clause_gap(
    text: str, start: int, end: int, max_words: int, blockers: Sequence[Span | None] = ()
) -> bool:
    """Whether ``text[start:end]``, the gap between two contents of one cue, could join two
    conjoined clauses of one sentence: at most ``max_words`` words, no sentence end, no line
    break and no ``blockers`` span (a cue, the source) inside it (see
    :data:`MERGE_SAME_STANCE_WORDS`).

    Example:
        >>> text = "She said X, and that Y. Then Z, the mayor said, W"
        >>> is_clause_gap(text, 10, 21, 2), is_clause_gap(text, 22, 28, 2)
        (True, False)
        >>> is_clause_gap(text, 30, 48, 4, [Span.from_offsets(text, 42, 46)])
        False
    """
    gap = text[start:end]
    return (
        len(_WORD.findall(gap)) <= max_words
        and "\n" not in gap
        and _SENTENCE_END.search(gap) is None
        and not any(b is not None and b.start < end and b.end > start for b in blockers)
    )


def is_whole_quote(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a whole quoted passage: a quote mark right before it and,
    after at most some closing punctuation, right after it.

    Example:
        >>> text = '"We are ready," she said. "I think the vote will pass."'
        >>> is_whole_quote(text, 1, 13), is_whole_quote(text, 27, 28)
        (True, False)
    """
    if start == 0 or text[start - 1] not in QUOTE_CHARS:
        return False
    after = end
    while after < len(text) and text[after] in ",.;:?!":
        after += 1
    return after < len(text) and text[after] in QUOTE_CHARS


def short_siblings(
    pairs: Sequence[int], words: Sequence[int], whole_quotes: Sequence[bool], min_words: int
) -> set[int]:
    """Indices of contents to drop: those under ``min_words`` words whose pair (cue) also has a
    content of at least ``min_words`` words, unless they are a whole quote (see
    :data:`CONTENT_MIN_SIBLING_WORDS`).

    Args:
        pairs: The (window, cue) pair of each content.
        words: Each content's number of words.
        whole_quotes: Whether each content is a whole quoted passage (:func:`is_whole_quote`).
        min_words: Fewest words a content needs beside a longer sibling (1: drop nothing).

    Example:
        >>> sorted(short_siblings([0, 0, 0, 1], [1, 5, 2, 1], [False, False, True, False], 3))
        [0]
    """
    long_pairs = {p for p, n in zip(pairs, words, strict=True) if n >= min_words}
    return {
        q
        for q, (p, n, whole) in enumerate(zip(pairs, words, whole_quotes, strict=True))
        if n < min_words and not whole and p in long_pairs
    }


def char_span(
    text: str, window: Window, start_token: int, end_token: int, punctuation_only: bool = False
) -> Span | None:
    """The characters of a token range, widened to whole words and without edge punctuation.

    Spans are made of whole words (the guidelines' rule), but the tagger works on word pieces
    and can open or close a span inside a word ("Br|exit"); such spans are widened to the word.
    The loops run over the few characters at a span's edges, never over tokens.

    Args:
        text: The document text.
        window: The window the token range is in.
        start_token: The range's first token.
        end_token: The token after its last.
        punctuation_only: Keep a span that is punctuation alone instead of trimming it away:
            for cues, which can be a transcript turn's colon or an embedded post's dash.
    """
    start = int(window.offsets[start_token, 0])
    end = int(window.offsets[end_token - 1, 1])
    while start > 0 and _in_word(text, start) and _in_word(text, start - 1):
        start -= 1
    while end < len(text) and _in_word(text, end - 1) and _in_word(text, end):
        end += 1
    untrimmed = start, end
    start, end = _trim_edges(text, start, end, _EDGE_PUNCTUATION.__contains__)
    if end <= start and punctuation_only:
        start, end = _trim_edges(text, *untrimmed, str.isspace)
    return Span.from_offsets(text, start, end) if end > start else None


def _in_word(text: str, i: int) -> bool:
    """Whether ``text[i]`` is part of a word: a letter or digit, or with
    :data:`WHOLE_HYPHENATED_WORDS` a hyphen between two ("Mine-clearing").

    Example:
        >>> [_in_word("Mine-clearing - safe", i) for i in (3, 4, 13, 14)]
        [True, True, False, False]
    """
    if text[i].isalnum():
        return True
    return (
        WHOLE_HYPHENATED_WORDS
        and text[i] == "-"
        and 0 < i < len(text) - 1
        and text[i - 1].isalnum()
        and text[i + 1].isalnum()
    )


def _trim_edges(text: str, start: int, end: int, drop: Callable[[str], bool]) -> tuple[int, int]:
    """The range without the characters ``drop`` accepts at either end."""
    while start < end and drop(text[start]):
        start += 1
    while end > start and drop(text[end - 1]):
        end -= 1
    return start, end


def _ranges_mask(starts: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    positions = np.arange(width)[None, :]
    return ((positions >= starts[:, None]) & (positions < ends[:, None])).astype(np.int64)


def window_start(window: Window) -> int:
    """The character offset of a window's first real token (0 for a window of none)."""
    real = window.offsets[window.offsets[:, 0] >= 0]
    return int(real[0, 0]) if len(real) else 0


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two ``(start, end)`` ranges (0 when they touch or overlap)."""
    return max(b[0] - a[1], a[0] - b[1], 0)


def _cue_distance(statement: Statement) -> int:
    """Characters between a statement's cue and its content (0 when they touch or overlap)."""
    cue, content = statement.cue, statement.content
    return _distance((cue.start, cue.end), (content.start, content.end))


def one_per_content(text: str, statements: Sequence[Statement], gap_words: int) -> list[Statement]:
    """The statements with one left per content span: cues of one content at most
    ``gap_words`` words apart are joined into one cue (the first cue's statement keeps its
    source, label and speaker, or takes the other's source if it has none); of the rest, the
    statement whose cue is nearest its content stays (ties: the higher score, then the label).

    Example:
        >>> from stance.types import Span
        >>> text = "Lawyers told the Halden High Court that the plant had leaked."
        >>> def statement(cue_start, cue_end):
        ...     return Statement(source=Span.from_offsets(text, 0, 7),
        ...         cue=Span.from_offsets(text, cue_start, cue_end),
        ...         content=Span.from_offsets(text, 40, 60), label="assertion", score=0.9,
        ...         scores={})
        >>> [st.cue.text for st in one_per_content(text, [statement(8, 23), statement(29, 34)], 2)]
        ['told the Halden High Court']
    """
    by_content: dict[tuple[int, int], list[Statement]] = {}
    for st in statements:
        by_content.setdefault((st.content.start, st.content.end), []).append(st)
    kept: list[Statement] = []
    for group in by_content.values():
        group = sorted(group, key=lambda st: (st.cue.start, st.cue.end))
        joined = [group[0]]
        for st in group[1:]:
            last = joined[-1]
            gap = text[last.cue.end : st.cue.start]
            if st.cue.start <= last.cue.end or len(_WORD.findall(gap)) <= gap_words:
                cue = Span.from_offsets(text, last.cue.start, max(last.cue.end, st.cue.end))
                # The source and its speaker come from the first statement that has one.
                with_source = last if last.source is not None else st
                joined[-1] = dataclasses.replace(
                    last, cue=cue, source=with_source.source, speaker=with_source.speaker
                )
            else:
                joined.append(st)
        kept.append(min(joined, key=lambda st: (_cue_distance(st), -st.score, st.label)))
    return kept


def within_paragraph(text: str, statement: Statement) -> Statement | None:
    r"""The statement with its content cut to the paragraph nearest its cue, if it ran over a
    paragraph break (None if nothing but punctuation is left).

    Example:
        >>> from stance.types import Span
        >>> text = "KESSEL: No, it is not.\nThe ferry runs on Monday.\n— Ivo Sand (@ivo) May 2"
        >>> post = Statement(source=Span.from_offsets(text, 51, 59),
        ...     cue=Span.from_offsets(text, 49, 50), content=Span.from_offsets(text, 8, 47),
        ...     label="assertion", score=0.9, scores={})
        >>> within_paragraph(text, post).content.text
        'The ferry runs on Monday'
    """
    content = statement.content
    if "\n" not in content.text:
        return statement
    pieces: list[tuple[int, int]] = []
    start = content.start
    for line in content.text.split("\n"):
        begin, end = _trim_edges(
            text, start, start + len(line), lambda c: c in _EDGE_PUNCTUATION or c.isspace()
        )
        start += len(line) + 1
        if _WORD.search(text, begin, end):
            pieces.append((begin, end))
    if not pieces:
        return None
    cue = statement.cue.start, statement.cue.end
    begin, end = min(pieces, key=lambda piece: _distance(cue, piece))
    return dataclasses.replace(statement, content=Span.from_offsets(text, begin, end))


def reaches_back_over_paragraph(text: str, statement: Statement) -> bool:
    r"""Whether the statement's content ends in a paragraph before its cue's paragraph while
    the cue does not open its own paragraph (a "— Name" line opens it, as in posts).

    Example:
        >>> from stance.types import Span
        >>> text = '"It works," Ivo Sand said.\n"It is dead," said Ana Ruiz.'
        >>> def statement(content: tuple[int, int], cue: tuple[int, int]) -> Statement:
        ...     return Statement(source=None, cue=Span.from_offsets(text, *cue),
        ...         content=Span.from_offsets(text, *content), label="assertion", score=0.9,
        ...         scores={})
        >>> reaches_back_over_paragraph(text, statement((1, 9), (42, 46)))
        True
        >>> reaches_back_over_paragraph(text, statement((29, 39), (42, 46)))
        False
        >>> reaches_back_over_paragraph("Ports shut.\n— Ivo Sand", statement((0, 10), (12, 13)))
        False
    """
    content, cue = statement.content, statement.cue
    if content.end > cue.start or "\n" not in text[content.end : cue.start]:
        return False
    paragraph_start = text.rfind("\n", 0, cue.start) + 1
    return bool(text[paragraph_start : cue.start].strip())


def _content_grown_to(
    text: str, statement: Statement, statements: Sequence[Statement], end: int
) -> Statement:
    """The statement with its content grown to ``end`` (edge punctuation left out), unchanged
    if the cue of any of ``statements`` lies between the content's end and ``end``."""
    content = statement.content
    if any(content.end < other.cue.end and other.cue.start < end for other in statements):
        return statement
    return _with_content(text, statement, content.start, end)


def _with_content(text: str, statement: Statement, start: int, end: int) -> Statement:
    """The statement with ``text[start:end]`` as its content, edge punctuation left out."""
    start, end = _trim_edges(text, start, end, _EDGE_PUNCTUATION.__contains__)
    return dataclasses.replace(statement, content=Span.from_offsets(text, start, end))


def run_on_to_phrase_end(
    text: str,
    statement: Statement,
    statements: Sequence[Statement],
    dangling_words: int,
    before_cue_words: int,
) -> Statement:
    """The statement with a content cut short of its phrase run on to the next punctuation mark,
    if no statement's cue lies between: a content that ends on a dangling word followed by a
    word ("cash for him on" + " three of the dates"), when the mark is at most
    ``dangling_words`` words away; and a content before its cue that stops short of the mark
    its source or cue follows ("… will order more" + " tests, she said"), when the mark is at
    most ``before_cue_words`` words away. Unchanged otherwise (-1 turns either off).

    Example:
        >>> from stance.types import Span
        >>> text = "She said she withdrew cash for him on three dates, police said."
        >>> cut = Statement(source=Span.from_offsets(text, 0, 3),
        ...     cue=Span.from_offsets(text, 4, 8), content=Span.from_offsets(text, 9, 37),
        ...     label="assertion", score=0.9, scores={})
        >>> run_on_to_phrase_end(text, cut, [cut], 12, 3).content.text
        'she withdrew cash for him on three dates'
    """
    content = statement.content
    words = _WORD.findall(content.text)
    if not words or not re.match(r"[ \t]\w", text[content.end : content.end + 2]):
        return statement
    stop = _PHRASE_END.search(text, content.end)
    end = stop.start() if stop else len(text)
    n_words = len(_WORD.findall(text, content.end, end))
    dangling = words[-1].lower() in DANGLING_WORDS and n_words <= dangling_words
    source, cue = statement.source, statement.cue
    attribution = cue.start if source is None or source.start < content.end else source.start
    before_cue = (
        content.end <= cue.start
        and n_words <= before_cue_words
        and end <= attribution
        and not _WORD.search(text, end, attribution)
    )
    if not (dangling or before_cue):
        return statement
    return _content_grown_to(text, statement, statements, end)


def through_partial_quote(
    text: str, statement: Statement, statements: Sequence[Statement], max_words: int
) -> Statement:
    """The statement with its content grown through the quoted passage that opens right after
    it, when the passage closes in the same paragraph within ``max_words`` words and holds no
    cue; unchanged when its cue, or that of a statement whose content ends where this one does
    (a noun cue nested in a naming cue's object), is a naming cue (:data:`NAMING_CUE_WORDS`).

    Example:
        >>> from stance.types import Span
        >>> text = 'Aides said the ruling was a "huge win for voters." Polls open at 8.'
        >>> cut = Statement(source=Span.from_offsets(text, 0, 5),
        ...     cue=Span.from_offsets(text, 6, 10), content=Span.from_offsets(text, 11, 27),
        ...     label="assertion", score=0.9, scores={})
        >>> through_partial_quote(text, cut, [cut], 30).content.text
        'the ruling was a "huge win for voters'
    """
    content = statement.content
    opening = _OPENING_QUOTE.match(text, content.end)
    if opening is None:
        return statement
    mark = opening.group(1)
    closing = text.find(_CLOSING_QUOTE[mark], opening.end())
    # A closing single quote followed by a letter is an apostrophe ("we’ve"), not the close.
    while mark == "‘" and closing >= 0 and text[closing + 1 : closing + 2].isalpha():
        closing = text.find("’", closing + 1)
    if closing < 0 or "\n" in text[opening.end() : closing]:
        return statement
    if len(_WORD.findall(text, opening.end(), closing)) > max_words:
        return statement
    for other in statements:
        naming = not NAMING_CUE_WORDS.isdisjoint(_WORD.findall(other.cue.text.lower()))
        if naming and (other is statement or other.content.end == content.end):
            return statement
    return _content_grown_to(text, statement, statements, closing)


def back_to_quote_start(
    text: str, statement: Statement, statements: Sequence[Statement], max_words: int
) -> Statement:
    """The statement with a content that starts inside a quoted passage grown back to the
    passage's opening mark, when at most ``max_words`` words lie between, no span of any of
    ``statements`` (this one's included) does, and the words are not a lone conjunction.

    Example:
        >>> from stance.types import Span
        >>> text = '"As a city, we will keep the bridge open," she said.'
        >>> cut = Statement(source=Span.from_offsets(text, 43, 46),
        ...     cue=Span.from_offsets(text, 47, 51), content=Span.from_offsets(text, 12, 40),
        ...     label="assertion", score=0.9, scores={})
        >>> back_to_quote_start(text, cut, [cut], 30).content.text
        'As a city, we will keep the bridge open'
    """
    content = statement.content
    opening = open_quote_before(text, content.start)
    if opening is None:
        return statement
    lead_in = _WORD.findall(text, opening + 1, content.start)
    if not lead_in or len(lead_in) > max_words:
        return statement
    if len(lead_in) == 1 and lead_in[0].lower() in _CONJUNCTIONS:
        return statement
    for other in statements:
        for span in (other.source, other.cue, other.content):
            if span is not None and span.start < content.start and span.end > opening + 1:
                return statement
    return _with_content(text, statement, opening + 1, content.end)


def statements_by_paragraph(
    breaks: Sequence[int], statements: Sequence[Statement]
) -> dict[int, list[Statement]]:
    r"""The statements with a span in each paragraph, by paragraph number (the count of line
    breaks, at offsets ``breaks``, before it).

    Example:
        >>> from stance.types import Span
        >>> text = "Ana said so.\nBo said no."
        >>> st = Statement(source=Span.from_offsets(text, 13, 15),
        ...     cue=Span.from_offsets(text, 16, 20), content=Span.from_offsets(text, 21, 23),
        ...     label="denial", score=0.9, scores={})
        >>> sorted(statements_by_paragraph([12], [st]))
        [1]
    """
    nearby: dict[int, list[Statement]] = {}
    for st in statements:
        touched: set[int] = set()
        for span in (st.source, st.cue, st.content):
            if span is not None:
                first = bisect.bisect_left(breaks, span.start)
                touched.update(range(first, bisect.bisect_left(breaks, span.end - 1) + 1))
        for paragraph in touched:
            nearby.setdefault(paragraph, []).append(st)
    return nearby


def whole_word_starts(text: str, statement: Statement) -> Statement:
    """The statement with each span that starts after a word's apostrophe ("Nervo'|s") moved
    to a word boundary: past the rest of the word when the word's first part ends another of
    the statement's spans (the source "Nervo" before the cue "'s conclusion": a possessive
    stays out of both, as in the guidelines), else back to the word's start ("didn't"). After
    one of :data:`CONTRACTING_WORDS` that is the source the "'s" is "has" or "is", the
    auxiliary of the cue's verb group: the cue starts at the apostrophe ("He" + "'s said").

    Example:
        >>> from stance.types import Span
        >>> text = "Nervo's conclusion that judges erred is not shared."
        >>> st = Statement(source=Span.from_offsets(text, 0, 5),
        ...     cue=Span.from_offsets(text, 6, 18), content=Span.from_offsets(text, 24, 36),
        ...     label="assertion", score=0.9, scores={})
        >>> whole_word_starts(text, st).cue.text
        'conclusion'
        >>> text = "He's said the plan is dead."
        >>> st = Statement(source=Span.from_offsets(text, 0, 2),
        ...     cue=Span.from_offsets(text, 3, 9), content=Span.from_offsets(text, 10, 26),
        ...     label="assertion", score=0.9, scores={})
        >>> whole_word_starts(text, st).cue.text
        "'s said"
    """
    parts = {"source": statement.source, "cue": statement.cue, "content": statement.content}
    moved: dict[str, Span] = {}
    for name, span in parts.items():
        if span is None:
            continue
        start = span.start
        if start < 2 or not text[start].isalnum():
            continue
        if text[start - 1] not in _APOSTROPHES or not text[start - 2].isalnum():
            continue
        ends_another = any(
            other is not None and other is not span and other.end == start - 1
            for other in parts.values()
        )
        # The word part right before this apostrophe ("He" of "He's"); the move back below
        # walks further, over inner apostrophes too ("rock'n'|roll"), to the whole word's start.
        word_start = start - 1
        while word_start > 0 and text[word_start - 1].isalnum():
            word_start -= 1
        contracted = text[word_start : start - 1].lower() in CONTRACTING_WORDS
        if ends_another and name == "cue" and contracted:
            new_start = start - 1  # "He" + "'s said": the auxiliary, from its apostrophe
        elif ends_another:
            # Past the clitic and the spaces after it: "'s conclusion" -> "conclusion".
            new_start = start
            while new_start < span.end and not text[new_start].isspace():
                new_start += 1
            while new_start < span.end and text[new_start].isspace():
                new_start += 1
        else:
            new_start = start - 1
            while new_start > 0 and (
                text[new_start - 1].isalnum()
                or (
                    text[new_start - 1] in _APOSTROPHES
                    and text[new_start - 2 : new_start - 1].isalnum()
                )
            ):
                new_start -= 1
        if new_start < span.end:
            moved[name] = Span.from_offsets(text, new_start, span.end)
    return dataclasses.replace(statement, **moved) if moved else statement


def contracted_auxiliary_to_cue(text: str, statement: Statement) -> Statement:
    """The statement with a contracted auxiliary its source ends on, right before its cue,
    moved into the cue (:data:`CONTRACTED_AUXILIARIES`); unchanged otherwise.

    Example:
        >>> from stance.types import Span
        >>> text = "He's said the plan is dead."
        >>> st = Statement(source=Span.from_offsets(text, 0, 4),
        ...     cue=Span.from_offsets(text, 5, 9), content=Span.from_offsets(text, 10, 26),
        ...     label="assertion", score=0.9, scores={})
        >>> moved = contracted_auxiliary_to_cue(text, st)
        >>> moved.source.text, moved.cue.text
        ('He', "'s said")
        >>> text = "Reyes's aide said the plan is dead."  # a possessive stays
        >>> st = Statement(source=Span.from_offsets(text, 0, 11),
        ...     cue=Span.from_offsets(text, 12, 16), content=Span.from_offsets(text, 17, 34),
        ...     label="assertion", score=0.9, scores={})
        >>> contracted_auxiliary_to_cue(text, st) is st
        True
    """
    source, cue = statement.source, statement.cue
    if source is None or cue.start < source.end or text[source.end : cue.start].strip():
        return statement
    match = re.search(r"(\w+)([" + _APOSTROPHES + r"])(\w+)$", text[source.start : source.end])
    if match is None:
        return statement
    word, auxiliary = match.group(1).lower(), match.group(3).lower()
    if word not in CONTRACTED_AUXILIARIES.get(auxiliary, ()):
        return statement
    apostrophe = source.start + match.start(2)
    return dataclasses.replace(
        statement,
        source=Span.from_offsets(text, source.start, apostrophe),
        cue=Span.from_offsets(text, apostrophe, cue.end),
    )


def is_source_end_adverb(word: str) -> bool:
    """Whether ``word`` is an adverb a source may end on by mistake (lowercase only: a name
    such as "Kelly" is never one).

    Example:
        >>> [is_source_end_adverb(w) for w in ("publicly", "also", "family", "Kelly", "fly")]
        [True, True, False, False, False]
    """
    ly_adverb = word.endswith("ly") and len(word) > 4 and word not in LY_NOUNS
    return word.islower() and (word in SOURCE_END_ADVERBS or ly_adverb)


def source_without_trailing_adverbs(text: str, statement: Statement) -> Statement:
    """The statement with the adverbs its source ends on, right before its cue, left out
    (with the commas around them: "Marsh, however" -> "Marsh", and a word grading one:
    "leaders almost universally" -> "leaders"); a source that is nothing but adverbs is kept as
    it is.

    Example:
        >>> from stance.types import Span
        >>> text = "The mayor separately said the library had closed."
        >>> st = Statement(source=Span.from_offsets(text, 0, 20),
        ...     cue=Span.from_offsets(text, 21, 25), content=Span.from_offsets(text, 26, 49),
        ...     label="assertion", score=0.9, scores={})
        >>> source_without_trailing_adverbs(text, st).source.text
        'The mayor'
    """
    source, cue = statement.source, statement.cue
    if source is None or not source.end <= cue.start or text[source.end : cue.start].strip(" ,"):
        return statement
    end = source.end
    while True:
        word_start = end
        while word_start > source.start and text[word_start - 1].isalpha():
            word_start -= 1
        before = text[source.start : word_start].rstrip(" ,")
        word = text[word_start:end]
        grades = end < source.end and word in DEGREE_WORDS
        if word_start == end or not before or not (is_source_end_adverb(word) or grades):
            break
        if text[word_start - 1 : word_start] not in (" ", ","):
            break  # "well-publicly": inside a word, not an adverb of its own
        end = source.start + len(before)
    if end == source.end:
        return statement
    return dataclasses.replace(statement, source=Span.from_offsets(text, source.start, end))


def content_after_its_cue(text: str, statement: Statement) -> Statement | None:
    """The statement with a content that starts inside its own cue started after the cue and
    the spaces after it (None if nothing is left).

    Example:
        >>> from stance.types import Span
        >>> text = "An aide told him the nominee had paid no tax."
        >>> st = Statement(source=Span.from_offsets(text, 0, 6),
        ...     cue=Span.from_offsets(text, 7, 16), content=Span.from_offsets(text, 12, 44),
        ...     label="assertion", score=0.9, scores={})
        >>> content_after_its_cue(text, st).content.text
        'the nominee had paid no tax'
    """
    cue, content = statement.cue, statement.content
    if not cue.start < content.start < cue.end:
        return statement
    start = cue.end
    while start < content.end and text[start].isspace():
        start += 1
    moved = _with_content(text, statement, start, content.end) if start < content.end else None
    return moved if moved is not None and moved.content.end > moved.content.start else None


def finalize(text: str, statements: Sequence[Statement]) -> list[Statement]:
    """Sorts statements by content then cue start and drops duplicates: exact span duplicates,
    and statements sharing a content (:func:`one_per_content`, unless
    :data:`ONE_STATEMENT_PER_CONTENT_GAP_WORDS` is -1). Spans are first moved off word pieces
    after an apostrophe (:func:`whole_word_starts`, unless :data:`WHOLE_WORD_STARTS` is off),
    a pronoun's contracted auxiliary goes from the source to the cue
    (:func:`contracted_auxiliary_to_cue`, unless :data:`CONTRACTED_AUXILIARY_TO_CUE` is off),
    sources end before the adverbs that part them from their cue
    (:func:`source_without_trailing_adverbs`, unless :data:`SOURCE_WITHOUT_TRAILING_ADVERBS`
    is off),
    contents that start inside their cue start after it (:func:`content_after_its_cue`, unless
    :data:`CONTENT_AFTER_ITS_CUE` is off),
    contents are kept within one paragraph (:func:`within_paragraph`, unless
    :data:`CONTENT_WITHIN_PARAGRAPH` is off), statements whose content reaches back over a
    paragraph break to its cue are dropped
    (:func:`reaches_back_over_paragraph`, unless :data:`CONTENT_BEFORE_CUE_IN_ITS_PARAGRAPH`
    is off); a content that starts inside a quote is grown back to its opening mark
    (:func:`back_to_quote_start`, unless :data:`QUOTE_HEAD_MAX_WORDS` is -1), a content cut at
    a partial quote's opening mark is grown through it
    (:func:`through_partial_quote`, unless :data:`PARTIAL_QUOTE_MAX_WORDS` is -1), and one cut
    after a dangling word or short of the mark before its source runs on to that punctuation
    mark (:func:`run_on_to_phrase_end`, :data:`DANGLING_CONTENT_RUN_WORDS`,
    :data:`CONTENT_BEFORE_CUE_RUN_WORDS`)."""
    if WHOLE_WORD_STARTS:
        statements = [whole_word_starts(text, st) for st in statements]
    if CONTRACTED_AUXILIARY_TO_CUE:
        statements = [contracted_auxiliary_to_cue(text, st) for st in statements]
    if SOURCE_WITHOUT_TRAILING_ADVERBS:
        statements = [source_without_trailing_adverbs(text, st) for st in statements]
    if CONTENT_AFTER_ITS_CUE:
        after_cue = (content_after_its_cue(text, st) for st in statements)
        statements = [st for st in after_cue if st is not None]
    if CONTENT_WITHIN_PARAGRAPH:
        cut = (within_paragraph(text, st) for st in statements)
        statements = [st for st in cut if st is not None]
    if CONTENT_BEFORE_CUE_IN_ITS_PARAGRAPH:
        statements = [st for st in statements if not reaches_back_over_paragraph(text, st)]
    if QUOTE_HEAD_MAX_WORDS >= 0:
        # Only statements in a content's own paragraph can have a span inside its quote: the
        # check stays linear on long texts.
        breaks = [match.start() for match in re.finditer("\n", text)]
        nearby = statements_by_paragraph(breaks, statements)
        statements = [
            back_to_quote_start(
                text, st, nearby[bisect.bisect_left(breaks, st.content.start)], QUOTE_HEAD_MAX_WORDS
            )
            for st in statements
        ]
    if PARTIAL_QUOTE_MAX_WORDS >= 0:
        statements = [
            through_partial_quote(text, st, statements, PARTIAL_QUOTE_MAX_WORDS)
            for st in statements
        ]
    statements = [
        run_on_to_phrase_end(
            text, st, statements, DANGLING_CONTENT_RUN_WORDS, CONTENT_BEFORE_CUE_RUN_WORDS
        )
        for st in statements
    ]
    unique: dict[tuple[Any, ...], Statement] = {}
    for st in statements:
        key = st.span_key()
        # Ties by label too, so the survivor does not depend on the order batches finished in.
        if key not in unique or (st.score, st.label) > (unique[key].score, unique[key].label):
            unique[key] = st
    kept: Sequence[Statement] = list(unique.values())
    if ONE_STATEMENT_PER_CONTENT_GAP_WORDS >= 0:
        kept = one_per_content(text, kept, ONE_STATEMENT_PER_CONTENT_GAP_WORDS)
    return sorted(kept, key=Statement.sort_key)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, where the OS has one).

    Example:
        >>> usable_cores() >= 1
        True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def cues_near_edges(
    windows: Sequence[Window],
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    context: int,
) -> np.ndarray:
    """Which cues (window ``rows``, token ``[starts, ends)``) have fewer than ``context`` tokens
    between them and an edge of their window that lies inside the text.

    Example:
        >>> ids = np.arange(200)
        >>> offsets = np.stack([ids, ids + 1], 1)
        >>> first = Window(0, ids[:98], offsets[:98], 1, 60, doc_ids=ids, doc_offsets=offsets)
        >>> cues_near_edges([first], np.array([0, 0]), np.array([3, 80]), np.array([4, 81]), 40)
        array([False,  True])
    """
    if not len(rows):
        return np.zeros(0, dtype=bool)
    before = np.empty(len(rows), dtype=np.int64)
    after = np.empty(len(rows), dtype=np.int64)
    for i, (row, start, end) in enumerate(zip(rows.tolist(), starts, ends, strict=True)):
        window = windows[row]
        start_inside, end_inside = inside_edges(window)
        before[i] = start - 1 if start_inside else context
        after[i] = len(window) - 1 - end if end_inside else context
    return np.minimum(before, after) < context


def inside_edges(window: Window) -> tuple[bool, bool]:
    """Whether the window's first and its last edge lie inside the text: a text's own start and
    end are no edge, nor is any of a window without document tokens (nothing to read it again
    in).

    Example:
        >>> ids = np.arange(200)
        >>> offsets = np.stack([ids, ids + 1], 1)
        >>> inside_edges(Window(0, ids[:10], offsets[:10], 1, 9, doc_ids=ids,
        ...                     doc_offsets=offsets, start=50))
        (True, True)
        >>> inside_edges(Window(0, ids[:10], offsets[:10], 1, 9, doc_ids=ids,
        ...                     doc_offsets=offsets, start=192))
        (True, False)
    """
    if window.doc_ids is None:
        return False, False
    real = len(window) - 2  # window positions 1..real hold text tokens
    return window.start > 0, window.start + real < len(window.doc_ids)


def edge_margins(
    windows: Sequence[Window], rows: np.ndarray, width: int, margin: int
) -> np.ndarray:
    """For each of the windows ``rows`` (padded to ``width``), which positions are a window's
    outermost text token at an edge inside the text, or ``margin`` tokens further in: [N, width].

    Example:
        >>> ids = np.arange(200)
        >>> offsets = np.stack([ids, ids + 1], 1)
        >>> w = Window(0, ids[:10], offsets[:10], 1, 9, doc_ids=ids, doc_offsets=offsets,
        ...            start=50)
        >>> edge_margins([w], np.array([0]), 12, 1)[0].astype(int).tolist()
        [0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]
    """
    near = np.zeros((len(rows), width), dtype=bool)
    for i, row in enumerate(rows.tolist()):
        window = windows[row]
        start_inside, end_inside = inside_edges(window)
        real = len(window) - 2  # window positions 1..real hold text tokens
        if start_inside:
            near[i, 1 : 2 + margin] = True
        if end_inside:
            near[i, max(real - margin, 1) : real + 1] = True
    return near


def cut_at_edges(
    windows: Sequence[Window], rows: np.ndarray, role_tags: np.ndarray, margin: int
) -> np.ndarray:
    """Which cues' first readings (``role_tags`` [N, T] of the windows ``rows``) tagged source or
    content within ``margin`` tokens of an edge of the window inside the text
    (:func:`edge_margins`), or no content: they are read again.

    Example:
        >>> ids = np.arange(200)
        >>> offsets = np.stack([ids, ids + 1], 1)
        >>> w = Window(0, ids[:10], offsets[:10], 1, 9, doc_ids=ids, doc_offsets=offsets,
        ...            start=50)
        >>> tags = np.zeros((3, 10), dtype=np.int64)
        >>> tags[0, 4:6] = _I_CON  # a content in the middle: not cut
        >>> tags[1, 1:3] = _I_CON  # a content from the window's first token: cut
        >>> cut_at_edges([w, w, w], np.array([0, 0, 0]), tags, 0).tolist()  # the third: none
        [False, True, True]
    """
    in_content = (role_tags == _B_CON) | (role_tags == _I_CON)
    in_role = in_content | (role_tags == _B_SRC) | (role_tags == _I_SRC)
    near = edge_margins(windows, rows, role_tags.shape[1], margin)
    return (in_role & near).any(1) | ~in_content.any(1)


def reread_windows(
    windows: Sequence[Window],
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    size: int,
    context: int,
) -> tuple[list[Window], np.ndarray, np.ndarray, np.ndarray]:
    """Windows of ``size`` tokens centred on the given cues, and the cues' places in them.

    The cues of one window that fit together with ``context`` tokens on each side share a new
    window; cues of different windows never do, so what a cue is read in depends on its own
    window only, not on the batch.

    Returns:
        The new windows, and for each cue (in the order given) its new window's index and its
        token range there.

    Example:
        >>> ids = np.arange(300)
        >>> offsets = np.stack([ids, ids + 1], 1)
        >>> w = Window(0, ids[:98], offsets[:98], 1, 60, doc_ids=ids, doc_offsets=offsets,
        ...            start=100)
        >>> new, r, s, e = reread_windows([w], np.array([0]), np.array([90]), np.array([91]),
        ...                               96, 40)
        >>> new[0].start, r.tolist(), s.tolist(), e.tolist()
        (141, [0], [49], [50])
    """
    # Positions in the document's tokens (window position 1 is the window's first token).
    firsts = np.array([windows[r].start for r in rows.tolist()], dtype=np.int64) + starts - 1
    lasts = firsts + (ends - starts)
    order = np.lexsort((firsts, rows))
    span = max(size - 2 * context, 0)
    new: list[Window] = []
    cue_rows = np.empty(len(rows), dtype=np.int64)
    group: list[int] = []

    def close(group: list[int]) -> None:
        window = windows[rows[group[0]]]
        first, last = int(firsts[group[0]]), int(lasts[group[-1]])
        centre = (first + last) // 2
        doc_tokens = len(window.doc_ids)  # type: ignore[arg-type]
        start = min(max(centre - size // 2, 0), max(doc_tokens - size, 0))
        new.append(window_at(window, start, size))
        cue_rows[group] = len(new) - 1

    for i in order.tolist():
        if group and (rows[i] != rows[group[0]] or lasts[i] - firsts[group[0]] > span):
            close(group)
            group = []
        group.append(i)
    if group:
        close(group)
    new_starts = np.array([new[r].start for r in cue_rows.tolist()], dtype=np.int64)
    return new, cue_rows, firsts - new_starts + 1, lasts - new_starts + 1


class Predictor:
    """Runs a :class:`Backend` over texts of any length.

    The tokenizer is not shared between threads (fast tokenizers are not thread-safe); the
    backends' forward passes are, so one Predictor may serve several threads.

    With ``workers`` > 1, :meth:`predict` runs that many batches at once, each in its own
    thread. That is how the ONNX backend uses several cores: one single-threaded forward pass
    per core beats one pass whose every small operator is split across the cores (the
    operators of a 96-token window are too small to amortise the hand-over), and the decoding
    of one batch overlaps the forward pass of another. Results do not change: a window's
    output does not depend on its batch, and each document's speaker state keeps what the
    earliest window gave whatever order the batches finish in.

    Args:
        backend: The forward passes.
        tokenizer: A :class:`stance.tokenization.WordPieceTokenizer`.
        labels: Stance labels in the order of the stance head's outputs.
        window_length: Tokens per window, special tokens included.
        window_overlap: Tokens shared by consecutive windows.
        token_budget: Padded tokens per forward pass when ``predict`` is given no batch size.
        max_token_budget: An upper bound on any pass (``None``: none).
        workers: Batches run at once by :meth:`predict` (threads; 1: one after the other).
    """

    def __init__(
        self,
        backend: Backend,
        tokenizer: Any,
        labels: Sequence[str],
        window_length: int,
        window_overlap: int,
        token_budget: int = 8192,
        max_token_budget: int | None = None,
        workers: int = 1,
    ):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.backend = backend
        self.token_budget = token_budget
        self.max_token_budget = max_token_budget
        self.workers = workers
        self._tokenizer = tokenizer
        # Read once here, so worker threads never touch the (thread-unsafe) tokenizer.
        self.pad_token_id: int = tokenizer.pad_token_id
        #: Vocabulary ids of :data:`DANGLING_WORDS`.
        self._dangling_ids: np.ndarray = tokenizer.token_ids(DANGLING_WORDS)
        #: Vocabulary ids of day and month names, which a source does not grow over.
        self._calendar_ids: np.ndarray = tokenizer.token_ids(sorted(CALENDAR_WORDS))
        #: Vocabulary ids of the apostrophes and "s" of :data:`POSSESSIVE_PIECES`.
        self._apostrophe_ids: np.ndarray = tokenizer.token_ids(POSSESSIVE_PIECES[:-1])
        self._s_id: int = int(tokenizer.token_ids(POSSESSIVE_PIECES[-1:])[0])
        self._contracting_ids: np.ndarray = tokenizer.token_ids(CONTRACTING_WORDS)
        self._quote_id: int = int(tokenizer.token_ids(['"'])[0])
        #: True on the vocabulary ids of word pieces that continue a word.
        self._continues_word: np.ndarray = tokenizer.continues_word()
        #: Vocabulary ids of :data:`AUXILIARY_CUE_WORDS`.
        self._auxiliary_ids: np.ndarray = tokenizer.token_ids(AUXILIARY_CUE_WORDS)
        #: Vocabulary ids of :data:`COORDINATING_CUE_WORDS` and :data:`CORRELATIVE_CUE_WORDS`.
        self._coordinating_ids: np.ndarray = tokenizer.token_ids(COORDINATING_CUE_WORDS)
        self._correlative_ids: np.ndarray = tokenizer.token_ids(CORRELATIVE_CUE_WORDS)
        self._local = threading.local()
        self.labels: list[str] = list(labels)
        self.window_length = window_length
        self.window_overlap = window_overlap

    @property
    def tokenizer(self) -> Any:
        """A tokenizer private to the calling thread."""
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            tokenizer = copy.deepcopy(self._tokenizer)
            self._local.tokenizer = tokenizer
        return tokenizer

    def windows(self, texts: Sequence[str]) -> list[Window]:
        """Token windows of ``texts`` (read with their quote marks normalised, offsets into the
        texts as given)."""
        normalized = [normalize_quotes(text) for text in texts]
        return make_windows(
            self.tokenizer,
            normalized,
            self.window_length,
            self.window_overlap,
            align_to_sentences=ALIGN_WINDOWS_TO_SENTENCES,
        )

    def predict_windows(
        self, texts: Sequence[str], windows: Sequence[Window]
    ) -> list[list[Statement]]:
        """Statements for ``texts`` from one batch of their windows, grouped per text index."""
        found: list[list[Statement]] = [[] for _ in texts]
        speakers = self._speaker_state(texts)
        self._predict_batch(texts, windows, found, speakers)
        return self._with_speakers(texts, found, speakers)

    def _speaker_state(self, texts: Sequence[str]) -> list[DocumentSpeakers] | None:
        if not getattr(self.backend, "has_speakers", False):
            return None
        return [DocumentSpeakers() for _ in texts]

    def _with_speakers(
        self,
        texts: Sequence[str],
        found: list[list[Statement]],
        speakers: list[DocumentSpeakers] | None,
    ) -> list[list[Statement]]:
        """``found`` with each statement's speaker filled in (when the model resolves them)."""
        if speakers is None:
            return found
        result = []
        for text, statements, doc in zip(texts, found, speakers, strict=True):
            resolved = doc.resolve(text, self.backend)  # type: ignore[arg-type]
            result.append(
                [
                    st
                    if st.source is None
                    else dataclasses.replace(
                        st, speaker=resolved.get((st.source.start, st.source.end))
                    )
                    for st in statements
                ]
            )
        return result

    def _collect_mentions(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        states: Any,
        inner: np.ndarray,
        speakers: list[DocumentSpeakers],
    ) -> None:
        """Tags the speaker mentions of a batch and records their pooled states per document."""
        probs = self.backend.tag_mentions(states)
        in_mention = (probs[..., _B_MEN] + probs[..., _I_MEN]) >= MENTION_MIN_PROBABILITY
        begin_or_inside = np.where(probs[..., _B_MEN] >= probs[..., _I_MEN], _B_MEN, _I_MEN)
        tags = np.where(inner & in_mention, begin_or_inside, _O)
        # Word pieces of one name sometimes come out as two spans ("Ferreira-" + "Ostrov").
        rows, starts, ends = bio_spans_2d(tags, _B_MEN, _I_MEN, merge_adjacent=True)
        core_start = np.array([w.core_start for w in windows], dtype=np.int64)
        core_end = np.array([w.core_end for w in windows], dtype=np.int64)
        own = (starts >= core_start[rows]) & (starts < core_end[rows])
        rows, starts, ends = rows[own], starts[own], ends[own]
        if len(rows):
            vectors = self.backend.pool(states, rows, _ranges_mask(starts, ends, tags.shape[1]))
            for row, start, end, vector in zip(rows.tolist(), starts, ends, vectors, strict=True):
                window = windows[row]
                text = texts[window.doc_index]
                span = whole_name(text, char_span(text, window, start, end))
                if span is not None:
                    speakers[window.doc_index].add_mention(span, vector)
        self._collect_names(texts, windows, states, tags.shape[1], speakers)

    def _collect_names(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        states: Any,
        width: int,
        speakers: list[DocumentSpeakers],
    ) -> None:
        """Records the proper-name runs in each window's core with their pooled states: the
        candidates the mention tagger missed (:func:`stance.speakers.name_runs`). A document
        has several times more runs than tagged mentions, so their states are kept in float16
        (a 1 MB input holds tens of thousands until the speakers are resolved)."""
        found: list[tuple[int, int, int, tuple[int, int]]] = []
        for row, window in enumerate(windows):
            text = texts[window.doc_index]
            doc = speakers[window.doc_index]
            real = window.offsets[window.offsets[:, 0] >= 0]
            if not len(real):  # a text of no tokens ("\x00")
                continue
            core_first = int(window.offsets[window.core_start, 0])
            core_last = int(window.offsets[window.core_end - 1, 1])
            # Runs are searched in the whole window, so one crossing the core's end stays
            # whole; the window whose core holds a run's first character records it.
            for key in name_runs(text, int(real[0, 0]), int(real[-1, 1]), doc.common_words(text)):
                if core_first <= key[0] < core_last:
                    tokens = char_to_tokens(window.offsets, *key)
                    if tokens is not None:
                        found.append((row, *tokens, key))
        if not found:
            return
        rows, starts, ends, _ = zip(*found, strict=True)
        mask = _ranges_mask(np.array(starts), np.array(ends), width)
        vectors = self.backend.pool(states, np.array(rows, dtype=np.int64), mask)
        for (row, _, _, key), vector in zip(found, vectors.astype(np.float16), strict=True):
            speakers[windows[row].doc_index].add_name(key, vector)

    def _predict_batch(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        found: list[list[Statement]],
        speakers: list[DocumentSpeakers] | None = None,
    ) -> None:
        if not windows:
            return
        ids, attention = pad_batch(windows, self.pad_token_id)
        states, cue_probs = self.backend.encode(ids, attention)
        token_masks = self._token_masks(windows, ids, attention)
        inner = token_masks.inner
        if speakers is not None:
            self._collect_mentions(texts, windows, states, inner, speakers)
        cue_tags = np.where(inner, cue_probs.argmax(-1), _O)
        rows, starts, ends = bio_spans_2d(
            cue_tags,
            _B_CUE,
            _I_CUE,
            merge_adjacent=MERGE_ADJACENT_CUES,
            continues_word=token_masks.continues_word if WHOLE_WORD_CUES else None,
        )
        if JOIN_AUXILIARY_CUES and len(rows):
            opens_on_auxiliary = np.isin(ids[rows, starts], self._auxiliary_ids)
            rows, starts, ends = join_into_next(rows, starts, ends, opens_on_auxiliary)
        in_cue = cue_probs[..., _B_CUE] + cue_probs[..., _I_CUE]
        confident = span_means(in_cue, rows, starts, ends) >= CUE_MIN_CONFIDENCE
        rows, starts, ends = rows[confident], starts[confident], ends[confident]
        if WHOLE_WORD_CUES and len(rows):
            # After the confidence check, which reads the pieces the tagger marked.
            starts, ends = whole_words(rows, starts, ends, token_masks.continues_word, inner)
        if JOIN_COORDINATED_CUES and len(rows):
            rows, starts, ends = join_coordinated(
                rows, starts, ends,
                np.isin(ids, self._coordinating_ids) & inner,
                np.isin(ids, self._correlative_ids) & inner,
            )  # fmt: skip
        core_start = np.array([w.core_start for w in windows], dtype=np.int64)
        core_end = np.array([w.core_end for w in windows], dtype=np.int64)
        # A cue is read only in the window whose core holds its first token: no duplicates.
        own = (starts >= core_start[rows]) & (starts < core_end[rows])
        rows, starts, ends = rows[own], starts[own], ends[own]
        if REREAD_CONTEXT_TOKENS >= 0 and len(rows):
            near_edge = cues_near_edges(windows, rows, starts, ends, REREAD_CONTEXT_TOKENS)
            if REREAD_EDGE_TOKENS >= 0 and near_edge.any():
                near_edge[near_edge] = self._cut_at_edges(
                    windows, states, attention, inner, rows[near_edge], starts[near_edge],
                    ends[near_edge],
                )  # fmt: skip
            if near_edge.any():
                self._read_again(
                    texts, windows, rows[near_edge], starts[near_edge], ends[near_edge], found,
                    speakers,
                )  # fmt: skip
                rows, starts, ends = rows[~near_edge], starts[~near_edge], ends[~near_edge]
        self._read_all_pairs(
            texts, windows, states, attention, token_masks, rows, starts, ends, found, speakers
        )

    def _cut_at_edges(
        self,
        windows: Sequence[Window],
        states: Any,
        attention: np.ndarray,
        inner: np.ndarray,
        rows: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ) -> np.ndarray:
        """:func:`cut_at_edges` for the cues ``rows, starts, ends``, from their role tags in
        their own windows (the role head only: no encoder pass)."""
        cut = np.empty(len(rows), dtype=bool)
        for begin in range(0, len(rows), MAX_PAIRS_PER_PASS):
            chunk = slice(begin, begin + MAX_PAIRS_PER_PASS)
            cue_mask = _ranges_mask(starts[chunk], ends[chunk], attention.shape[1])
            _, role_probs = self.backend.read_cues(states, attention, rows[chunk], cue_mask)
            role_tags = np.where(inner[rows[chunk]], role_probs.argmax(-1), _O)
            cut[chunk] = cut_at_edges(windows, rows[chunk], role_tags, REREAD_EDGE_TOKENS)
        return cut

    def _token_masks(
        self, windows: Sequence[Window], ids: np.ndarray, attention: np.ndarray
    ) -> TokenMasks:
        """The span rules' masks of a padded batch [B, T]."""
        dangling = (
            np.isin(ids, self._dangling_ids)
            if CONTENT_TAIL_MIN_PROBABILITY <= 1
            or SOURCE_TAIL_MIN_PROBABILITY <= 1
            or SOURCE_TAIL_TRIM
            else None
        )
        return TokenMasks(
            inner=tag_positions(attention),
            dangling=dangling,
            calendar=np.isin(ids, self._calendar_ids),
            possessive=possessive_markers(
                ids, self._apostrophe_ids, self._s_id, self._contracting_ids
            ),
            continues_word=self._continues_word[ids],
            opening_quote=opening_quotes(windows, ids == self._quote_id),
        )

    def _read_all_pairs(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        states: Any,
        attention: np.ndarray,
        token_masks: TokenMasks,
        rows: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        found: list[list[Statement]],
        speakers: list[DocumentSpeakers] | None,
    ) -> None:
        """:meth:`_read_pairs` over the cues ``rows, starts, ends``, a bounded number a pass."""
        for begin in range(0, len(rows), MAX_PAIRS_PER_PASS):
            chunk = slice(begin, begin + MAX_PAIRS_PER_PASS)
            self._read_pairs(
                texts, windows, states, attention, token_masks, rows[chunk], starts[chunk],
                ends[chunk], found, speakers,
            )  # fmt: skip

    def _read_again(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        rows: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        found: list[list[Statement]],
        speakers: list[DocumentSpeakers] | None,
    ) -> None:
        """Reads the cues ``rows, starts, ends`` (found near their windows' edges) in windows
        centred on them (:func:`reread_windows`)."""
        again, cue_rows, cue_starts, cue_ends = reread_windows(
            windows, rows, starts, ends, self.window_length - 2, REREAD_CONTEXT_TOKENS
        )
        # Cue-dense text has more cues near edges than windows: passes of at most the batch's
        # own window count keep memory within what the batch's token budget allowed.
        per_pass = len(windows)
        for first in range(0, len(again), per_pass):
            chunk = again[first : first + per_pass]
            mine = (cue_rows >= first) & (cue_rows < first + per_pass)
            ids, attention = pad_batch(chunk, self.pad_token_id)
            states, _ = self.backend.encode(ids, attention)
            self._read_all_pairs(
                texts, chunk, states, attention, self._token_masks(chunk, ids, attention),
                cue_rows[mine] - first, cue_starts[mine], cue_ends[mine], found, speakers,
            )  # fmt: skip

    def _read_pairs(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        states: Any,
        attention: np.ndarray,
        token_masks: TokenMasks,
        pair_window: np.ndarray,
        cue_starts: np.ndarray,
        cue_ends: np.ndarray,
        found: list[list[Statement]],
        speakers: list[DocumentSpeakers] | None = None,
    ) -> None:
        """Decodes the source, contents and stance of each (window, cue) pair into ``found``."""
        n_pairs, width = len(pair_window), attention.shape[1]
        inner, dangling, calendar = token_masks.inner, token_masks.dangling, token_masks.calendar
        cue_mask = _ranges_mask(cue_starts, cue_ends, width)
        pair_states, role_probs = self.backend.read_cues(states, attention, pair_window, cue_mask)
        role_tags = np.where(inner[pair_window], role_probs.argmax(-1), _O)
        src_probs = role_probs[..., _B_SRC] + role_probs[..., _I_SRC]
        in_content = (role_tags == _B_CON) | (role_tags == _I_CON)
        # What a source may take in when it is bridged or grown: no content, cue or special token.
        source_joinable = inner[pair_window] & ~in_content & (cue_mask == 0)
        # What a source may run on over: the same, less day and month names ("The ministry on
        # Tuesday said").
        source_growable = source_joinable & ~calendar[pair_window]
        if SOURCE_GAP_MIN_PROBABILITY <= 1:
            role_tags = bridge_gaps(
                role_tags, src_probs, _B_SRC, _I_SRC, ~source_joinable, SOURCE_GAP_TOKENS,
                SOURCE_GAP_MIN_PROBABILITY,
            )  # fmt: skip
        if SOURCE_FALLBACK_MIN_PROBABILITY <= 1:
            role_tags = open_missing_spans(
                role_tags, _B_SRC, _I_SRC, role_probs[..., _B_SRC], src_probs,
                source_growable, SOURCE_FALLBACK_MIN_PROBABILITY,
                SOURCE_HEAD_MIN_PROBABILITY, SOURCE_FALLBACK_TOKENS,
            )  # fmt: skip

        # One source per cue: the span the tagger is surest of, by the mean of the span's peak
        # P(B-SRC) and peak P(I-SRC) (the rule the shipped model was validated with). A source
        # opened on I tags is grown back first, so its confidence counts the words it takes in.
        s_rows, s_starts, s_ends = bio_spans_2d(
            role_tags, _B_SRC, _I_SRC, merge_adjacent=MERGE_ADJACENT_SOURCES
        )
        if SOURCE_HEAD_MIN_PROBABILITY <= 1 and len(s_rows):
            s_starts = grow_edges(
                s_rows, s_starts, -1, role_tags != _B_SRC, source_joinable, src_probs,
                SOURCE_HEAD_MIN_PROBABILITY, SOURCE_HEAD_TOKENS,
            )  # fmt: skip
            # Grown back, a span can start before the one it followed: sorted again, by row
            # then start, as complete_source_ends expects.
            order = np.lexsort((s_starts, s_rows))
            s_rows, s_starts, s_ends = s_rows[order], s_starts[order], s_ends[order]
        s_conf = (
            span_maxima(role_probs[..., _B_SRC], s_rows, s_starts, s_ends)
            + span_maxima(role_probs[..., _I_SRC], s_rows, s_starts, s_ends)
        ) / 2
        best_source = best_per_row(n_pairs, s_rows, s_starts, s_conf)
        if dangling is not None and len(s_rows):
            # After the choice, as for contents: the confidence is the tagged span's.
            s_ends = complete_source_ends(
                s_rows,
                s_starts,
                s_ends,
                dangling[pair_window],
                source_growable,
                src_probs,
            )
        if SOURCE_POSSESSIVE_TOKENS > 0 and len(s_rows):
            s_ends = through_possessives(
                s_rows, s_ends, token_masks.possessive[pair_window], cue_mask > 0,
                source_growable, src_probs, SOURCE_POSSESSIVE_MIN_PROBABILITY,
                SOURCE_POSSESSIVE_TOKENS,
            )  # fmt: skip

        c_probs = role_probs[..., _B_CON] + role_probs[..., _I_CON]
        # A gap holding the source or the cue is no gap: '"A," she said, "B"' is two contents.
        in_source = (role_tags == _B_SRC) | (role_tags == _I_SRC)
        content_tags = bridge_gaps(
            role_tags, c_probs, _B_CON, _I_CON, in_source | (cue_mask > 0),
            CONTENT_GAP_TOKENS, CONTENT_GAP_MIN_PROBABILITY,
        )  # fmt: skip
        if QUOTE_OPENS_CONTENT:
            content_tags = open_after(
                content_tags, _B_CON, _I_CON, token_masks.opening_quote[pair_window]
            )
        c_rows, c_starts, c_ends = bio_spans_2d(
            content_tags, _B_CON, _I_CON, CONTENT_MIN_STRAY_TOKENS, merge_adjacent=MERGE_ADJACENT
        )
        # The confidence below is read from the tagged start: a word grown over at P 0.1 would
        # otherwise pull a sure content under the threshold and drop it whole.
        tagged_starts = c_starts
        grows_heads = CONTENT_HEAD_MIN_PROBABILITY <= 1
        grows_tails = dangling is not None and CONTENT_TAIL_MIN_PROBABILITY <= 1
        if (grows_tails or grows_heads) and len(c_rows):
            if CONTENT_TAIL_OVER_STRAYS:  # only the contents kept are off limits
                in_content = np.zeros((n_pairs, width), dtype=bool)
                np.logical_or.at(
                    in_content, c_rows, _ranges_mask(c_starts, c_ends, width).astype(bool)
                )
            else:
                in_content = (content_tags == _B_CON) | (content_tags == _I_CON)
            joinable = inner[pair_window] & ~in_content & ~in_source & (cue_mask == 0)
            if grows_heads:
                c_starts = grow_edges(
                    c_rows,
                    c_starts,
                    -1,
                    content_tags != _B_CON,
                    joinable,
                    c_probs,
                    CONTENT_HEAD_MIN_PROBABILITY,
                    CONTENT_HEAD_TOKENS,
                )
            if grows_tails:
                c_ends = grow_edges(
                    c_rows,
                    c_ends,
                    1,
                    dangling[pair_window],
                    joinable,
                    c_probs,
                    CONTENT_TAIL_MIN_PROBABILITY,
                    CONTENT_TAIL_TOKENS,
                )
        c_conf = span_means(c_probs, c_rows, tagged_starts, c_ends)
        confident = c_conf >= CONTENT_MIN_CONFIDENCE
        c_rows, c_starts, c_ends = c_rows[confident], c_starts[confident], c_ends[confident]
        if not len(c_rows):
            return

        # Character spans: Python per span (word widening needs the text), not per token.
        def span_of(p: int, start: int, end: int, cue: bool = False) -> Span | None:
            window = windows[pair_window[p]]
            return char_span(texts[window.doc_index], window, start, end, punctuation_only=cue)

        cues = [span_of(p, cue_starts[p], cue_ends[p], cue=True) for p in range(n_pairs)]
        sources = [
            span_of(p, s_starts[b], s_ends[b]) if b >= 0 else None
            for p, b in enumerate(best_source.tolist())
        ]
        if speakers is not None:
            with_source = np.array(
                [p for p, b in enumerate(best_source.tolist()) if b >= 0 and sources[p]],
                dtype=np.int64,
            )
            if len(with_source):
                chosen = best_source[with_source]
                vectors = self.backend.pool(
                    states,
                    pair_window[with_source],
                    _ranges_mask(s_starts[chosen], s_ends[chosen], width),
                )
                for p, vector in zip(with_source.tolist(), vectors, strict=True):
                    window = windows[pair_window[p]]
                    speakers[window.doc_index].add_source(
                        sources[p],  # type: ignore[arg-type]
                        vector,
                        window_start(window),
                    )
        items: list[tuple[int, Span]] = []
        keep: list[int] = []
        for q, (p, start, end) in enumerate(zip(c_rows.tolist(), c_starts, c_ends, strict=True)):
            content = span_of(p, start, end)
            if content is not None and cues[p] is not None:
                items.append((p, content))
                keep.append(q)
        if not items:
            return

        def classify(keep: list[int]) -> np.ndarray:
            kept = np.asarray(keep, dtype=np.int64)
            content_mask = _ranges_mask(c_starts[kept], c_ends[kept], width)
            return self.backend.classify_stance(pair_states, cue_mask, c_rows[kept], content_mask)

        probs = classify(keep)
        best = probs.argmax(-1).tolist()

        def doc_of(p: int) -> int:
            return windows[pair_window[p]].doc_index

        if MERGE_SAME_STANCE_WORDS >= 0 and len(items) > 1:
            # Blocked: a gap holding this cue or its source separates quote parts, and one
            # holding another cue holds another statement.
            doc_cues: dict[int, list[Span | None]] = {}
            for q, cue in enumerate(cues):
                doc_cues.setdefault(doc_of(q), []).append(cue)

            def joins(i: int, j: int) -> bool:
                p = items[i][0]
                return best[i] == best[j] and is_clause_gap(
                    texts[doc_of(p)],
                    items[i][1].end,
                    items[j][1].start,
                    MERGE_SAME_STANCE_WORDS,
                    [sources[p], *doc_cues[doc_of(p)]],
                )

            groups = sibling_groups(
                [p for p, _ in items], [(c.start, c.end) for _, c in items], joins
            )
            joined = [n for n, group in enumerate(groups) if len(group) > 1]
            if joined:
                for n in joined:  # the first content grows over its group's token range
                    first, last = groups[n][0], groups[n][-1]
                    p, start, end = items[first][0], items[first][1].start, items[last][1].end
                    items[first] = (p, Span.from_offsets(texts[doc_of(p)], start, end))
                    c_ends[keep[first]] = c_ends[keep[last]]
                firsts = [group[0] for group in groups]
                items, keep, probs = (
                    [items[i] for i in firsts],
                    [keep[i] for i in firsts],
                    probs[firsts],
                )
                probs[joined] = classify([keep[n] for n in joined])  # only they are read again
                best = probs.argmax(-1).tolist()
        if CONTENT_MIN_SIBLING_WORDS > 1:  # after joining: a scrap may be part of a content
            words = [len(_WORD.findall(content.text)) for _, content in items]
            scraps = short_siblings(
                [p for p, _ in items],
                words,
                # Only a short content can be dropped, so only its quote marks are looked at.
                [
                    n < CONTENT_MIN_SIBLING_WORDS
                    and is_whole_quote(texts[doc_of(p)], c.start, c.end)
                    for (p, c), n in zip(items, words, strict=True)
                ],
                CONTENT_MIN_SIBLING_WORDS,
            )
            rest = [i for i in range(len(items)) if i not in scraps]
            items, probs, best = [items[i] for i in rest], probs[rest], [best[i] for i in rest]
        for (p, content), row, b in zip(items, probs.tolist(), best, strict=True):
            window = windows[pair_window[p]]
            found[window.doc_index].append(
                Statement(
                    source=sources[p],
                    cue=cues[p],  # type: ignore[arg-type]  # None cues have no items
                    content=content,
                    label=self.labels[b],
                    score=row[b],
                    scores=dict(zip(self.labels, row, strict=True)),
                )
            )

    def predict(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        token_budget: int | None = None,
    ) -> list[list[Statement]]:
        """Statements for each text, sorted by content start then cue start, without duplicates.

        Args:
            texts: The texts.
            batch_size: Full-length windows per forward pass; sets the token budget
                (``batch_size * window_length``) unless ``token_budget`` is given.
            token_budget: Padded tokens per forward pass; shorter windows are packed more to a
                batch. Default: the backend's (``self.token_budget``). Results do not depend
                on it.
        """
        windows = self.windows(texts)
        results: list[list[Statement]] = [[] for _ in texts]
        speakers = self._speaker_state(texts)
        batches = self.batches(windows, batch_size, token_budget)
        self.run_batches(
            lambda batch: self._predict_batch(
                texts, [windows[i] for i in batch], results, speakers
            ),
            batches,
        )
        results = self._with_speakers(texts, results, speakers)
        return [
            with_source_descriptions(text, finalize(text, statements))
            for text, statements in zip(texts, results, strict=True)
        ]

    def batches(
        self,
        windows: Sequence[Window],
        batch_size: int | None = None,
        token_budget: int | None = None,
    ) -> list[np.ndarray]:
        """The batches :meth:`predict` runs ``windows`` in (window indices per batch).

        With several workers a small input is cut into at least as many batches as there are
        workers (one window at least per batch), so one paragraph's windows run at once
        rather than one after another.

        Args:
            windows: The windows.
            batch_size: As in :meth:`predict`.
            token_budget: As in :meth:`predict`.
        """
        budget = token_budget or (
            batch_size * self.window_length if batch_size else self.token_budget
        )
        if self.max_token_budget:
            budget = min(budget, self.max_token_budget)
        lengths = [len(w) for w in windows]
        if self.workers > 1 and lengths:
            share = -(-sum(lengths) // self.workers)  # ceiling division
            budget = max(min(budget, share), max(lengths))
        return pack_windows(lengths, budget)

    def encode_only(self, batches: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Runs the encoder alone over padded batches (``pad_batch`` outputs), as
        :meth:`predict` runs its batches: the ceiling a benchmark compares it with."""
        self.run_batches(lambda batch: self.backend.encode(*batch), batches)

    def run_batches(self, run: Callable[[Any], Any], batches: Sequence[Any]) -> None:
        """Calls ``run`` on every batch, ``self.workers`` at a time (errors propagate)."""
        if self.workers == 1 or len(batches) < 2:
            # Nothing overlaps these passes: a backend that can (ONNX) gives each all the cores.
            alone = getattr(self.backend, "alone", contextlib.nullcontext)
            with alone():
                for batch in batches:
                    run(batch)
            return
        with ThreadPoolExecutor(min(self.workers, len(batches))) as pool:
            # Consuming the results re-raises the first error of any batch.
            for _ in pool.map(run, batches):
                pass

    def resolve_sources(
        self, texts: Sequence[str], sources: Sequence[Sequence[Span]]
    ) -> list[dict[tuple[int, int], Any]]:
        """The speaker of given source spans (e.g. gold ones), for evaluating resolution alone.

        Args:
            texts: The texts.
            sources: For each text, the source spans to resolve.

        Returns:
            For each text, ``{(start, end): Speaker | None}`` per source span.

        Raises:
            ValueError: if the model has no speaker head.
        """
        speakers = self._speaker_state(texts)
        if speakers is None:
            raise ValueError("this model has no speaker head: train one with speaker links")
        windows = self.windows(texts)

        def read(batch: np.ndarray) -> None:
            chosen = [windows[i] for i in batch]
            ids, attention = pad_batch(chosen, self.pad_token_id)
            inner = tag_positions(attention)
            states, _ = self.backend.encode(ids, attention)
            self._collect_mentions(texts, chosen, states, inner, speakers)
            rows, masks, spans = [], [], []
            for row, window in enumerate(chosen):
                for span in sources[window.doc_index]:
                    tokens = char_to_tokens(window.offsets, span.start, span.end)
                    # Pooled in the window whose core holds the span's first token (once).
                    if tokens and window.core_start <= tokens[0] < window.core_end:
                        rows.append(row)
                        masks.append(_ranges_mask(np.array([tokens[0]]), np.array([tokens[1]]),
                                                  attention.shape[1])[0])  # fmt: skip
                        spans.append((window, span))
            if rows:
                vectors = self.backend.pool(states, np.array(rows), np.stack(masks))
                for (window, span), vector in zip(spans, vectors, strict=True):
                    speakers[window.doc_index].add_source(span, vector, window_start(window))

        # The batches and workers predict() uses: each source is pooled by the one window
        # whose core holds its first token, so the order batches finish in does not matter.
        self.run_batches(read, self.batches(windows))
        return [doc.resolve(text, self.backend) for text, doc in zip(texts, speakers, strict=True)]  # type: ignore[arg-type]
