"""Stream records out of a CSV export: encoding, BOM, CRLF, quoted newlines, line numbers."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# Tried in order. UTF-8 (with or without BOM) first; exports saved by Excel on Windows
# are cp1252. A byte that is invalid in every one refuses the file: never mojibake.
ENCODINGS = ("utf-8-sig", "cp1252")

csv.field_size_limit(16 * 1024 * 1024)


class FileRefused(Exception):
    """The whole file cannot be loaded; the message names the file and why."""


@dataclass(frozen=True)
class Record:
    line: int  # physical line where the record starts (the header is line 1)
    raw: str  # the record's text as it stood in the file, without its line ending
    fields: list[str]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """The first encoding that decodes the whole file, read in blocks (memory stays flat)."""
    for encoding in ENCODINGS:
        decoder = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
        try:
            with decoder:
                while decoder.read(1 << 20):
                    pass
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(f"{path.name}: not UTF-8 and not Windows-1252 text; "
                      "re-export it as CSV UTF-8")


def _physical_lines(stream: io.TextIOBase, buffer: list[str]) -> Iterator[str]:
    for line in stream:
        buffer.append(line)
        yield line


def records(path: Path, encoding: str) -> Iterator[Record]:
    """Every record, the header first, with the physical line it starts on and its raw text."""
    with path.open("r", encoding=encoding, newline="") as stream:
        buffer: list[str] = []
        reader = csv.reader(_physical_lines(stream, buffer), strict=True)
        line = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raw = "".join(buffer).rstrip("\r\n")
                buffer.clear()
                yield Record(line=line, raw=raw, fields=["\x00csv-error", str(exc)])
                line = reader.line_num + 1
                continue
            raw = "".join(buffer).rstrip("\r\n")
            buffer.clear()
            if fields or raw.strip():
                yield Record(line=line, raw=raw, fields=fields)
            line = reader.line_num + 1


def header_index(header: list[str]) -> dict[str, int]:
    """Column name -> position, names matched after trimming and case-folding."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").strip().casefold()
        if key and key not in index:
            index[key] = position
    return index
