"""The normalised interchange format both engines bulk-load.

Comma-separated; every non-null value in double quotes with inner quotes doubled; NULL as the
bare word NULL; records end with `\\n`. There is no escape character, so a backslash, `\\N` or
the quoted text "NULL" arrive as the characters they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def encode_row(values: Iterable[object]) -> str:
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        else:
            text = str(value)
            parts.append('"' + text.replace('"', '""') + '"' if '"' in text else f'"{text}"')
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

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()
