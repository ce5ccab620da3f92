"""Stream records out of a CSV export: encoding, BOM, CRLF, quoted newlines, line numbers.

The file is read one physical line (ending in `\\n`) at a time and each line is decoded on its
own, so a line with a byte the file's encoding cannot decode is refused alone (its record is a
reject naming the byte's offset) and every other line loads verbatim.

A record is one physical line, except that a quoted field may hold line breaks: then the record
spans the lines up to the one that closes the quote, is counted once (rows read) and is stored
at its first line (`_source_line`). Every physical line after the header therefore belongs to
exactly one record, loaded, rejected or a duplicate. A quote that is never closed must not
swallow the records after it: a quoted field may not run on into a line that is a complete
record by itself (the header's number of fields, and no quote inside an unquoted value), nor
span more than MAX_RECORD_LINES lines. When it would, or when the record is not readable CSV at
all, only its FIRST line is rejected (`unterminated quoted field`, or `unreadable CSV record`)
and reading resumes at the very next physical line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

# Tried in order. UTF-8 (with or without BOM) first; exports saved by Excel on Windows
# are cp1252. A byte that is invalid in every one refuses the file: never mojibake.
ENCODINGS = ("utf-8-sig", "cp1252")
UTF16 = "utf-16"  # detected only to refuse the file with the right advice

# A reject keeps the first RAW_PREFIX_CHARS characters of its record as exported (raw_line),
# with the whole record's length in bytes and SHA-256 (raw_length, raw_sha256): a reject row is
# bounded however long the record, and the full record can still be found in the file.
RAW_PREFIX_CHARS = 1000
# The most physical lines one record (a quoted field holding line breaks) may span.
MAX_RECORD_LINES = 100
# Longest field the CSV parser accepts; a longer one makes its record a reject.
FIELD_SIZE_LIMIT = 16 * 1024 * 1024

csv.field_size_limit(FIELD_SIZE_LIMIT)

# A character of a multi-byte UTF-8 sequence that decoded, as opposed to an undecodable byte
# (which surrogateescape turns into U+DC80..U+DCFF).
_DECODED_NON_ASCII = re.compile("[\u0080-\udc7f\udd00-\U0010ffff]")


class FileRefused(Exception):
    """The whole file cannot be loaded; the message names the file and why."""


@dataclass(frozen=True)
class RawText:
    """What a reject keeps of its record: a bounded prefix, the full length and hash."""

    prefix: str  # the first RAW_PREFIX_CHARS characters (undecodable bytes as \\xNN)
    length: int  # bytes of the record as in the file, without the line break that ends it
    sha256: str  # of those bytes


def raw_text_of(data: bytes, encoding: str) -> RawText:
    """The RawText of a record's bytes (its physical lines, as read)."""
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    # Enough bytes for RAW_PREFIX_CHARS whole characters of up to 4 bytes each, plus the 3
    # bytes of a character the cut may split (decoded as escapes, past the prefix).
    prefix = data[:RAW_PREFIX_CHARS * 4 + 3].decode(codec, "backslashreplace")[:RAW_PREFIX_CHARS]
    # NUL is no text any engine keeps: shown as the escape it is.
    return RawText(prefix.replace("\x00", "\\x00"), len(data), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Record:
    line: int  # physical line where the record starts (the header is line 1)
    end_line: int  # physical line where it ends (differs when a quoted field holds line breaks)
    fields: list[str]
    error: str | None = None  # set when the text is not a readable CSV record
    data: bytes = b""  # the record's bytes as in the file
    encoding: str = "utf-8"
    raw: RawText | None = None  # when known already (data then need not be kept)

    def raw_text(self) -> RawText:
        return self.raw if self.raw is not None else raw_text_of(self.data, self.encoding)


def sha256_and_encoding(path: Path) -> tuple[str, str | None]:
    """The file's SHA-256 and how to read it, in blocks (memory stays flat):
    - UTF-16 (a BOM, or NUL bytes in the text): "utf-16", which the loader refuses;
    - text that decodes as UTF-8 whole, or that holds at least one valid multi-byte UTF-8
      sequence (then the lines with invalid bytes are rejected one by one): "utf-8-sig";
    - else the first of the other ENCODINGS that decodes all of it (cp1252), or None."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder(ENCODINGS[0])()
    decodes, first = True, True
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            if first:
                first = False
                if _looks_utf16(block):
                    decodes = False
                    utf16 = True
                    continue
                utf16 = False
            if decodes:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    decodes = False
    if first:
        return digest.hexdigest(), ENCODINGS[0]  # an empty file
    if utf16:
        return digest.hexdigest(), UTF16
    if decodes:
        try:
            utf8.decode(b"", final=True)
            return digest.hexdigest(), ENCODINGS[0]
        except UnicodeDecodeError:
            pass
    if _holds_multibyte_utf8(path):
        return digest.hexdigest(), ENCODINGS[0]
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


def refuse_unreadable(path: Path, encoding: str | None) -> None:
    """Refuse a file sha256_and_encoding found no way to read (FileRefused says why)."""
    if encoding is None:
        raise FileRefused(f"{path.name}: not UTF-8 and not Windows-1252 text; "
                          "re-export it as CSV UTF-8")
    if encoding == UTF16:
        raise FileRefused(f"{path.name}: the file is UTF-16 text (Excel's \"Unicode Text\"); "
                          "re-export it as \"CSV UTF-8 (Comma delimited)\"")


def _looks_utf16(head: bytes) -> bool:
    """A UTF-16 BOM, or NUL bytes in the first lines (CSV text of UTF-16 without a BOM has a NUL
    beside every ASCII character)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = head[:4096]
    return len(sample) >= 2 and sample.count(0) * 4 >= len(sample)


def _holds_multibyte_utf8(path: Path) -> bool:
    """Whether the file holds at least one valid multi-byte UTF-8 sequence (so it is UTF-8 with
    some invalid bytes, not a single-byte encoding)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            if _DECODED_NON_ASCII.search(decoder.decode(block)):
                return True
    return False


def physical_lines(binary: BinaryIO) -> Iterator[bytes]:
    """The stream's lines from its position, each with its line break: lines end in LF (or
    CRLF), or, in a file whose lines end in CR alone (Excel's old "CSV (Macintosh)"), in CR."""
    start = binary.tell()
    head = binary.read(1 << 16)
    binary.seek(start)
    if b"\n" in head or b"\r" not in head:
        return iter(binary)
    return _cr_lines(binary)


def _cr_lines(binary: BinaryIO) -> Iterator[bytes]:
    pending = b""
    for block in iter(lambda: binary.read(1 << 20), b""):
        *lines, pending = (pending + block).split(b"\r")
        for line in lines:
            yield line + b"\r"
    if pending:
        yield pending


class _Unterminated(Exception):
    """A quoted field ran on into a complete record, or over MAX_RECORD_LINES lines."""


Problem = Callable[[int, int, "int | None", str, bytes], None]


class RecordSource:
    """The records of a binary CSV stream from its position, as lists of fields; blank lines are
    skipped. After each record, `start` and `end` are its first and last physical lines and
    `record_bytes()` its bytes. A record that cannot be read (undecodable bytes, not CSV, an
    unterminated quote) is not yielded: `on_problem(start, end, field, reason, data)` gets it
    (`field` is the position of the field holding an undecodable byte, else None); with no
    `on_problem` set (the header) it refuses the file."""

    def __init__(self, binary: BinaryIO, encoding: str, name: str, first_line: int = 1,
                 width: int | None = None) -> None:
        self.binary, self.name = binary, name
        self.encoding = encoding
        self.codec = "utf-8" if encoding == "utf-8-sig" else encoding
        self.bom = encoding == "utf-8-sig" and first_line == 1
        self.number = first_line - 1  # the last physical line read from binary
        self.width = width  # fields of a complete record: the header's, once read
        self.on_problem: Problem | None = None
        self.start = self.end = first_line
        self.lines: list[bytes] = []  # the physical lines of the record being read
        self._first = self._last = first_line
        self._invalid: tuple[int, int, int] | None = None  # line, byte offset, byte
        self._trigger: tuple[int, bytes] | None = None
        self._physical: Iterator[bytes] | None = None

    def record_bytes(self) -> bytes:
        return b"".join(self.lines)

    def __iter__(self) -> Iterator[list[str]]:
        back: list[tuple[int, bytes]] = []
        while True:
            reader = csv.reader(self._lines(back), strict=True)
            try:
                for fields in reader:
                    self.start, self.end = self._first, self._last
                    if self._invalid is not None:
                        self._undecodable(fields)
                    elif fields:
                        if self.width is None:
                            self.width = len(fields)
                        yield fields
                    self.lines.clear()
                return
            except csv.Error as exc:
                reason = f"unreadable CSV record: {exc}"
            except _Unterminated:
                reason = (f"unterminated quoted field: the quote opened on line {self._first} "
                          f"is not closed before line {self._trigger[0]}, which "  # type: ignore[index]
                          + ("is a complete record by itself" if len(self.lines) < MAX_RECORD_LINES
                             else f"is more than {MAX_RECORD_LINES} lines on"))
            # Only the record's first line is refused; the lines after it are read again.
            first, lines = self._first, self.lines
            back = [(first + i, raw) for i, raw in enumerate(lines[1:], start=1)]
            if self._trigger is not None:
                back.append(self._trigger)
                self._trigger = None
            self.start = self.end = first
            self.lines = [lines[0]] if lines else []
            self._invalid = None
            self._report(first, first, None, reason)
            self.lines = []

    def _report(self, start: int, end: int, field: int | None, reason: str) -> None:
        if self.on_problem is None:
            raise FileRefused(f"{self.name}: line {start}: the header cannot be read: {reason}")
        self.on_problem(start, end, field, reason, self.record_bytes())

    def _undecodable(self, fields: list[str]) -> None:
        line, offset, byte = self._invalid  # type: ignore[misc]
        self._invalid = None
        field = next((i for i, f in enumerate(fields) if re.search("[\udc80-\udcff]", f)), None)
        self._report(self.start, self.end, field,
                     f"undecodable line: invalid {self._codec_name()} byte 0x{byte:02X} at byte "
                     f"{offset + 1} of line {line}; the file's other lines are read as "
                     f"{self._codec_name()}")

    def _codec_name(self) -> str:
        return {"utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(self.codec, self.codec)

    def _decode(self, number: int, raw: bytes) -> str:
        try:
            return raw.decode("utf-8-sig" if number == 1 and self.bom else self.codec)
        except UnicodeDecodeError as exc:
            if self._invalid is None:
                self._invalid = (number, exc.start, raw[exc.start])
            return raw.decode(self.codec, "surrogateescape")

    def _lines(self, back: list[tuple[int, bytes]]) -> Iterator[str]:
        """The decoded physical lines for the csv reader: `back` first (lines to read again),
        then the stream's. Keeps the current record's lines and refuses to run a quoted field
        on into a line that is a record of its own."""
        lines, decode = self.lines, self._decode
        for number, raw in back:
            text = decode(number, raw)
            if lines:
                self._continuation(number, raw, text)
            else:
                self._first = number
            lines.append(raw)
            self._last = number
            yield text
        codec, number = self.codec, self.number
        if number == 0 and self.bom:
            codec = "utf-8-sig"  # for the first line only
        if self._physical is None:
            self._physical = physical_lines(self.binary)
        for raw in self._physical:
            number += 1
            self.number = number
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                text = decode(number, raw)
            codec = self.codec
            if lines:
                self._continuation(number, raw, text)
            else:
                self._first = number
            lines.append(raw)
            self._last = number
            yield text

    def _continuation(self, number: int, raw: bytes, text: str) -> None:
        """Called for a line the csv reader wants because a quoted field is still open."""
        if len(self.lines) >= MAX_RECORD_LINES or self._complete(text):
            self._trigger = (number, raw)
            raise _Unterminated

    def _complete(self, text: str) -> bool:
        """Whether a line is a record by itself: the header's number of fields, read as CSV,
        with no quote but at the start of a field (a line that closes a quoted field has one
        after text)."""
        if self.width is None:
            return False
        quote = text.find('"')
        if quote < 0:
            return text.count(",") == self.width - 1
        if quote > 0 and text[quote - 1] != ",":
            return False
        try:
            fields = next(csv.reader([text], strict=True))
        except (csv.Error, StopIteration):
            return False
        return len(fields) == self.width


def records(path: Path, encoding: str,
            on_bytes: Callable[[int], None] | None = None) -> Iterator[Record]:
    """Every readable record, the header first, with the physical lines it spans and its bytes;
    unreadable ones are skipped. `on_bytes` is called now and then with the bytes read so far."""
    with path.open("rb") as binary:
        source = RecordSource(binary, encoding, path.name)
        source.on_problem = lambda *problem: None
        for fields in source:
            yield Record(source.start, source.end, fields, data=source.record_bytes(),
                         encoding=encoding)
            if on_bytes is not None and source.end % 65536 == 0:
                on_bytes(binary.tell())


def header_index(header: list[str]) -> dict[str, int]:
    """Column name -> position, names matched after trimming and case-folding."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").strip().casefold()
        if key and key not in index:
            index[key] = position
    return index
