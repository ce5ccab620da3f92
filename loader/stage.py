"""Parse, validate and normalise one export into chunks of the interchange format.

Streams: the file is written out in chunk files of up to `chunk_rows` rows, and refused rows are
spooled to a file as they come (Rejects), each with a bounded prefix of its raw text: memory
stays flat however large the export and however many of its rows are refused. Blocks of lines
that are canonical already are staged whole (loader/fast_path.py); from the first block that is
not, the file is read record by record (loader/reader.RecordSource): cells go through cached
normalisers, and a row whose values need no quoting is written with one join, so the hot loop
stays in C as much as Python allows.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections import Counter
from operator import itemgetter
from pathlib import Path
from typing import IO, BinaryIO, Callable, Iterator, Protocol

from loader.audit import Audit
from loader.contracts import FileKind
from loader.reader import (FileRefused, Record, RecordSource, header_index,
                           refuse_unreadable)
from loader.staging_file import ChunkNames, StagingFile, encode_row, needs_quotes
from loader.values import INVALID, NULL, CellCache, Invalid, excerpt

DEFAULT_CHUNK_ROWS = 100_000


# The excerpt a value reason starts with (values.excerpt: a Python string literal, and its length
# when cut), then ": ".
_QUOTED_VALUE = re.compile(r"""^(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
                           r"(?:\.\.\. \([\d,]+ characters\))?: ")


def reason_key(column: str | None, reason: str) -> str:
    """A reject's reason without the value or the line it names: the end-of-run summary counts
    these, so there are few of them however many rejects."""
    if column is not None and reason.startswith(f"{column} = "):
        # "<column> = <excerpt of the value>: <what was expected>"
        return f"{column}: {_QUOTED_VALUE.sub('', reason[len(column) + 3:], count=1)}"
    head = reason.split(":")[0]
    return head if column is None else f"{column}: {head}"


