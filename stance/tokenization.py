"""A lean tokenizer over the ``tokenizers`` library (no transformers import at inference)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

TOKENIZER_FILE = "tokenizer.json"
#: Typographic quotes as the ASCII ones the training text mostly uses (one character each), and
#: the horizontal bar some papers put before a quote's author as the em dash the corpus uses.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"',
                         "‘": "'", "’": "'", "‚": "'", "‛": "'", "―": "—"})  # fmt: skip


def normalize_quotes(text: str) -> str:
    """``text`` with typographic quote marks as ASCII ones, one character for one.

    The corpus is written with straight quotes (1,966 against 40 curly ones), most news text
    with curly ones. Measured on the validation split with its quotes made curly (“…”, ’):
    statement F1 0.854 read as is, 0.859 normalised, as for the original text. Some papers
    quote with two apostrophes (''…''), which the tokenizer reads as two quote marks of the
    kind that opens an apostrophe, so a pair becomes a double quote and a space: two
    characters for two, and the tokenizer drops the space. A horizontal bar (―) before a
    quote's author is read as the em dash (—) the corpus writes there: the tokenizer has a
    token of its own for it that no training text shows. training/measure_quote_styles.py
    measures each style (reports/quote-styles.md). The model reads the normalised text; every
    offset still points into the original.

    Example:
        >>> print(normalize_quotes("“It’s shut,” she said."))
        "It's shut," she said.
        >>> print(normalize_quotes("''It's shut,'' she said."))
        " It's shut,"  she said.
    """
    return text.translate(_QUOTES).replace("''", '" ')


class WordPieceTokenizer:
    """Tokenizes text into ids with character offsets, untruncated and unpadded.

    The base model's tokenizer.json ships with padding and truncation to 128 tokens switched
    on; both are switched off here because windows are cut by :mod:`stance.windows`.

    Example:
        >>> from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
        >>> tok = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
        >>> ids, offsets = tok.encode("He said so.")
        >>> offsets.tolist()
        [[0, 2], [3, 7], [8, 10], [10, 11]]
    """

    def __init__(self, tokenizer: Tokenizer):
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self.cls_token_id = self._require("[CLS]")
        self.sep_token_id = self._require("[SEP]")
        self.pad_token_id = self._require("[PAD]")

    def token_ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Ids of the ``tokens`` the vocabulary holds (the others are left out).

        Example:
            >>> from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
            >>> tok = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
            >>> len(tok.token_ids(["the", "of", "no-such-token"]))
            2
        """
        found = (self._tokenizer.token_to_id(token) for token in tokens)
        return np.array([i for i in found if i is not None], dtype=np.int64)

    def continues_word(self) -> np.ndarray:
        """[vocabulary size] True on the ids of word pieces that continue a word ("##ege" of
        "allege": "all", "##ege").

        Example:
            >>> from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
            >>> tok = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
            >>> ids, _ = tok.encode("allege")
            >>> tok.continues_word()[ids].tolist()
            [False, True]
        """
        vocabulary = self._tokenizer.get_vocab()
        mask = np.zeros(max(vocabulary.values()) + 1, dtype=bool)
        mask[[i for token, i in vocabulary.items() if token.startswith("##")]] = True
        return mask

    def _require(self, token: str) -> int:
        token_id = self._tokenizer.token_to_id(token)
        if token_id is None:
            raise ValueError(
                f"tokenizer has no {token} token; stance needs a BERT-style vocabulary"
            )
        return int(token_id)

    @classmethod
    def from_folder(cls, folder: Path) -> WordPieceTokenizer:
        """Loads ``tokenizer.json`` from a model folder."""
        path = Path(folder) / TOKENIZER_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found: a stance model folder needs {TOKENIZER_FILE}"
            )
        return cls(Tokenizer.from_file(str(path)))

    def save(self, folder: Path) -> None:
        """Writes ``tokenizer.json`` into ``folder``."""
        self._tokenizer.save(str(Path(folder) / TOKENIZER_FILE))

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Token ids [N] and character offsets [N, 2] without special tokens."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        ids = np.asarray(encoding.ids, dtype=np.int64)
        offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
        return ids, offsets

    def __deepcopy__(self, memo: dict) -> WordPieceTokenizer:
        # A private copy per thread: the Rust tokenizer is not safe to share across threads.
        return WordPieceTokenizer(Tokenizer.from_str(self._tokenizer.to_str()))
