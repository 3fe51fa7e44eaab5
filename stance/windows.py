"""Token windows over texts of any length, and the tensors the model trains and predicts on.

A text is tokenized once; its tokens are cut into overlapping windows. Each window has a
*core* (the window minus half the overlap on each inner side): a cue is decoded only in the
window whose core holds its first token, so statements are never duplicated at window edges,
and every cue is read with at least half an overlap of context around it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stance.speakers import pair_features
from stance.types import CUE_TAGS, MENTION_TAGS, ROLE_TAGS

IGNORE = -100
_CUE = {tag: i for i, tag in enumerate(CUE_TAGS)}
_ROLE = {tag: i for i, tag in enumerate(ROLE_TAGS)}
_MENTION = {tag: i for i, tag in enumerate(MENTION_TAGS)}


@dataclass
class Window:
    """One encoder input: a slice of a document's tokens between [CLS] and [SEP]."""

    doc_index: int
    input_ids: np.ndarray  # [T] with special tokens
    offsets: np.ndarray  # [T, 2] character offsets; (-1, -1) for special tokens
    core_start: int  # window position where this window's core begins (inclusive)
    core_end: int  # window position where it ends (exclusive)
    cue_tags: np.ndarray | None = None
    pairs: list[dict[str, Any]] = field(default_factory=list)
    mention_tags: np.ndarray | None = None
    speaker_items: list[dict[str, Any]] = field(default_factory=list)
    # The whole document's tokens (shared by all its windows, not copied) and where this
    # window's first real token sits in them: prediction reads a cue near an edge again in a
    # window of its own (stance.decoding.REREAD_CONTEXT_TOKENS).
    doc_ids: np.ndarray | None = None
    doc_offsets: np.ndarray | None = None
    start: int = 0

    def __len__(self) -> int:
        return len(self.input_ids)


def window_bounds(
    n_tokens: int,
    max_length: int,
    overlap: int,
    sentence_starts: Sequence[int] | None = None,
) -> list[tuple[int, int, int, int]]:
    """Cuts ``n_tokens`` into windows.

    With ``sentence_starts`` (token indices where sentences begin), each core ends at the last
    sentence start in the current window's second half (at least half an overlap before the
    window's end), and the next window starts half an overlap before it: the sentence the
    current window would cut is read whole, with context, in the next one. Where no sentence
    starts there (a very long sentence), windows fall back to the fixed ``overlap``.

    Returns:
        ``(start, end, core_start, core_end)`` in token indices for each window; the cores
        tile ``[0, n_tokens)`` exactly.

    Example:
        >>> window_bounds(10, max_length=8, overlap=2)
        [(0, 6, 0, 5), (4, 10, 5, 10)]
        >>> window_bounds(12, max_length=8, overlap=2, sentence_starts=[0, 3, 5, 9])
        [(0, 6, 0, 5), (4, 10, 5, 9), (6, 12, 9, 12)]
    """
    size = max_length - 2  # room for [CLS] and [SEP]
    if overlap >= size:
        raise ValueError(f"window_overlap ({overlap}) must be smaller than max_length - 2")
    if n_tokens <= size:
        return [(0, n_tokens, 0, n_tokens)]
    if sentence_starts is not None:
        return _sentence_bounds(n_tokens, size, overlap, np.asarray(sentence_starts))
    step = size - overlap
    starts = list(range(0, n_tokens - size, step)) + [n_tokens - size]
    starts = sorted(set(starts))
    bounds = []
    for i, start in enumerate(starts):
        end = start + size
        core_start = 0 if i == 0 else (bounds[-1][3])
        core_end = n_tokens if i == len(starts) - 1 else (end + starts[i + 1]) // 2
        bounds.append((start, end, core_start, core_end))
    return bounds


