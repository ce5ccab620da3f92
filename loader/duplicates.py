"""Find repeated keys in a staged file with an in-process DuckDB: out-of-core, so memory stays
flat however large the file; only the repeated keys come back to Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loader.contracts import FileKind

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = "512MB"


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


def duplicates_in(con: "duckdb.DuckDBPyConnection", kind: FileKind,
                  source: str) -> DuplicateReport:
    """Rows sharing a key in `source` (a DuckDB relation of the contract's columns as canonical
    text, NULL for no value, and `_line`): first grouped by a 64-bit hash of the key (small,
    spills to disk), then the few candidate rows compared on the key itself, so a hash
    collision costs nothing. The one rule for both landing paths (loader/native.py)."""
    report = DuplicateReport()
    names = kind.column_names
    key = ", ".join(f'"{k}"' for k in kind.key)
    # A row's signature: every contract value, NULL told apart from any text.
    signature = "md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce('v' || \"{n}\", 'n')" for n in names) + "))"
    candidates = con.execute(
        f"with keyed as (select hash({key}) as key_hash, * from {source}), "
        "repeated as (select key_hash from keyed group by key_hash having count(*) > 1) "
        f"select {key}, _line, {signature} from keyed "
        "where key_hash in (select key_hash from repeated) order by _line"
    ).fetchall()
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
