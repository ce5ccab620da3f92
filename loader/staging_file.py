"""The normalised interchange file both engines bulk-load.

Format: comma-separated; every non-null value in double quotes with inner quotes doubled; NULL as
the bare word NULL; records end with `\\n`. There is no escape character, so a backslash, `\\N` or
the quoted text "NULL" arrive as the characters they are.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
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
    """A temporary normalised file, deleted on exit."""

    def __init__(self, prefix: str) -> None:
        handle = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", prefix=prefix, suffix=".csv", delete=False
        )
        self.path = Path(handle.name)
        self._handle = handle
        self.rows = 0

    def write(self, values: Iterable[object]) -> None:
        self._handle.write(encode_row(values))
        self.rows += 1

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()

    def __enter__(self) -> "StagingFile":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
