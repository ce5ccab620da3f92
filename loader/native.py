"""Land an export on DuckDB with DuckDB's own CSV reader: the native path.

On the DuckDB target the per-row path (loader/stage.py, in a parsing child) costs a Python step
per row and a second read of every staged chunk. Here DuckDB's C++ reader parses the file once
into a temporary table and Python sees only what it must judge:
- each column's DISTINCT values, each checked once by loader/values.py (the one definition of
  the normalisation and of every refusal reason); the few values that are not canonical go
  back as a small table (raw -> canonical, joined in SQL), the refused ones as a small table
  of raw values;
- the rows holding a refused value, which become rejects exactly as the per-row path writes
  them (with no quote in the file a record's bytes are its fields joined by commas);
- the repeated keys, found by the same query as the per-row path's (loader/duplicates.py).
The typed insert into the raw table, the audit counts, the shrink guard and the rollback are
load.py's and warehouse.DuckDBFileLoad's, as for every other file.

A file qualifies when it is UTF-8, its header is exactly the contract's columns in order
(contracts.data_start), and a byte scan finds no double quote, one kind of line break
throughout (LF, or CRLF as Windows exports write it: then no other carriage return), no blank
line, no NUL or 0x01 byte (the reader's null marker), and exactly the header's number of
commas per line on average (DuckDB's strict mode then refuses any line with a field too many or
too few). A file that does not qualify, or that DuckDB's reader refuses (an undecodable byte, a
line with the wrong number of fields), goes whole to the per-row path: the native path keeps
nothing of it. AKTU_LOADER_NATIVE=0 sends every file to the per-row path.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from loader.contracts import FileKind, LineBreaks, data_start, line_ending
from loader.duplicates import DuplicateReport, duplicates_in, sql_string
from loader.reader import Record
from loader.stage import RejectSink
from loader.values import Invalid, excerpt, normaliser
from loader.warehouse import duckdb_execute, quoted

SWITCH = "AKTU_LOADER_NATIVE"  # "0": every file takes the per-row path
# The byte scan's block: small, since the scan runs beside DuckDB's read of the same file.
SCAN_BYTES = 1 << 22
# DuckDB's memory while it holds a file's rows: beyond it the temporary table spills to disk,
# so the loader's memory stays flat however large the file.
MEMORY_LIMIT = "256MB"
FETCH_ROWS = 10_000
KEY_HASH = "_key_hash"  # the staged table's hash of each row's raw key
# Bytes that make a file take the per-row path: quoting, and the reader's null marker (0x01)
# and NUL, which the per-row path shows as an escape in a reject. Line breaks follow
# contracts.LineBreaks: one kind throughout, no blank line.
_REFUSED_BYTES = (b'"', b"\x00", b"\x01")
_CASTS = {"date": "date", "int": "integer", "float": "double", "bool": "boolean"}


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


def data_lines(kind: FileKind, path: Path, encoding: str) -> int | None:
    """The number of data lines when the file qualifies for the native path, else None."""
    separators = len(kind.columns) - 1
    with path.open("rb") as binary:
        start = data_start(kind, binary, encoding, crlf=True)
        if start is None:
            return None
        breaks = LineBreaks(line_ending(binary))
        binary.seek(start)
        commas = 0
        for block in iter(lambda: binary.read(SCAN_BYTES), b""):
            if not breaks.feed(block) or any(needle in block for needle in _REFUSED_BYTES):
                return None
            commas += block.count(b",")
    if not breaks.whole():
        return None
    return breaks.lines if commas == separators * breaks.lines else None


def _escaped(ending: bytes) -> str:
    """A line break as DuckDB's `new_line` option spells it: '\\n' or '\\r\\n'."""
    return ending.decode("ascii").encode("unicode_escape").decode("ascii")


@dataclass
class Landed:
    """What the native path found: counts for the audit, and the repeated keys."""

    rows_read: int
    rows_rejected: int
    duplicates: DuplicateReport