class Rejects:
    """Refused rows of one file, written as they are found, as rows of the rejects table
    (loader/audit.REJECT_COLUMNS in the interchange format), to `spool` or to an anonymous
    temporary file; memory stays flat however many. `tally` counts their reason_key()s."""

    def __init__(self, load_id: str, file_name: str, spool: Path | None = None) -> None:
        self.load_id, self.file_name, self.count = load_id, file_name, 0
        self.tally: Counter[str] = Counter()
        self._handle = (spool.open("w+", encoding="utf-8", newline="") if spool is not None
                        else tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
        self._head = encode_row((load_id, file_name))[:-1] + ","
        self._adopted: list[Path] = []

    def add(self, record: Record, column: str | None, reason: str) -> None:
        raw = record.raw_text()
        self._handle.write(f"{self._head}{record.line},{_cell(column)},{_cell(reason)},"
                           f"{_cell(raw.prefix)},{raw.length},{raw.sha256}\n")
        self.count += 1
        self.tally[reason_key(column, reason)] += 1

    def adopt(self, spool: Path, tally: Counter[str]) -> None:
        """Take over the rejects another Rejects spooled to a file (the parsing child's)."""
        self._adopted.append(spool)
        self.tally.update(tally)

    def close(self) -> None:
        self._handle.close()

    def rows(self) -> Iterator[list[str]]:
        """The rejects so far, as the rejects table's columns, in text (a null column_name
        reads as the word NULL, which no column is called)."""
        self._handle.flush()
        for path in self._adopted:
            with path.open(encoding="utf-8", newline="") as handle:
                yield from csv.reader(handle)
        self._handle.seek(0)
        yield from csv.reader(self._handle)
        self._handle.seek(0, 2)

    @property
    def pending(self) -> list[tuple[int, str | None, str]]:
        """(line, column, reason) of every reject so far (for tests: not streamed)."""
        return [(int(row[2]), None if row[3] == "NULL" else row[3], row[4])
                for row in self.rows()]

    def write(self, source: Path, encoding: str, out: StagingFile) -> None:
        """Every reject into the rejects interchange file, copied as written."""
        self._handle.flush()
        for path in self._adopted:
            with path.open(encoding="utf-8", newline="") as handle:
                out.copy_from(handle)
        self._handle.seek(0)
        out.copy_from(self._handle)
        self._handle.seek(0, 2)


def _cell(value: str | None) -> str:
    """One value in the interchange format (staging_file.encode_row's rule)."""
    if value is None:
        return "NULL"
    return '"' + value.replace('"', '""') + '"' if needs_quotes(value) else value


class RejectSink(Protocol):
    def add(self, record: Record, column: str | None, reason: str) -> None: ...
    def adopt(self, spool: Path, tally: Counter[str]) -> None: ...


def column_positions(kind: FileKind, path: Path, header: Record,
                     notices: list[str]) -> list[int]:
    """Where each contract column sits in this file; refuses a file missing a required one."""
    index = header_index(header.fields)
    missing = [c.name for c in kind.columns if c.required and c.name not in index]
    if missing:
        raise FileRefused(
            f"{path.name}: line 1: missing required column(s) {', '.join(missing)}; "
            f"expected the {kind.name} columns {', '.join(kind.column_names)}"
        )
    known = set(kind.column_names)
    extra = [h.strip() for h in header.fields if h.strip().casefold() not in known]
    if extra:
        notices.append(f"{path.name}: extra column(s) ignored: {', '.join(extra)}")
    return [index.get(c.name, -1) for c in kind.columns]


def _first_problem(kind: FileKind, cells: tuple[str, ...], values: list[object],
                   cells_of: CellCache) -> tuple[str, str]:
    """Which column of a refused row broke the contract, and how (the slow path): the first
    column whose cached value is INVALID, normalised again for its reason."""
    column = values.index(INVALID)
    value = cells_of.normalisers[column](cells[column])
    if not isinstance(value, Invalid):
        raise AssertionError("a refused row with no invalid cell")
    name = kind.columns[column].name
    return name, f"{name} = {excerpt(cells[column])}: {value.reason}"


def _bare(body: str, values: list[object], separators: int) -> bool:
    """Whether the row joined by commas needs no quotes (staging_file.needs_quotes for each
    value), in a few C-level string scans: the fast check for the common row. Normalised
    values are never empty and have no spaces at either end (values.normaliser strips them)."""
    return (body.count(",") == separators and '"' not in body and "\n" not in body
            and "\r" not in body and "NULL" not in values)


def staged_chunks(kind: FileKind, path: Path, encoding: str, audit: Audit, rejects: RejectSink,
                  workdir: Path, notices: list[str], chunk_rows: int = DEFAULT_CHUNK_ROWS,
                  on_bytes: Callable[[int], None] | None = None, fast: bool = True) -> Iterator[Path]:
    """Yield chunk files of normalised rows (the contract's columns, then the source line).

    Unless `fast` is off (the tests compare both ways), blocks of lines that are canonical
    already go through loader/fast_path.py; from the first block that is not, every record goes
    through the per-row loop below. Counts every record
    into audit.rows_read and the refused ones into audit.rows_rejected; the rows in the chunks
    are the difference."""
    # Imported here: numpy and DuckDB load in the parsing child (preloaded by its fork server),
    # not in the loader process, which uses this module only for Rejects.
    from loader.contracts import data_start, line_ending
    from loader.fast_path import FastStager

    names = ChunkNames(workdir, chunk_rows)
    with path.open("rb") as binary:
        offset, line, fast_rows = 0, 1, 0
        start = data_start(kind, binary, encoding, crlf=True) if fast else None
        if start is not None:
            stager = FastStager(kind, binary, start, line=2, ending=line_ending(binary))
            for chunk in stager.chunks(names):
                if on_bytes is not None:
                    on_bytes(stager.offset)
                yield chunk
            offset, line, fast_rows = stager.offset, stager.line, stager.rows
        binary.seek(offset)
        yield from _per_row_chunks(kind, path, binary, encoding, audit, rejects, notices, names,
                                   None if start is None else line, on_bytes)
    audit.rows_read += fast_rows


def _per_row_chunks(kind: FileKind, path: Path, binary: BinaryIO, encoding: str, audit: Audit,
                    rejects: RejectSink, notices: list[str], names: ChunkNames,
                    resume_line: int | None,
                    on_bytes: Callable[[int], None] | None) -> Iterator[Path]:
    """Every record from binary's position: the header first unless resuming at `resume_line`
    (the header was checked to be the contract's columns in order)."""
    refuse_unreadable(path, encoding)
    if resume_line is None:
        source = RecordSource(binary, encoding, path.name)
        records = iter(source)
        header = next(records, None)
        if header is None:
            raise FileRefused(f"{path.name}: empty file, expected a header line")
        positions = column_positions(kind, path, Record(1, 1, header), notices)
        width = len(header)
    else:
        positions = list(range(len(kind.columns)))
        width = len(kind.columns)
        source = RecordSource(binary, encoding, path.name, first_line=resume_line, width=width)
        records = iter(source)
    contract_column = {p: kind.columns[i].name for i, p in enumerate(positions) if p >= 0}
    rejected = 0

    def refuse(start: int, end: int, column: str | None, reason: str, data: bytes) -> None:
        nonlocal rejected
        rejected += 1
        rejects.add(Record(start, end, [], data=data, encoding=encoding), column, reason)

    unreadable = 0

    def refuse_unread(start: int, end: int, field: int | None, reason: str,
                      data: bytes) -> None:
        nonlocal unreadable
        unreadable += 1  # a record, not yielded by the source
        refuse(start, end, None if field is None else contract_column.get(field), reason, data)

    source.on_problem = refuse_unread
    # A missing optional column reads as an empty cell: point it past the end of the row.
    padded = [p if p >= 0 else width for p in positions]
    pick = itemgetter(*padded) if len(padded) > 1 else (lambda f: (f[padded[0]],))
    cells_of = CellCache(kind)
    caches, fill = cells_of.caches, cells_of.fill
    get = dict.get
    chunk: StagingFile | None = None
    read = 0
    separators = len(kind.columns) - 1
    for fields in records:
        read += 1
        if len(fields) != width:
            refuse(source.start, source.end, None,
                   f"expected {width} fields as in the header, found {len(fields)}",
                   source.record_bytes())
            continue
        line = source.start
        fields.append("")
        cells = pick(fields)
        values = list(map(get, caches, cells))
        if None in values:
            fill(values, cells)
        if INVALID in values:
            column, reason = _first_problem(kind, cells, values, cells_of)
            refuse(line, source.end, column, reason, source.record_bytes())
            continue
        if chunk is None:
            chunk = StagingFile(names.path)
            limit = names.limit
        if NULL in values:
            chunk.write_line(encode_row([None if v is NULL else v for v in values] + [line]))
        else:
            body = ",".join(values)  # type: ignore[arg-type]
            # Written bare when no value needs quotes (staging_file.needs_quotes): no comma
            # but the separators, no quote or line break, no NULL text, no edge spaces.
            chunk.write_line(f"{body},{line}\n" if _bare(body, values, separators)
                             else encode_row(values + [line]))
        if chunk.rows >= limit:
            chunk.close()
            if on_bytes is not None:
                on_bytes(binary.tell())
            yield chunk.path
            names.advance()
            chunk = None
    audit.rows_read, audit.rows_rejected = read + unreadable, rejected
    if chunk is not None:
        chunk.close()
        yield chunk.path
        names.advance()
