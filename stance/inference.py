"""Decoding statements from the model: cues, then each cue's source and contents, then stance."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from stance.configuration import CUE_TAGS, ROLE_TAGS
from stance.modeling import StanceModel
from stance.types import Span, Statement
from stance.windows import Window, bio_spans, collate, make_windows

_B_CUE, _I_CUE = CUE_TAGS.index("B-CUE"), CUE_TAGS.index("I-CUE")
_B_SRC, _I_SRC = ROLE_TAGS.index("B-SRC"), ROLE_TAGS.index("I-SRC")
_B_CON, _I_CON = ROLE_TAGS.index("B-CON"), ROLE_TAGS.index("I-CON")


#: Stray I-CON runs shorter than this are dropped (chosen on validation: content token-overlap F1
#: 0.752 keeping all, 0.869 dropping runs under 4 tokens, 0.786 dropping every stray run).
CONTENT_MIN_STRAY_TOKENS = 4
#: Content spans whose mean P(B-CON or I-CON) is lower are dropped (validation: content F1
#: 0.931 at 0, 0.934 at 0.6 with unchanged recall; higher thresholds trade recall away).
CONTENT_MIN_CONFIDENCE = 0.6
#: (window, cue) pairs read per role-head pass: bounds memory on cue-dense text (each pair holds
#: a window of states and its attention map).
MAX_PAIRS_PER_PASS = 64
_EDGE_PUNCTUATION = " \t\n,;:.\"'“”‘’«»„"


def _char_span(text: str, window: Window, token_range: tuple[int, int]) -> Span | None:
    """The characters of a token range, widened to whole words and without edge punctuation.

    Spans are made of whole words (the guidelines' rule), but the tagger works on word pieces
    and can open or close a span inside a word ("Br|exit"); such spans are widened to the word.
    """
    start = int(window.offsets[token_range[0], 0])
    end = int(window.offsets[token_range[1] - 1, 1])
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    while start < end and text[start] in _EDGE_PUNCTUATION:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCTUATION:
        end -= 1
    return Span.from_offsets(text, start, end) if end > start else None


def _softmax(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits.float(), dim=-1).numpy()


class Predictor:
    """Runs a :class:`StanceModel` over texts of any length.

    The tokenizer is not shared between threads (fast tokenizers are not thread-safe), and the
    model runs under ``torch.inference_mode``, so one Predictor may serve several threads.
    """

    def __init__(self, model: StanceModel, tokenizer: Any, device: str | torch.device = "cpu"):
        self.model = model.eval().to(device)
        self.device = torch.device(device)
        self._tokenizer = tokenizer
        self._local = threading.local()
        self.labels: list[str] = list(model.config.labels)

    @property
    def tokenizer(self) -> Any:
        """A tokenizer private to the calling thread."""
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            import copy

            tokenizer = copy.deepcopy(self._tokenizer)
            self._local.tokenizer = tokenizer
        return tokenizer

    def windows(self, texts: Sequence[str]) -> list[Window]:
        """Token windows of ``texts``."""
        config = self.model.config
        return make_windows(self.tokenizer, texts, config.window_length, config.window_overlap)

    @torch.inference_mode()
    def predict_windows(
        self, texts: Sequence[str], windows: Sequence[Window]
    ) -> list[list[Statement]]:
        """Statements for ``texts`` from one batch of their windows, grouped per text index."""
        found: list[list[Statement]] = [[] for _ in texts]
        if not windows:
            return found
        batch = collate(windows, self.tokenizer.pad_token_id)
        ids = batch["input_ids"].to(self.device)
        attention = batch["attention_mask"].to(self.device)
        states = self.model.encode(ids, attention)
        cue_tags = self.model.cue_classifier(states).argmax(-1).cpu().numpy()

        pair_window, pair_cue = [], []
        for w_index, window in enumerate(windows):
            tags = cue_tags[w_index, : len(window)].copy()
            tags[[0, -1]] = 0  # special tokens are never part of a cue
            for cue in bio_spans(tags, _B_CUE, _I_CUE):
                if window.core_start <= cue[0] < window.core_end:
                    pair_window.append(w_index)
                    pair_cue.append(cue)
        for begin in range(0, len(pair_window), MAX_PAIRS_PER_PASS):
            chunk = slice(begin, begin + MAX_PAIRS_PER_PASS)
            self._read_pairs(
                texts, windows, states, attention, pair_window[chunk], pair_cue[chunk], found
            )
        return found

    def _read_pairs(
        self,
        texts: Sequence[str],
        windows: Sequence[Window],
        states: torch.Tensor,
        attention: torch.Tensor,
        pair_window: list[int],
        pair_cue: list[tuple[int, int]],
        found: list[list[Statement]],
    ) -> None:
        """Decodes the source, contents and stance of each (window, cue) pair into ``found``."""
        width = states.shape[1]
        cue_mask = np.zeros((len(pair_cue), width), dtype=np.int64)
        for p, (start, end) in enumerate(pair_cue):
            cue_mask[p, start:end] = 1
        pair_window_t = torch.tensor(pair_window, device=self.device)
        cue_mask_t = torch.from_numpy(cue_mask).to(self.device)
        pair_states = self.model.read_cues(states, attention, pair_window_t, cue_mask_t)
        role_probs = _softmax(self.model.role_classifier(pair_states).cpu())
        role_tags = role_probs.argmax(-1)

        cue_spans = [
            _char_span(texts[windows[w].doc_index], windows[w], cue)
            for w, cue in zip(pair_window, pair_cue, strict=True)
        ]
        items: list[tuple[int, Span | None, Span, tuple[int, int]]] = []
        for p, w_index in enumerate(pair_window):
            window = windows[w_index]
            text = texts[window.doc_index]
            tags = role_tags[p, : len(window)].copy()
            tags[[0, -1]] = 0
            sources = bio_spans(tags, _B_SRC, _I_SRC)
            source = None
            if sources:
                # One source per cue: the span the tagger is surest of.
                confidence = [
                    role_probs[p, s:e, [_B_SRC, _I_SRC]].max(-1).mean() for s, e in sources
                ]
                source = _char_span(text, window, sources[int(np.argmax(confidence))])
            for content in bio_spans(tags, _B_CON, _I_CON, CONTENT_MIN_STRAY_TOKENS):
                confidence = role_probs[p, content[0] : content[1], [_B_CON, _I_CON]].sum(0).mean()
                if confidence < CONTENT_MIN_CONFIDENCE:
                    continue
                content_span = _char_span(text, window, content)
                if content_span is not None and cue_spans[p] is not None:
                    items.append((p, source, content_span, content))
        if not items:
            return
        content_mask = np.zeros((len(items), width), dtype=np.int64)
        for q, (_, _, _, (start, end)) in enumerate(items):
            content_mask[q, start:end] = 1
        item_pair = torch.tensor([item[0] for item in items], device=self.device)
        logits = self.model.classify_stance(
            pair_states, cue_mask_t, item_pair, torch.from_numpy(content_mask).to(self.device)
        )
        probs = _softmax(logits.cpu())
        for (p, source, content, _), row in zip(items, probs, strict=True):
            window = windows[pair_window[p]]
            best = int(row.argmax())
            found[window.doc_index].append(
                Statement(
                    source=source,
                    cue=cue_spans[p],  # type: ignore[arg-type]  # None cues have no items
                    content=content,
                    label=self.labels[best],
                    score=float(row[best]),
                    scores={label: float(v) for label, v in zip(self.labels, row, strict=True)},
                )
            )

    def predict(self, texts: Sequence[str], batch_size: int = 32) -> list[list[Statement]]:
        """Statements for each text, sorted by content start then cue start, without duplicates."""
        windows = self.windows(texts)
        # Similar lengths in one batch waste less padding; the order is undone when grouping.
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        results: list[list[Statement]] = [[] for _ in texts]
        for begin in range(0, len(order), batch_size):
            chunk = [windows[i] for i in order[begin : begin + batch_size]]
            for doc_index, statements in enumerate(self.predict_windows(texts, chunk)):
                results[doc_index].extend(statements)
        return [finalize(statements) for statements in results]


def finalize(statements: Sequence[Statement]) -> list[Statement]:
    """Sorts statements by content then cue start and drops exact span duplicates."""
    unique: dict[tuple[Any, ...], Statement] = {}
    for st in statements:
        key = st.span_key()
        if key not in unique or st.score > unique[key].score:
            unique[key] = st
    return sorted(unique.values(), key=Statement.sort_key)
