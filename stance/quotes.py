"""Double-quoted passages of news text, for the rule baseline and span decoding alike."""

from __future__ import annotations

#: Marks that open a quoted passage.
OPENING_MARKS = '“"«„'
#: Marks that close any open passage (a straight mark closes only a straight one).
CLOSING_MARKS = "”»"


def scan_quotes(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int | None]:
    """The closed double-quoted passages of ``text[start:end]`` (marks included), and the offset
    of the mark of a passage still open at ``end`` (None if none is).

    Curly quotes open and close explicitly; straight quotes alternate. Single quotes are
    ignored: they are mostly apostrophes.

    Example:
        >>> scan_quotes('"Yes," she said. “We will', 0, 25)
        ([(0, 6)], 17)
    """
    regions: list[tuple[int, int]] = []
    opened: int | None = None
    for i in range(start, end):
        char = text[i]
        if opened is None and char in OPENING_MARKS:
            opened = i
        elif opened is not None and (
            char in CLOSING_MARKS or (char == '"' and text[opened] == '"')
        ):
            regions.append((opened, i + 1))
            opened = None
        elif opened is not None and char == "“":
            opened = i  # an unbalanced opening mark: trust the latest one
    return regions, opened


def quote_regions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Double-quoted passages (marks included) of ``text[start:end]``, a paragraph: a quotation
    still open at its end runs to it, as news style leaves multi-paragraph quotes open.

    Example:
        >>> quote_regions('"Yes," she said. “We will', 0, 25)
        [(0, 6), (17, 25)]
    """
    regions, opened = scan_quotes(text, start, end)
    return regions + [(opened, end)] if opened is not None else regions


def open_quote_before(text: str, position: int) -> int | None:
    """The offset of the double quote mark that opens a passage holding ``position``, not
    closed before it in the same paragraph; None if there is none.

    Example:
        >>> text = '"Yes," she said. “We will go'
        >>> open_quote_before(text, 20), open_quote_before(text, 8)
        (17, None)
    """
    paragraph = text.rfind("\n", 0, position) + 1
    return scan_quotes(text, paragraph, position)[1]
