"""Parse, validate and normalise one export into chunks of the interchange format.

Streams: the file is written out in chunk files of up to `chunk_rows` rows, so memory stays flat
however large the export (refused rows are remembered by line number, and their raw text is
fetched at the end). Blocks of lines that are canonical already are staged whole
(loader/fast_path.py); from the first block that is not, the file is read record by record:
cells go through cached normalisers, and a row whose values need no quoting is written with one
join, so the hot loop stays in C as much as Python allows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Protocol

from loader.contracts import FileKind
from loader.reader import FileRefused, Record, header_index, raw_text, records_of
from loader.staging_file import ChunkNames, StagingFile, encode_row
from loader.values import INVALID, NULL, CellCache, Invalid, normaliser
from loader.warehouse import Audit

DEFAULT_CHUNK_ROWS = 100_000


@dataclass
class Rejects:
    """Refused rows of one file: collected by line, written with their raw text at the end."""

    load_id: str
    file_name: str
    pending: list[tuple[int, int, str | None, str]] = field(default_factory=list)

    def add(self, record: Record, column: str | None, reason: str) -> None:
        self.pending.append((record.line, record.end_line, column, reason))

    def write(self, source: Path, encoding: str, out: StagingFile) -> None:
        spans = {line: end for line, end, _, _ in self.pending}
        texts = raw_text(source, encoding, spans) if spans else {}
        for line, _, column, reason in sorted(self.pending, key=lambda p: p[0]):
            out.write((self.load_id, self.file_name, line, column, reason, texts.get(line, "")))


class RejectSink(Protocol):
    def add(self, record: Record, column: str | None, reason: str) -> None: ...


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


def _first_problem(kind: FileKind, cells: tuple[str, ...]) -> tuple[str, str]:
    """Which column of a refused row broke the contract, and how (the slow path)."""
    for column, cell in zip(kind.columns, cells):
        value = normaliser(column)(cell)
        if isinstance(value, Invalid):
            return column.name, f"{column.name} = {cell!r}: {value.reason}"
    raise AssertionError("a refused row with no invalid cell")


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
    from loader.fast_path import FastStager, data_start

    names = ChunkNames(workdir, chunk_rows)
    with path.open("rb") as binary:
        offset, line, fast_rows = 0, 1, 0
        start = data_start(kind, binary, encoding) if fast else None
        if start is not None:
            stager = FastStager(kind, binary, start, line=2)
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
    with io.TextIOWrapper(binary, encoding=encoding, newline="") as stream:
        reader = csv.reader(stream, strict=True)
        if resume_line is None:
            header = next(records_of(reader), None)
            if header is None:
                raise FileRefused(f"{path.name}: empty file, expected a header line")
            positions = column_positions(kind, path, header, notices)
            width, base = len(header.fields), 0
        else:
            positions = list(range(len(kind.columns)))
            width, base = len(kind.columns), resume_line - 1
        # A missing optional column reads as an empty cell: point it past the end of the row.
        padded = [p if p >= 0 else width for p in positions]
        pick = itemgetter(*padded) if len(padded) > 1 else (lambda f: (f[padded[0]],))
        cells_of = CellCache(kind)
        caches, fill = cells_of.caches, cells_of.fill
        get = dict.get
        chunk: StagingFile | None = None
        read = rejected = 0
        separators = len(kind.columns) - 1
        previous_end = base + reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                read += 1
                rejects.add(Record(previous_end + 1, base + reader.line_num, [], str(exc)), None,
                            f"unreadable CSV record: {exc}")
                rejected += 1
                previous_end = base + reader.line_num
                continue
            line = previous_end + 1
            previous_end = base + reader.line_num
            if len(fields) != width:
                if not fields:
                    continue  # a blank line is not a record
                read += 1
                rejects.add(Record(line, previous_end, fields), None,
                            f"expected {width} fields as in the header, found {len(fields)}")
                rejected += 1
                continue
            read += 1
            fields.append("")
            cells = pick(fields)
            values = list(map(get, caches, cells))
            if None in values:
                fill(values, cells)
            if INVALID in values:
                column, reason = _first_problem(kind, cells)
                rejects.add(Record(line, previous_end, fields), column, reason)
                rejected += 1
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
        audit.rows_read, audit.rows_rejected = read, rejected
        if chunk is not None:
            chunk.close()
            yield chunk.path
            names.advance()