def _sentence_bounds(
    n_tokens: int, size: int, overlap: int, sentence_starts: np.ndarray
) -> list[tuple[int, int, int, int]]:
    """:func:`window_bounds` with windows starting at sentence starts where one is in reach."""
    bounds: list[tuple[int, int, int, int]] = []
    start, core_start = 0, 0
    # As with fixed strides, a cue next to a core edge keeps half an overlap of context on
    # that side: the core ends at least ``context`` tokens before its window does, and the next
    # window starts ``context`` tokens before its core.
    context = overlap // 2
    while start + size < n_tokens:
        end = start + size
        in_reach = (sentence_starts > start + size // 2) & (sentence_starts <= end - context)
        reach = sentence_starts[in_reach]
        if len(reach):
            boundary = int(reach[-1])
            next_start = boundary - context
        else:
            next_start = end - overlap
            boundary = (end + next_start) // 2
        bounds.append((start, end, core_start, boundary))
        start, core_start = next_start, boundary
    # The last window is full length, ending at the text's end, as without sentences.
    bounds.append((max(0, n_tokens - size), n_tokens, core_start, n_tokens))
    return bounds


#: Where a sentence starts: after ., ! or ? (and any closing quotes or brackets) and white
#: space, before an optional opening quote and a capital letter or digit; and after a line break.
#: Abbreviations ("Gen. Arlo Petersen") pass as sentence ends: a window then starts at a
#: name, which costs nothing but the overlap it saves.
_SENTENCE_START = re.compile(r"(?:[.!?][\"'”’)\]]*\s+|\n\s*)(?=[\"'“‘(\[]?[A-Z0-9])")


def sentence_start_tokens(text: str, offsets: np.ndarray) -> np.ndarray:
    """Indices of the tokens that begin a sentence of ``text`` (``offsets``: [N, 2] characters).

    Example:
        >>> offsets = np.array([[0, 2], [3, 9], [9, 10], [11, 13], [14, 18], [18, 19]])
        >>> sentence_start_tokens("It rained. We left.", offsets).tolist()
        [0, 3]
    """
    chars = [0] + [match.end() for match in _SENTENCE_START.finditer(text)]
    tokens = np.searchsorted(offsets[:, 0], chars) if len(offsets) else np.zeros(0, int)
    return np.unique(tokens[tokens < len(offsets)])


def make_windows(
    tokenizer: Any,
    texts: Sequence[str],
    max_length: int,
    overlap: int,
    align_to_sentences: bool = False,
) -> list[Window]:
    """Tokenizes texts and cuts them into windows (no labels).

    ``align_to_sentences`` starts windows at sentence starts (:func:`window_bounds`); training
    keeps fixed strides, so a model retrained from its config sees the windows it saw before.
    """
    windows: list[Window] = []
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    special = np.array([[-1, -1]], dtype=np.int64)
    for doc_index, text in enumerate(texts):
        ids, offsets = tokenizer.encode(text)
        starts = sentence_start_tokens(text, offsets) if align_to_sentences else None
        for start, end, core_start, core_end in window_bounds(
            len(ids), max_length, overlap, starts
        ):
            windows.append(
                Window(
                    doc_index=doc_index,
                    input_ids=np.concatenate([[cls_id], ids[start:end], [sep_id]]),
                    offsets=np.concatenate([special, offsets[start:end], special]),
                    core_start=core_start - start + 1,
                    core_end=core_end - start + 1,
                    doc_ids=ids,
                    doc_offsets=offsets,
                    start=start,
                )
            )
    return windows


def window_at(template: Window, start: int, length: int) -> Window:
    """A window of ``template``'s document holding its tokens ``[start, start + length)``,
    all of it core (clipped to the document).

    Example:
        >>> ids, offsets = np.arange(10, 20), np.stack([np.arange(10), np.arange(1, 11)], 1)
        >>> template = Window(0, np.array([101, 10, 11, 102]), offsets[:4], 1, 3,
        ...                   doc_ids=ids, doc_offsets=offsets)
        >>> window = window_at(template, 6, 8)
        >>> window.input_ids.tolist(), window.start, (window.core_start, window.core_end)
        ([101, 16, 17, 18, 19, 102], 6, (1, 5))
    """
    if template.doc_ids is None or template.doc_offsets is None:
        raise ValueError("the window carries no document tokens (build it with make_windows)")
    ids, offsets = template.doc_ids, template.doc_offsets
    end = min(len(ids), start + length)
    special = np.array([[-1, -1]], dtype=np.int64)
    return Window(
        doc_index=template.doc_index,
        # [CLS] and [SEP] are the template's own first and last ids.
        input_ids=np.concatenate([template.input_ids[:1], ids[start:end], template.input_ids[-1:]]),
        offsets=np.concatenate([special, offsets[start:end], special]),
        core_start=1,
        core_end=end - start + 1,
        doc_ids=ids,
        doc_offsets=offsets,
        start=start,
    )


def char_to_tokens(offsets: np.ndarray, start: int, end: int) -> tuple[int, int] | None:
    """Window positions [first, last+1) of the tokens overlapping characters [start, end)."""
    real = offsets[:, 0] >= 0
    hit = np.nonzero(real & (offsets[:, 0] < end) & (offsets[:, 1] > start))[0]
    if len(hit) == 0:
        return None
    return int(hit[0]), int(hit[-1]) + 1


def _bio(tags: np.ndarray, first: int, last: int, begin: int, inside: int) -> None:
    tags[first] = begin
    tags[first + 1 : last] = inside


def _contained(offsets: np.ndarray, span: dict[str, int]) -> tuple[int, int] | None:
    """Token range of a span if the whole span lies inside the window, else None."""
    real = offsets[offsets[:, 0] >= 0]
    if len(real) == 0 or span["start"] < real[0, 0] or span["end"] > real[-1, 1]:
        return None
    return char_to_tokens(offsets, span["start"], span["end"])


def label_windows(
    tokenizer: Any,
    docs: Sequence[dict[str, Any]],
    max_length: int,
    overlap: int,
    labels: Sequence[str],
) -> list[Window]:
    """Windows with training targets from gold documents (corpus records).

    Every cue lying wholly inside a window becomes a (window, cue) pair whose role tags mark that
    cue's source and contents inside the window, with one stance item per content; spans cut by
    the window edge are left out of that window's loss (they are whole in a neighbour).
    """
    label_index = {label: i for i, label in enumerate(labels)}
    windows = make_windows(tokenizer, [d["text"] for d in docs], max_length, overlap)
    for window in windows:
        doc = docs[window.doc_index]
        n = len(window)
        cue_tags = np.full(n, _CUE["O"], dtype=np.int64)
        cue_tags[0] = cue_tags[-1] = IGNORE
        by_cue: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for st in doc["statements"]:
            by_cue.setdefault((st["cue"]["start"], st["cue"]["end"]), []).append(st)
        for (cue_start, cue_end), statements in sorted(by_cue.items()):
            cue_span = {"start": cue_start, "end": cue_end}
            cue_range = _tag_span(cue_tags, window.offsets, cue_span, _CUE["B-CUE"], _CUE["I-CUE"])
            if cue_range is None:
                continue
            role = np.full(n, _ROLE["O"], dtype=np.int64)
            role[0] = role[-1] = IGNORE
            items = []
            for st in statements:
                if st["source"] is not None:
                    _tag_span(role, window.offsets, st["source"], _ROLE["B-SRC"], _ROLE["I-SRC"])
                content_range = _tag_span(
                    role, window.offsets, st["content"], _ROLE["B-CON"], _ROLE["I-CON"]
                )
                if content_range is None:
                    continue
                items.append({"content": content_range, "label": label_index[st["label"]]})
            window.pairs.append({"cue": cue_range, "role_tags": role, "items": items})
        window.cue_tags = cue_tags
        if any("speaker" in st for st in doc["statements"]):
            _label_speakers(window, doc["text"], doc["statements"])
    return windows


def _tag_span(
    tags: np.ndarray, offsets: np.ndarray, span: dict[str, int], begin: int, inside: int
) -> tuple[int, int] | None:
    """BIO-tags a span lying wholly inside the window and returns its token range.

    A span the window edge cuts is left out of the loss (its visible tokens become ``IGNORE``)
    rather than tagged ``O``: its tokens really are part of a span, and teaching "no span here"
    at every edge would punish the model for being right. This matters most in short windows.
    """
    token_range = _contained(offsets, span)
    if token_range is not None:
        _bio(tags, *token_range, begin, inside)
        return token_range
    cut = char_to_tokens(offsets, span["start"], span["end"])
    if cut is not None:
        tags[cut[0] : cut[1]] = IGNORE
    return None


def _key(span: dict[str, Any]) -> tuple[int, int]:
    return (span["start"], span["end"])


def _label_speakers(window: Window, text: str, statements: Sequence[dict[str, Any]]) -> None:
    """Mention tags and mention-ranking items of one window (corpora with speaker links).

    Every canonical mention inside the window is tagged; a mention cut by the window edge is
    left out of the loss. Each source becomes a ranking item over "never named", "the source
    itself" and the window's other mentions, if its canonical mention is among them.
    """
    n = len(window)
    tags = np.full(n, _MENTION["O"], dtype=np.int64)
    tags[0] = tags[-1] = IGNORE
    mentions: dict[tuple[int, int], tuple[int, int]] = {}
    for key in sorted({_key(st["speaker"]) for st in statements if st.get("speaker")}):
        span = {"start": key[0], "end": key[1]}
        inside = _tag_span(tags, window.offsets, span, _MENTION["B-MEN"], _MENTION["I-MEN"])
        if inside is not None:
            mentions[key] = inside
    window.mention_tags = tags
    speaker_of = {
        _key(st["source"]): None if st.get("speaker") is None else _key(st["speaker"])
        for st in statements
        if st["source"] is not None
    }
    for source, speaker in sorted(speaker_of.items(), key=lambda kv: kv[0]):
        anchor = _contained(window.offsets, {"start": source[0], "end": source[1]})
        candidates = [k for k in mentions if k != source]
        if anchor is None:
            continue
        if speaker is not None and speaker != source and speaker not in candidates:
            continue  # the canonical mention is in another window
        buckets = pair_features(text, [source], candidates)[0]
        window.speaker_items.append(
            {
                "anchor": anchor,
                "candidates": [mentions[k] for k in candidates],
                "buckets": buckets,
                # 0: never named, 1: the source itself, 2 + i: candidates[i].
                "target": 0
                if speaker is None
                else 1
                if speaker == source
                else candidates.index(speaker) + 2,
            }
        )


def _mask(n: int, token_range: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(n, dtype=np.int64)
    mask[token_range[0] : token_range[1]] = 1
    return mask


def collate(windows: Sequence[Window], pad_id: int) -> dict[str, Any]:
    """Pads windows into model inputs (and targets, when the windows carry labels)."""
    import torch

    width = max(len(w) for w in windows)
    ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(windows), width), dtype=np.int64)
    for i, w in enumerate(windows):
        ids[i, : len(w)] = w.input_ids
        attention[i, : len(w)] = 1
    batch: dict[str, Any] = {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(attention),
    }
    if windows[0].cue_tags is None:
        return batch
    cue_tags = np.full((len(windows), width), IGNORE, dtype=np.int64)
    pair_window, pair_cue, role_tags = [], [], []
    item_pair, item_content, item_label = [], [], []
    for i, w in enumerate(windows):
        cue_tags[i, : len(w)] = w.cue_tags
        for pair in w.pairs:
            for item in pair["items"]:
                item_pair.append(len(pair_window))
                item_content.append(np.pad(_mask(len(w), item["content"]), (0, width - len(w))))
                item_label.append(item["label"])
            pair_window.append(i)
            pair_cue.append(np.pad(_mask(len(w), pair["cue"]), (0, width - len(w))))
            role_tags.append(np.pad(pair["role_tags"], (0, width - len(w)), constant_values=IGNORE))
    batch["cue_tags"] = torch.from_numpy(cue_tags)
    if pair_window:
        batch["pair_window"] = torch.tensor(pair_window, dtype=torch.long)
        batch["pair_cue_mask"] = torch.from_numpy(np.stack(pair_cue))
        batch["role_tags"] = torch.from_numpy(np.stack(role_tags))
    if item_pair:
        batch["item_pair"] = torch.tensor(item_pair, dtype=torch.long)
        batch["item_content_mask"] = torch.from_numpy(np.stack(item_content))
        batch["item_label"] = torch.tensor(item_label, dtype=torch.long)
    if all(w.mention_tags is not None for w in windows):
        batch.update(_collate_speakers(windows, width))
    return batch


