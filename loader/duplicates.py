"""Find repeated keys in a staged file with an in-process DuckDB: out-of-core, so memory stays
flat however large the file; only the repeated keys come back to Python."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loader.contracts import FileKind

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = "512MB"
# Key hashes grouped at a time: each pass groups the hashes of one slice of the hash values,
# about this many rows, which DuckDB's hash aggregate holds in ~50 MB without spilling to disk.
# One aggregate over every row of a large file spills, and DuckDB 1.2's spilling hash aggregate
# can crash (a segfault in its combine, seen in ~1 of 40 loads of 2.4M rows under 256 MB;
# duckdb/duckdb#23757 fixes it upstream).
ROWS_PER_PASS = 1_000_000


@dataclass
class DuplicateReport:
    # line -> the first line it repeats exactly (the first one stays loaded)
    exact: dict[int, int] = field(default_factory=dict)
    # line -> the other lines with the same key and different values (all of them are rejected)
    conflicts: dict[int, list[int]] = field(default_factory=dict)

    @property
    def lines_to_remove(self) -> list[int]:
        return sorted([*self.exact, *self.conflicts])


def sql_string(text: str) -> str:
    """A DuckDB string literal (a temporary folder's name may hold a quote)."""
    return "'" + text.replace("'", "''") + "'"


def csv_source(paths: list[Path], columns: list[tuple[str, str]]) -> str:
    """A DuckDB read_csv over interchange files (see loader/staging_file.py)."""
    files = ", ".join(sql_string(p.as_posix()) for p in paths)
    spec = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in columns)
    return (f"read_csv([{files}], columns = {{{spec}}}, header = false, delim = ',', "
            "quote = '\"', escape = '\"', nullstr = 'NULL', allow_quoted_nulls = false, "
            "auto_detect = false)")


def find_duplicates(kind: FileKind, chunks: list[Path], workdir: Path) -> DuplicateReport:
    """Repeated keys in the staged chunks, with an in-process DuckDB under MEMORY_LIMIT."""
    import duckdb  # here, not at the top: only the parsing child needs it (loader/parse_process.py)

    if not chunks:
        return DuplicateReport()
    names = kind.column_names
    source = csv_source(chunks, [(n, "varchar") for n in names] + [("_line", "bigint")])
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT,
                                 "temp_directory": str(workdir / "duckdb_tmp")})
    try:
        return duplicates_in(con, kind, source)
    finally:
        con.close()


def duplicates_in(con: "duckdb.DuckDBPyConnection", kind: FileKind, source: str,
                  rows_per_pass: int = ROWS_PER_PASS,
                  key_hashes: str | None = None) -> DuplicateReport:
    """Rows sharing a key in `source` (a DuckDB relation of the contract's columns as canonical
    text, NULL for no value, and `_line`): each row's 64-bit key hash is written once to a
    narrow temporary table, grouped a slice of hash values at a time (see ROWS_PER_PASS), and
    the few candidate rows are then compared on the key itself, so a hash collision costs
    nothing. `key_hashes`, when given, is a relation of (key_hash, _line) already holding
    `hash(key)` of every row of `source` (the native path takes it while DuckDB reads the file),
    and replaces that table. The one rule for both landing paths (loader/native.py)."""
    report = DuplicateReport()
    names = kind.column_names
    key = ", ".join(f'"{k}"' for k in kind.key)
    # A row's signature: every contract value, NULL told apart from any text.
    signature = "md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce('v' || \"{n}\", 'n')" for n in names) + "))"
    table = f"_key_hashes_{uuid.uuid4().hex}"
    hashes = key_hashes or table
    try:
        if key_hashes is None:
            con.execute(f"create temp table {table} as select hash({key}) as key_hash, _line "
                        f"from {source}")
        rows = con.execute(f"select count(*) from {hashes}").fetchone()[0]
        passes = max(1, -(-rows // rows_per_pass))
        con.execute(f"create temp table {table}_repeated (key_hash ubigint)")
        for slice_ in range(passes):
            con.execute(f"insert into {table}_repeated select key_hash from {hashes} "
                        f"where key_hash % {passes} = {slice_} "
                        "group by key_hash having count(*) > 1")
        # Nearly always no hash repeats, and the rows need not be read again.
        repeats = con.execute(f"select count(*) from {table}_repeated").fetchone()[0]
        candidates = con.execute(
            f"select {key}, _line, {signature} from {source} where _line in ("
            f"select _line from {hashes} "
            f"where key_hash in (select key_hash from {table}_repeated)) order by _line"
        ).fetchall() if repeats else []
    finally:
        for name in (table, f"{table}_repeated"):
            con.execute(f"drop table if exists temp.{name}")
    groups: dict[tuple[object, ...], list[tuple[int, str]]] = {}
    width = len(kind.key)
    for row in candidates:
        groups.setdefault(tuple(row[:width]), []).append((row[width], row[width + 1]))
    for members in groups.values():
        if len(members) < 2:
            continue  # a hash collision, not a duplicate
        lines = [line for line, _ in members]
        if len({sig for _, sig in members}) == 1:
            for line in lines[1:]:
                report.exact[line] = lines[0]
        else:
            for line in lines:
                report.conflicts[line] = [other for other in lines if other != line]
    return report
