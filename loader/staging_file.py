"""The normalised interchange format both engines bulk-load.

Comma-separated; NULL as the bare word NULL; records end with `\\n`. A value is written bare
unless it holds a comma, a double quote or a line break, has spaces at either end, is empty or is
the text NULL; then it goes in double quotes with inner quotes doubled. There is no escape
character, so a backslash, `\\N` or the quoted text "NULL" arrive as the characters they are.
Bare values are the common case (dates, codes, roll numbers): the server parses fewer bytes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable

NEEDS_QUOTES = frozenset(',"\r\n')
FIRST_CHUNK_ROWS = 10_000


def needs_quotes(text: str) -> bool:
    """Whether a value must be quoted: it would otherwise split, end the record, read as NULL,
    or lose the spaces around it."""
    return (text == "NULL" or text == "" or not NEEDS_QUOTES.isdisjoint(text)
            or text[0].isspace() or text[-1].isspace())


def encode_row(values: Iterable[object]) -> str:
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        else:
            text = str(value)
            parts.append('"' + text.replace('"', '""') + '"' if needs_quotes(text) else text)
    return ",".join(parts) + "\n"


class StagingFile:
    """An interchange file being written; the caller owns its folder and removes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = path.open("w", encoding="utf-8", newline="")
        self.rows = 0

    def write(self, values: Iterable[object]) -> None:
        self.write_line(encode_row(values))

    def write_line(self, line: str) -> None:
        """An already encoded row, ending in a line break."""
        self._handle.write(line)
        self.rows += 1

    def copy_from(self, handle: "IO[str]") -> None:
        """Append the rows of another file in this format, as they are."""
        shutil.copyfileobj(handle, self._handle)

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()


@dataclass
class ChunkNames:
    """The chunk files of one load, in order: the first is short so the server starts early,
    then each is twice as long up to chunk_rows, so staging keeps ahead of loading."""

    workdir: Path
    chunk_rows: int
    first_rows: int = FIRST_CHUNK_ROWS
    number: int = 1

    @property
    def path(self) -> Path:
        return self.workdir / f"chunk{self.number:05d}.csv"

    @property
    def limit(self) -> int:
        return min(self.chunk_rows, self.first_rows << min(self.number - 1, 20))

    def advance(self) -> None:
        self.number += 1