def _collate_speakers(windows: Sequence[Window], width: int) -> dict[str, Any]:
    """Mention tags and flattened ranking items (each item ranks only its own candidates)."""
    import torch

    mention_tags = np.full((len(windows), width), IGNORE, dtype=np.int64)
    anchor_window, anchor_mask, candidate_window, candidate_mask = [], [], [], []
    owners, buckets, targets = [], [], []
    for i, w in enumerate(windows):
        mention_tags[i, : len(w)] = w.mention_tags
        for item in w.speaker_items:
            anchor_window.append(i)
            anchor_mask.append(np.pad(_mask(len(w), item["anchor"]), (0, width - len(w))))
            # Targets index the flattened candidate columns (columns 0 and 1 are "never
            # named" and "the source itself").
            first_column = len(owners) + 2
            for candidate, bucket in zip(item["candidates"], item["buckets"], strict=True):
                candidate_window.append(i)
                candidate_mask.append(np.pad(_mask(len(w), candidate), (0, width - len(w))))
                owners.append(len(targets))
                buckets.append(bucket)
            target = item["target"]
            targets.append(target if target < 2 else first_column + target - 2)
    batch: dict[str, Any] = {"mention_tags": torch.from_numpy(mention_tags)}
    if targets:
        # At least one candidate column, so the shapes stay [A, K] with K >= 1.
        if not owners:
            candidate_window.append(0)
            candidate_mask.append(np.zeros(width, dtype=np.int64))
            owners.append(-1)
            buckets.append(0)
        valid = np.zeros((len(targets), len(owners)), dtype=np.int64)
        bucket_matrix = np.zeros((len(targets), len(owners)), dtype=np.int64)
        owned = np.array(owners) >= 0
        columns = np.arange(len(owners))[owned]
        valid[np.array(owners)[owned], columns] = 1
        bucket_matrix[np.array(owners)[owned], columns] = np.array(buckets)[owned]
        batch.update(
            anchor_window=torch.tensor(anchor_window, dtype=torch.long),
            anchor_mask=torch.from_numpy(np.stack(anchor_mask)),
            candidate_window=torch.tensor(candidate_window, dtype=torch.long),
            candidate_mask=torch.from_numpy(np.stack(candidate_mask)),
            speaker_valid=torch.from_numpy(valid),
            speaker_buckets=torch.from_numpy(bucket_matrix),
            speaker_target=torch.tensor(targets, dtype=torch.long),
        )
    return batch


