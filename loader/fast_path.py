"""Stage the clean blocks of an export without a Python step per row.

Most exports are canonical already: ISO dates, `P`/`A`, codes without stray spaces. For those
lines the per-row path (loader/stage.py) reads each record, looks each cell up and writes back
the same bytes with the line number appended, and that Python loop, not the server, was what
held the loader back (5 s of CPU for 1M attendance rows on this machine, where the server's
bare LOAD DATA takes 2.6-4.5 s).

Here a block of whole lines is staged in one piece when it provably holds nothing for the
per-row path to change or refuse:
- the file is UTF-8 and its header is exactly the contract's columns, in order;
- the block has no double quote and no empty cell, its line breaks follow the native path's
  rule (contracts.LineBreaks: one kind throughout, as the header's, and no blank line), and
  every line has exactly one comma between each pair of columns (the block's commas are
  counted, and DuckDB refuses a line with a field too many or too few);
- every distinct value of every column is its own canonical form (loader/values.py returns it
  unchanged; text columns must not hold the text NULL, which the interchange reads as NULL).
  An in-process DuckDB lists the distinct values of the staged block; each is checked once.

Then each line of the block is a record, the interchange row is the line itself, and the staged
block is the block with `,<line number>` added to each line: byte for byte what the per-row path
would write. At the first block that does not qualify the fast path stops and the per-row path
takes over from that block's first line to the end of the file.
"""

from __future__ import annotations

from itertools import chain, repeat
from pathlib import Path
from typing import BinaryIO, Iterator

import duckdb
import numpy as np

from loader.contracts import FileKind, LineBreaks
from loader.staging_file import ChunkNames
from loader.values import CellCache

READ_BYTES = 1 << 22
_COMMA, _NEWLINE = ord(","), ord("\n")


class FastStager:
    """Stage blocks of `binary` from `offset` (whose first line is `line`) while they qualify.

    After `chunks()` ends, `offset` and `line` say where the per-row path must resume (the end
    of the file when everything qualified) and `rows` counts the records staged."""

    def __init__(self, kind: FileKind, binary: BinaryIO, offset: int, line: int,
                 ending: bytes = b"\n") -> None:
        self.kind, self.binary, self.offset, self.line, self.rows = kind, binary, offset, line, 0
        self.ending = ending  # every line's break: b"\n", or b"\r\n" (a Windows export)
        self.breaks = LineBreaks(ending)  # fed each block taken, in file order
        self.cells = CellCache(kind)
        self.separators = len(kind.columns) - 1
        spec = ", ".join(f"'{c}': 'varchar'" for c in [*kind.column_names, "_line"])
        self._read_csv = ("read_csv('{path}', header = false, delim = ',', quote = '', escape = '', "
                          f"auto_detect = false, columns = {{{spec}}})")
        self._distinct = ("select count(*), " + ", ".join(
            f'list(distinct "{c}")' for c in kind.column_names) + f" from {self._read_csv}")

    def chunks(self, names: ChunkNames) -> Iterator[Path]:
        self.binary.seek(self.offset)
        pending, at_end = b"", False
        con = duckdb.connect()
        try:
            while True:
                while not at_end and pending.count(b"\n") < names.limit:
                    more = self.binary.read(READ_BYTES)
                    at_end = not more
                    pending += more
                block, lines = self._take(pending, names.limit)
                if block is None:
                    return
                self._write(block, lines, names.path)
                if not self._values_canonical(con, names.path, lines):
                    names.path.unlink()
                    return
                pending = pending[len(block):]
                self.offset += len(block)
                self.line += lines
                self.rows += lines
                yield names.path
                names.advance()
        finally:
            con.close()

    def _take(self, pending: bytes, limit: int) -> tuple[bytes | None, int]:
        """The next block of up to `limit` whole lines, if its bytes qualify."""
        data = np.frombuffer(pending, dtype=np.uint8)
        breaks = np.flatnonzero(data == _NEWLINE)[:limit]
        if not len(breaks):
            return None, 0  # the end of the file, or a last line without a line break
        block = pending[:int(breaks[-1]) + 1]
        end = self.ending
        if (b'"' in block or b",," in block or b"," + end in block or b"\n," in block
                or block[0] == _COMMA):
            return None, 0
        if not self.breaks.feed(block) or not self.breaks.whole():
            return None, 0  # contracts.LineBreaks: one kind of line break, no blank line
        if block.count(b",") != self.separators * len(breaks):
            return None, 0  # and DuckDB refuses a line with a field too many or too few
        return block, len(breaks)

    def _write(self, block: bytes, lines: int, path: Path) -> None:
        rows = block.split(self.ending)
        rows.pop()  # after the last line break
        numbers = np.arange(self.line, self.line + lines).astype(bytes).tolist()
        path.write_bytes(b"".join(chain.from_iterable(
            zip(rows, repeat(b","), numbers, repeat(b"\n")))))

    def _values_canonical(self, con: duckdb.DuckDBPyConnection, path: Path, lines: int) -> bool:
        try:
            # The path inline, not as a parameter: DuckDB imports pandas to bind one (0.35 s).
            query = self._distinct.replace("{path}", path.as_posix().replace("'", "''"))
            counted, *distinct = con.execute(query).fetchone()
        except duckdb.InvalidInputException:
            return False  # a line with a field too many or too few
        if counted != lines:
            return False
        canonical = self.cells.canonical
        for column, values in enumerate(distinct):
            for value in values:
                # not empty, not the text NULL (the interchange's null), already canonical
                if value is None or value == "NULL" or canonical(column, value) != value:
                    return False
        return True
