"""Stream records out of a CSV export: encoding, BOM, CRLF, quoted newlines, line numbers."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

# Tried in order. UTF-8 (with or without BOM) first; exports saved by Excel on Windows
# are cp1252. A byte that is invalid in every one refuses the file: never mojibake.
ENCODINGS = ("utf-8-sig", "cp1252")

csv.field_size_limit(16 * 1024 * 1024)


class FileRefused(Exception):
    """The whole file cannot be loaded; the message names the file and why."""


@dataclass(frozen=True)
class Record:
    line: int  # physical line where the record starts (the header is line 1)
    end_line: int  # physical line where it ends (differs when a quoted field holds line breaks)
    fields: list[str]
    error: str | None = None  # set when the text is not a readable CSV record


def sha256_and_encoding(path: Path) -> tuple[str, str | None]:
    """The file's SHA-256, and the first of ENCODINGS that decodes all of it (None when none
    does); one read for a UTF-8 file, in blocks (memory stays flat)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder(ENCODINGS[0])()
    decodes = True
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            if decodes:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    decodes = False
    if decodes:
        try:
            utf8.decode(b"", final=True)
            return digest.hexdigest(), ENCODINGS[0]
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS[1:]:
        decoder = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
        try:
            with decoder:
                while decoder.read(1 << 20):
                    pass
            return digest.hexdigest(), encoding
        except UnicodeDecodeError:
            continue
    return digest.hexdigest(), None


def records(path: Path, encoding: str,
            on_bytes: Callable[[int], None] | None = None) -> Iterator[Record]:
    """Every record, the header first, with the physical lines it spans.

    Quoted fields may hold commas, quotes and line breaks; CRLF and LF both end a record; blank
    lines are not records. `on_bytes` is called now and then with the bytes read so far."""
    with path.open("rb") as binary, io.TextIOWrapper(binary, encoding=encoding,
                                                     newline="") as stream:
        for record in records_of(csv.reader(stream, strict=True)):
            yield record
            if on_bytes is not None and record.end_line % 65536 == 0:
                on_bytes(binary.tell())


def records_of(reader: "csv._reader") -> Iterator[Record]:
    """Records from a csv.reader, with the physical lines each spans."""
    previous_end = reader.line_num
    while True:
        try:
            fields, error = next(reader), None
        except StopIteration:
            return
        except csv.Error as exc:
            fields, error = [], str(exc)
        end = reader.line_num
        if fields or error:
            yield Record(previous_end + 1, end, fields, error)
        previous_end = end


def raw_text(path: Path, encoding: str, spans: dict[int, int]) -> dict[int, str]:
    """The raw text of some records, by their first line: a second, plain read of the file,
    made only when there are rejects to report."""
    found: dict[int, list[str]] = {}
    open_spans: dict[int, int] = {}
    with path.open("r", encoding=encoding, newline="") as stream:
        for number, text in enumerate(stream, start=1):
            if number in spans:
                open_spans[number] = spans[number]
                found[number] = []
            for start in list(open_spans):
                found[start].append(text)
                if number >= open_spans[start]:
                    del open_spans[start]
            if len(found) == len(spans) and not open_spans:
                break
    return {start: "".join(parts).rstrip("\r\n") for start, parts in found.items()}


def header_index(header: list[str]) -> dict[str, int]:
    """Column name -> position, names matched after trimming and case-folding."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").strip().casefold()
        if key and key not in index:
            index[key] = position
    return index