def bio_spans(
    tags: np.ndarray, begin: int, inside: int, min_stray_length: int = 1
) -> list[tuple[int, int]]:
    """Spans [start, end) from a BIO tag row.

    Args:
        tags: One row of tag ids.
        begin: The id of the B tag.
        inside: The id of the I tag.
        min_stray_length: A run of I tags without a B opens a span only if it is at least this
            long. Short stray runs are mostly fragments far from the cue (measured on
            validation), while long ones are real spans whose first tag was missed.

    Example:
        >>> bio_spans(np.array([0, 1, 2, 0, 2, 2, 1]), begin=1, inside=2)
        [(1, 3), (4, 6), (6, 7)]
        >>> bio_spans(np.array([0, 1, 2, 0, 2, 2, 1]), begin=1, inside=2, min_stray_length=3)
        [(1, 3), (6, 7)]
    """
    in_span = (tags == begin) | (tags == inside)
    previous = np.concatenate([[False], in_span[:-1]])
    starts = np.nonzero(in_span & ((tags == begin) | ~previous))[0]
    following = np.concatenate([in_span[1:], [False]])
    next_is_begin = np.concatenate([tags[1:] == begin, [False]])
    ends = np.nonzero(in_span & (~following | next_is_begin))[0] + 1
    return [
        (int(s), int(e))
        for s, e in zip(starts, ends, strict=True)
        if tags[s] == begin or e - s >= min_stray_length
    ]