class NativeFile:
    """A qualifying file read by DuckDB into a temporary table (`stage`); `land` then inserts
    its canonical rows inside the file's transaction; `close` drops what it created."""

    def __init__(self, con: Any, kind: FileKind, path: Path, lines: int) -> None:
        self.con, self.kind, self.path, self.lines = con, kind, path, lines
        self.table = f"_native_{uuid.uuid4().hex}"
        self.names = kind.column_names
        with path.open("rb") as binary:
            self.ending = line_ending(binary)  # data_lines checks that every line ends so
        self._settings: dict[str, str] = {}

    @classmethod
    def stage(cls, con: Any, kind: FileKind, path: Path, encoding: str) -> "NativeFile | None":
        """The file read into a temporary table in file order, or None when it does not qualify
        or DuckDB's reader refuses it (the per-row path then takes the whole file).

        The byte scan that decides whether the file qualifies runs in a thread while DuckDB
        reads the file: DuckDB releases the GIL, so the two share the machine's cores instead of
        taking turns (at 12M rows the scan is over a second). A file the scan refuses loses only
        that read."""
        import duckdb

        native = cls(con, kind, path, 0)
        spec = ", ".join(f"{sql_string(n)}: 'varchar'" for n in native.names)
        key = ", ".join(quoted(k) for k in kind.key)
        for setting in ("memory_limit", "preserve_insertion_order"):
            native._settings[setting] = con.execute(
                f"select current_setting('{setting}')").fetchone()[0]
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(data_lines, kind, path, encoding)
            try:
                # Insertion order preserved: a row's rowid is its place in the file, so its line
                # is rowid + 2 (no blank line, no quoted line break: one record per physical
                # line). The key's hash is taken as the rows arrive, for the repeated-keys check
                # (land), which then reads one narrow column instead of the five key columns.
                con.execute("set preserve_insertion_order = true")
                con.execute(
                    f"create temp table {native.table} as select *, hash({key}) as {KEY_HASH} "
                    f"from read_csv({sql_string(path.as_posix())}, header = false, skip = 1, "
                    "delim = ',', quote = '', escape = '', nullstr = '\x01', strict_mode = true, "
                    f"new_line = '{_escaped(native.ending)}', auto_detect = false, "
                    f"columns = {{{spec}}})")
                count, top = con.execute(
                    f"select count(*), coalesce(max(rowid), -1) from {native.table}").fetchone()
            except duckdb.Error:
                count = top = None
            lines = scan.result()
        native.lines = lines if lines is not None else 0
        if lines is None or count != lines or top != lines - 1 or not native._ends_match():
            native.close()
            return None
        return native

    def _ends_match(self) -> bool:
        """The table's first and last rows are the file's first and last data lines: a check
        that fails safe should the reader ever not keep the file's order."""
        if self.lines == 0:
            return True
        ending = self.ending
        with self.path.open("rb") as binary:
            binary.readline()  # the header
            first = binary.readline().removesuffix(ending)
            binary.seek(max(0, self.path.stat().st_size - (1 << 16)))
            last = binary.read().removesuffix(ending).rsplit(ending, 1)[-1]
        joined = " || ',' || ".join(quoted(n) for n in self.names)
        # One `rowid = n` select per row: DuckDB fetches that row alone, where `rowid in (...)`
        # scans the table.
        rows = self.con.execute(" union all ".join(
            f"(select {joined}, rowid as _row from {self.table} where rowid = {row})"
            for row in sorted({0, self.lines - 1})) + " order by _row").fetchall()
        want = [first, last] if self.lines > 1 else [first]
        return [r[0].encode("utf-8") for r in rows] == want

    def land(self, load: Any, rejects: RejectSink, file_name: str,
             started_at: str) -> Landed:
        """Check every distinct value, spool the refused rows to `rejects`, find the repeated
        keys and insert the rest into the raw table through `load` (a DuckDBFileLoad)."""
        maps, refused = self._judge_values()
        # Every later row carries its line: the raw table's insert may go in any order, which
        # lets DuckDB write it in parallel (an ordered insert left most of the writing to the
        # commit, measured 1.5-2x slower in all).
        self.con.execute("set preserve_insertion_order = false")
        rejected = self._refuse_rows(refused, rejects) if refused else 0
        view = self._canonical_view(maps, rejected > 0)
        # The staged hash of a raw key is that of its canonical key when no key column has a
        # value that normalises to another text; otherwise the check hashes the canonical rows
        # itself. A refused row's hash may match a kept row's: the check compares the kept rows
        # of a repeated hash on the key itself, so it counts for nothing.
        key_columns = {self.names.index(k) for k in self.kind.key}
        hashes = (None if key_columns & maps.keys() else
                  f"(select {KEY_HASH} as key_hash, rowid + 2 as _line from {self.table})")
        report = duplicates_in(self.con, self.kind, view, key_hashes=hashes)
        dropped = report.lines_to_remove
        where = ""
        if dropped:
            duckdb_execute(self.con, f"create temp table {self.table}_dropped as "
                           "select unnest(?::bigint[]) as _line", [list(dropped)])
            where = f" where _line not in (select _line from {self.table}_dropped)"
        columns = ", ".join(quoted(n) for n in self.names)
        values = ", ".join(
            f"cast({quoted(c.name)} as {_CASTS[c.kind]})" if c.kind in _CASTS else quoted(c.name)
            for c in self.kind.columns)
        load.add_select(f"({columns}, _source_line, _source_file, _loaded_at)",
                        f"select {values}, _line, ?, ?::timestamp from {view}{where}",
                        [file_name, started_at])
        return Landed(self.lines, rejected, report)

    def _judge_values(self) -> tuple[dict[int, list[tuple[str, str | None]]],
                                     dict[int, dict[str, str]]]:
        """Per column: the raw values whose canonical form differs (raw, canonical or None),
        and the refused ones (raw -> reason)."""
        maps: dict[int, list[tuple[str, str | None]]] = {}
        refused: dict[int, dict[str, str]] = {}
        for j, column in enumerate(self.kind.columns):
            normalise = normaliser(column)
            for raw in self._distinct(self.names[j]):
                value = normalise(raw)
                if isinstance(value, Invalid):
                    refused.setdefault(j, {})[raw] = value.reason
                elif value != raw:
                    maps.setdefault(j, []).append((raw, value))
        return maps, refused

    def _distinct(self, name: str) -> Iterator[str]:
        cursor = self.con.execute(f"select distinct {quoted(name)} from {self.table}")
        while batch := cursor.fetchmany(FETCH_ROWS):
            for (raw,) in batch:
                yield raw

    def _refuse_rows(self, refused: dict[int, dict[str, str]], rejects: RejectSink) -> int:
        """Spool every row holding a refused value, as the per-row path refuses it: its first
        refused column (contract order) names the reason."""
        for j, values in refused.items():
            duckdb_execute(self.con, f"create temp table {self.table}_refused_{j} as "
                           "select unnest(?::varchar[]) as raw", [list(values)])
        test = " or ".join(f"{quoted(self.names[j])} in (select raw from {self.table}_refused_{j})"
                           for j in refused)
        self.con.execute(f"create temp table {self.table}_rejected as "
                         f"select rowid as _row from {self.table} where {test}")
        columns = ", ".join(quoted(n) for n in self.names)
        cursor = self.con.execute(
            f"select rowid + 2, {columns} from {self.table} "
            f"where rowid in (select _row from {self.table}_rejected) order by rowid")
        count = 0
        while batch := cursor.fetchmany(FETCH_ROWS):
            for line, *fields in batch:
                j = next(j for j in sorted(refused) if fields[j] in refused[j])
                name = self.names[j]
                record = Record(line, line, [], data=",".join(fields).encode("utf-8"),
                                encoding="utf-8-sig")
                rejects.add(record, name, f"{name} = {excerpt(fields[j])}: {refused[j][fields[j]]}")
                count += 1
        return count

    def _canonical_view(self, maps: dict[int, list[tuple[str, str | None]]],
                        any_rejected: bool) -> str:
        """A relation of the file's accepted rows: the contract's columns in canonical text (or
        NULL) and `_line`."""
        joins, values = [], []
        for j, name in enumerate(self.names):
            if j not in maps:
                values.append(f"t.{quoted(name)}")
                continue
            raws, canon = zip(*maps[j])
            duckdb_execute(self.con, f"create temp table {self.table}_map_{j} as select "
                           "unnest(?::varchar[]) as raw, unnest(?::varchar[]) as value",
                           [list(raws), list(canon)])
            joins.append(f"left join {self.table}_map_{j} as m{j} on t.{quoted(name)} = m{j}.raw")
            values.append(f"case when m{j}.raw is null then t.{quoted(name)} else m{j}.value end "
                          f"as {quoted(name)}")
        where = (f" where t.rowid not in (select _row from {self.table}_rejected)"
                 if any_rejected else "")
        return (f"(select {', '.join(values)}, t.rowid + 2 as _line from {self.table} as t "
                f"{' '.join(joins)}{where})")

    def close(self) -> None:
        """Drop the temporary tables and give DuckDB its settings back."""
        tables = [row[0] for row in duckdb_execute(
            self.con, "select table_name from duckdb_tables() where temporary and table_name like ?",
            [f"{self.table}%"]).fetchall()]
        for table in tables:
            self.con.execute(f"drop table if exists temp.{table}")
        for setting, value in self._settings.items():
            self.con.execute(f"set {setting} = '{value}'")
        self._settings = {}
