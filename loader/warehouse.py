"""Landing normalised files in the raw schema, all or nothing per export file.

DuckDB reads the interchange files natively; MySQL/MariaDB take them with LOAD DATA LOCAL INFILE,
`FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''`, so `\\` and `\\N` in the data
mean nothing special and only the bare word NULL is a null (see loader/staging_file.py).
The chunks are parsed in a child process (loader/parse_process.py) while they load here: on
DuckDB in one transaction, on MySQL/MariaDB on two connections in a two-phase commit
(MySQLFileLoad).
"""

from __future__ import annotations

import csv
import hashlib
import queue
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from loader.audit import (AUDIT_COLUMNS, AUDIT_TABLE, REJECT_COLUMNS, REJECT_COLUMNS_ADDED,
                          REJECTS_TABLE, Audit, PreviousLoad, start_after)
from loader.contracts import FILE_KINDS, Column, FileKind
from loader.duplicates import csv_source, sql_string
from loader.profiles import Target

REJECTS_MEMORY_LIMIT = "128MB"  # DuckDB's, while it inserts a file's rejects
# Every row of one file load carries the load's start (the audit's started_at) as _loaded_at, and
# loads run one at a time, each starting strictly after the one before (record_start): on
# MySQL/MariaDB this clustered key keeps the rows in load order, so "rows loaded since X" (dbt's
# incremental models) is a range read, and appending costs little more than InnoDB's hidden row
# id. _loaded_at alone tells loads apart, so the key leaves _source_file out (LOAD DATA measured
# 1.16x the bare load with it in the key, 1.07x without).
RAW_PRIMARY_KEY = ("_loaded_at", "_source_line")

# MySQL/MariaDB: connections loading one file's chunks side by side (MySQLFileLoad), and the
# prefix of their XA transaction ids (MySQLWarehouse.recover finds a killed loader's by it).
LANES = 2
XID_PREFIX = "aktu-load:"


def xid_prefix(raw_schema: str) -> str:
    """The start of every XA transaction id this loader gives a lane loading into raw_schema:
    one server holds many warehouses' schemas, and recovery (MySQLWarehouse.recover) and tests
    touch only their own schema's prepared branches. A hash, as a schema name can be 64
    characters and an XA id's gtrid at most 64 bytes: prefix 24 + load id 32 + lane 2."""
    digest = hashlib.sha256(raw_schema.encode("utf-8")).hexdigest()[:12]
    return f"{XID_PREFIX}{digest}:"


class WarehouseError(Exception):
    """The warehouse cannot be used: the message says what happened and what to do."""


class LoaderBusy(WarehouseError):
    """Another loader (or process) holds this warehouse's raw schema or DuckDB file."""


class WarehouseUnreachable(WarehouseError):
    """No connection to the warehouse could be opened."""


class WarehouseLost(WarehouseError):
    """The warehouse stopped answering in the middle of a run."""


class FileLoad(Protocol):
    """One file's transaction: old rows of the file out, new rows in, all or nothing."""

    def add_chunk(self, path: Path) -> None: ...
    def remove_lines(self, lines: list[int]) -> None: ...
    def add_rejects(self, path: Path) -> None: ...
    def commit(self, audit: Audit) -> None: ...
    def rollback(self) -> None: ...


class Warehouse(Protocol):
    target: Target

    def ensure_raw_tables(self) -> None: ...
    def last_load(self, file_name: str) -> PreviousLoad | None: ...
    def record_start(self, audit: Audit) -> None: ...
    def record_outcome(self, audit: Audit) -> None: ...
    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> FileLoad: ...
    def close(self) -> None: ...


def _sql_type(column: Column, mysql: bool) -> str:
    if column.kind == "text":
        return f"varchar({column.max_length})" if mysql else "varchar"
    return {"date": "date", "int": "integer", "float": "double", "bool": "boolean",
            "status": "char(1)" if mysql else "varchar"}[column.kind]


def quoted(name: str, mysql: bool = False) -> str:
    """A quoted identifier, its quote characters doubled (a schema name may hold any):
    backquotes on MySQL/MariaDB, double quotes on DuckDB."""
    return "`" + name.replace("`", "``") + "`" if mysql else '"' + name.replace('"', '""') + '"'


def _duckdb_literal(value: Any) -> str | None:
    """A parameter as a DuckDB literal: text, a whole number, None, or a list of those; None for
    anything else, and for text holding a NUL."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return None if "\x00" in value else sql_string(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        items = [_duckdb_literal(item) for item in value]
        return None if None in items else f"[{', '.join(items)}]"  # type: ignore[arg-type]
    return None


def duckdb_execute(con: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    """`con.execute(sql, params)` with the `?` marks filled in as literals where every parameter
    has one (text stays untyped, as a bound parameter is: DuckDB casts it to what it meets).
    DuckDB's Python client imports pandas to bind any parameter, half a second of every loader
    process. A `?` count that differs from the parameters' (a `?` inside a literal) binds."""
    parts = sql.split("?")
    literals = [_duckdb_literal(value) for value in params]
    if len(parts) != len(literals) + 1 or None in literals:
        return con.execute(sql, list(params))
    return con.execute("".join(part + literal for part, literal in zip(parts, literals + [""])))


class _Dialect:
    def __init__(self, mysql: bool) -> None:
        self.mysql = mysql
        self.mark = "%s" if mysql else "?"

    def q(self, name: str) -> str:
        return quoted(name, self.mysql)

    @property
    def table_options(self) -> str:
        return " engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin" if self.mysql else ""

    def raw_table_ddl(self, schema: str, kind: FileKind) -> str:
        q = self.q
        cols = [f"{q(c.name)} {_sql_type(c, self.mysql)}" for c in kind.columns]
        cols += [
            f"{q('_source_file')} varchar(255) not null",
            f"{q('_source_line')} bigint not null",
            f"{q('_loaded_at')} {'datetime(6)' if self.mysql else 'timestamp'} not null",
        ]
        if self.mysql:
            cols.append(f"primary key ({', '.join(RAW_PRIMARY_KEY)})")
        return (f"create table if not exists {q(schema)}.{q(kind.table)} "
                f"({', '.join(cols)}){self.table_options}")

    def meta_ddl(self, schema: str) -> list[str]:
        q, ts = self.q, ("datetime(6)" if self.mysql else "timestamp")
        text = "text" if self.mysql else "varchar"
        return [
            f"create table if not exists {q(schema)}.{q(AUDIT_TABLE)} ("
            "load_id varchar(36) not null primary key, file_name varchar(255) not null, "
            "file_kind varchar(32) not null, file_sha256 char(64) not null, "
            "encoding varchar(32), rows_read bigint, rows_loaded bigint, rows_rejected bigint, "
            f"rows_duplicate bigint, started_at {ts} not null, finished_at {ts}, "
            f"status varchar(16) not null, message {text}, source_folder {text}){self.table_options}",
            f"create table if not exists {q(schema)}.{q(REJECTS_TABLE)} ("
            "load_id varchar(36) not null, source_file varchar(255) not null, "
            f"line_number bigint not null, column_name varchar(255), reason {text} not null, "
            f"raw_line {text}, raw_length bigint, raw_sha256 char(64)){self.table_options}",
        ]

    def audit_insert(self, schema: str) -> str:
        marks = ", ".join(self.mark for _ in AUDIT_COLUMNS)
        return (f"insert into {self.q(schema)}.{self.q(AUDIT_TABLE)} "
                f"({', '.join(AUDIT_COLUMNS)}) values ({marks})")

    def audit_update(self, schema: str) -> str:
        sets = ", ".join(f"{c} = {self.mark}" for c in AUDIT_COLUMNS[1:])
        return (f"update {self.q(schema)}.{self.q(AUDIT_TABLE)} set {sets} "
                f"where load_id = {self.mark}")

    def last_load(self, schema: str) -> str:
        return (f"select file_sha256, rows_loaded, source_folder "
                f"from {self.q(schema)}.{self.q(AUDIT_TABLE)} "
                f"where file_name = {self.mark} and status = 'loaded' "
                "order by finished_at desc limit 1")

    def mark_interrupted(self, schema: str) -> str:
        return (f"update {self.q(schema)}.{self.q(AUDIT_TABLE)} set status = 'interrupted', "
                "message = 'the loader stopped before this load committed; nothing of it was kept' "
                f"where file_name = {self.mark} and status = 'started'")

    def earlier_loads(self, schema: str, table: str) -> str:
        """The _loaded_at of a file's rows from loads before the one under way (a plain read:
        on MySQL/MariaDB it takes no lock)."""
        return (f"select distinct _loaded_at from {self.q(schema)}.{self.q(table)} "
                f"where _source_file = {self.mark} and _loaded_at <> {self.mark}")

    def delete_earlier_rows(self, schema: str, table: str, count: int) -> str:
        """A file's rows of the given earlier loads: key ranges that end before the rows of the
        load under way, which its lanes hold locked until they commit."""
        marks = ", ".join(self.mark for _ in range(count))
        return (f"delete from {self.q(schema)}.{self.q(table)} "
                f"where _loaded_at in ({marks}) and _source_file = {self.mark}")

    def delete_earlier_rejects(self, schema: str) -> str:
        return (f"delete from {self.q(schema)}.{self.q(REJECTS_TABLE)} "
                f"where source_file = {self.mark} and load_id <> {self.mark}")

    def delete_lines(self, schema: str, table: str, count: int) -> str:
        """Lines of the file load under way (its rows share its _loaded_at: a key range)."""
        marks = ", ".join(self.mark for _ in range(count))
        return (f"delete from {self.q(schema)}.{self.q(table)} "
                f"where _loaded_at = {self.mark} and _source_file = {self.mark} "
                f"and _source_line in ({marks})")


def _audit_args(audit: Audit) -> list[Any]:
    return list(audit.values()[1:]) + [audit.load_id]


class _BaseWarehouse:
    dialect: _Dialect
    schema: str

    def _execute(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def ensure_raw_tables(self) -> None:
        for kind in FILE_KINDS:
            self._execute(self.dialect.raw_table_ddl(self.schema, kind))
        for ddl in self.dialect.meta_ddl(self.schema):
            self._execute(ddl)
        # Raw rows of older loaders also carried the load id; a row's load is its file and
        # _loaded_at (the audit's file_name and started_at). The column goes, once.
        tables = [k.table for k in FILE_KINDS]
        marks = ", ".join(self.dialect.mark for _ in tables)
        for (table,) in self._execute(
                "select table_name from information_schema.columns where table_schema = "
                f"{self.dialect.mark} and table_name in ({marks}) and column_name = '_load_id'",
                [self.schema, *tables]):
            print(f"dropping the column _load_id from {self.schema}.{table}", file=sys.stderr)
            self._execute(f"alter table {self.dialect.q(self.schema)}.{self.dialect.q(table)} "
                          "drop column _load_id")
        # Tables of older loaders lack the columns added since (null in their old rows): the
        # folder each file came from, and a reject's length and SHA-256.
        self._add_missing_columns(
            AUDIT_TABLE, [("source_folder", "text" if self.dialect.mysql else "varchar")])
        self._add_missing_columns(REJECTS_TABLE, list(REJECT_COLUMNS_ADDED))

    def _add_missing_columns(self, table: str, columns: list[tuple[str, str]]) -> None:
        have = {row[0].lower() for row in self._execute(
            "select column_name from information_schema.columns where table_schema = "
            f"{self.dialect.mark} and table_name = {self.dialect.mark}", [self.schema, table])}
        for column, sql_type in columns:
            if column in have:
                continue
            print(f"adding the column {column} to {self.schema}.{table}", file=sys.stderr)
            try:
                self._execute(f"alter table {self.dialect.q(self.schema)}.{self.dialect.q(table)} "
                              f"add column {column} {sql_type}")
            except Exception as exc:  # noqa: BLE001 - a loader account without ALTER
                raise WarehouseError(
                    f"{self.schema}.{table} comes from an older loader and needs the column "
                    f"{column}, which this account cannot add ({type(exc).__name__}: "
                    f"{str(exc)[:160]}); run the loader once as an account allowed to ALTER "
                    f"tables in {self.schema}") from None

    def last_load(self, file_name: str) -> PreviousLoad | None:
        rows = self._execute(self.dialect.last_load(self.schema), [file_name])
        if not rows:
            return None
        sha, loaded, folder = rows[0]
        return PreviousLoad(sha, int(loaded or 0), folder or None)

    def record_start(self, audit: Audit) -> None:
        latest = self._execute(f"select max(started_at) from "
                               f"{self.dialect.q(self.schema)}.{self.dialect.q(AUDIT_TABLE)}")
        start_after(audit, latest[0][0] if latest else None)
        self._execute(self.dialect.mark_interrupted(self.schema), [audit.file_name])
        self._execute(self.dialect.audit_insert(self.schema), list(audit.values()))

    def record_outcome(self, audit: Audit) -> None:
        self._execute(self.dialect.audit_update(self.schema), _audit_args(audit))


class DuckDBWarehouse(_BaseWarehouse):
    def __init__(self, target: Target) -> None:
        import duckdb

        self.target = target
        self.dialect = _Dialect(mysql=False)
        Path(target.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(target.path)  # DuckDB itself allows one writing process
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = re.search(r"PID \d+", str(exc))
            raise LoaderBusy(
                f"the DuckDB file {target.path} is open in another process"
                f"{f' ({holder.group(0)})' if holder else ''} (a loader, dbt or a notebook); "
                "run the load again when that process has ended") from None
        self.schema = target.raw_schema

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return duckdb_execute(self.con, sql, params)

    def _execute(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        self.execute(sql, params)
        try:
            return self.con.fetchall()
        except Exception:  # noqa: BLE001 - statements without a result set
            return []

    def ensure_raw_tables(self) -> None:
        self._execute(f"create schema if not exists {self.dialect.q(self.schema)}")
        super().ensure_raw_tables()

    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> "DuckDBFileLoad":
        return DuckDBFileLoad(self, kind, audit, replacing)

    def close(self) -> None:
        self.con.close()


class DuckDBFileLoad:
    def __init__(self, wh: DuckDBWarehouse, kind: FileKind, audit: Audit, replacing: bool) -> None:
        self.wh, self.kind, self.audit = wh, kind, audit
        d, s = wh.dialect, wh.schema
        self.replacing = replacing
        wh.con.execute("begin transaction")
        self.columns = [(c.name, _sql_type(c, mysql=False)) for c in kind.columns]
        self.columns.append(("_source_line", "bigint"))
        self.loaded = 0

    def add_chunk(self, path: Path) -> None:
        q = self.wh.dialect.q
        names = ", ".join(q(n) for n, _ in self.columns)
        self.wh.execute(
            f"insert into {q(self.wh.schema)}.{q(self.kind.table)} "
            f"({names}, _source_file, _loaded_at) "
            f"select {names}, ?, ?::timestamp from {csv_source([path], self.columns)}",
            [self.audit.file_name, self.audit.started_at],
        )
        self.loaded += self.wh.con.fetchone()[0]

    def add_select(self, columns: str, select: str, params: list[Any]) -> None:
        """Insert the rows of a query on this connection (loader/native.py) into the raw table:
        `columns` is the parenthesised column list."""
        q = self.wh.dialect.q
        self.wh.execute(f"insert into {q(self.wh.schema)}.{q(self.kind.table)} {columns} "
                        f"{select}", params)
        self.loaded += self.wh.con.fetchone()[0]

    def remove_lines(self, lines: list[int]) -> None:
        for start in range(0, len(lines), 1000):
            batch = lines[start:start + 1000]
            self.wh.execute(self.wh.dialect.delete_lines(self.wh.schema, self.kind.table,
                                                         len(batch)),
                            [self.audit.started_at, self.audit.file_name, *batch])
            self.loaded -= self.wh.con.fetchone()[0]

    def add_rejects(self, path: Path) -> None:
        cols = [(c, "bigint" if c in ("line_number", "raw_length") else "varchar")
                for c in REJECT_COLUMNS]
        names = ", ".join(REJECT_COLUMNS)  # by name: an older table has them in another order
        con = self.wh.con
        # A file of mostly refused rows makes a large insert: under a memory limit DuckDB writes
        # its pages to the database file instead of holding them until the commit.
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
        con.execute(f"set memory_limit = '{REJECTS_MEMORY_LIMIT}'")
        try:
            q = self.wh.dialect.q
            con.execute(f"insert into {q(self.wh.schema)}.{q(REJECTS_TABLE)} ({names}) "
                        f"select {names} from {csv_source([path], cols)}")
        finally:
            con.execute(f"set memory_limit = '{limit}'")

    def commit(self, audit: Audit) -> None:
        if self.loaded != audit.rows_loaded:
            raise RuntimeError(f"{audit.file_name}: DuckDB stored {self.loaded} rows, "
                               f"the loader sent {audit.rows_loaded}")
        if self.replacing:  # here, once load.py has let the new version replace the old one
            d, s = self.wh.dialect, self.wh.schema
            self.wh.execute(
                f"delete from {d.q(s)}.{d.q(self.kind.table)} "
                "where _source_file = ? and _loaded_at <> ?", [audit.file_name, audit.started_at])
            self.wh.execute(d.delete_earlier_rejects(s), [audit.file_name, audit.load_id])
        self.wh.execute(self.wh.dialect.audit_update(self.wh.schema), _audit_args(audit))
        self.wh.con.execute("commit")

    def rollback(self) -> None:
        self.wh.con.execute("rollback")


class MySQLWarehouse(_BaseWarehouse):
    """MySQL 8 and MariaDB 10.6+: the same SQL on both."""

    def __init__(self, target: Target, lock_timeout: int = 600) -> None:
        self.target = target
        self.dialect = _Dialect(mysql=True)
        self.schema = target.raw_schema
        self.con = self.open_connection()
        # One loader per raw schema at a time: a second one would interleave deletes and loads.
        # A killed loader's lock goes with its connection; what it left prepared, recover() ends.
        lock = f"aktu_loader:{self.schema}"[:64]
        if not self._execute("select get_lock(%s, 1)", [lock])[0][0]:
            print(f"waiting up to {lock_timeout}s for another loader on {self.schema} to end",
                  file=sys.stderr)
            if not self._execute("select get_lock(%s, %s)", [lock, lock_timeout])[0][0]:
                self.con.close()
                raise LoaderBusy(f"another loader is still loading into {self.schema} after "
                                 f"{lock_timeout}s; try again when it ends")

    def _execute(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(sql, tuple(params) or None)
            return list(cur.fetchall())

    def open_connection(self) -> Any:
        """A connection for this loader. READ COMMITTED: a replaced file's delete then locks
        only the rows it deletes, not the gap where the lanes append the new rows."""
        import pymysql

        t = self.target
        try:
            con = pymysql.connect(host=t.host, port=t.port, user=t.user, password=t.password,
                                  charset="utf8mb4", local_infile=True, autocommit=True)
        except pymysql.err.OperationalError as exc:
            reason = exc.args[1] if len(exc.args) > 1 else exc
            raise WarehouseUnreachable(
                f"cannot connect to {t.type} at {t.host}:{t.port} as {t.user} ({reason}); check "
                f"that the server runs and the profile's target {t.name!r} points at it") from None
        con.query("set session transaction isolation level read committed")
        return con

    def recover(self) -> None:
        """Finish the loads a killed loader left in doubt (MySQLFileLoad's two-phase commit):
        commit the prepared lanes of a load whose audit row says `loaded`, roll back the others
        (also when the audit table is gone: no row decides, so nothing of them is kept).
        A lane's XA id names its raw schema (xid_prefix): other schemas' lanes are left alone."""
        has_audit = bool(self._execute(
            "select 1 from information_schema.tables where table_schema = %s "
            "and table_name = %s", [self.schema, AUDIT_TABLE]))
        own = xid_prefix(self.schema)
        try:
            prepared = self._execute("xa recover")
        except Exception as exc:  # noqa: BLE001 - MySQL 8 needs XA_RECOVER_ADMIN for this
            print(f"warning: cannot list prepared loads ({exc}); a killed load may hold locks "
                  "until a DBA runs XA RECOVER (docs: loader account)", file=sys.stderr)
            return
        for row in prepared:
            xid = row[3].decode() if isinstance(row[3], bytes) else str(row[3])
            if xid.startswith(own):
                load_id = xid[len(own):].split(":")[0]
            elif xid.startswith(XID_PREFIX) and xid[len(XID_PREFIX):].count(":") == 1:
                # An older loader's id (aktu-load:<load id>:<lane>) names no schema: only an
                # audit row of this schema makes it ours.
                load_id = xid[len(XID_PREFIX):].split(":")[0]
                if not has_audit or not self._audit_status(load_id):
                    continue
            else:
                continue  # another raw schema's load, or not the loader's
            status = self._audit_status(load_id) if has_audit else None
            verb = "commit" if status == "loaded" else "rollback"
            self._execute(f"xa {verb} %s", [xid])
            print(f"{verb} of a lane that a stopped loader left prepared (load {load_id})",
                  file=sys.stderr)

    def _audit_status(self, load_id: str) -> str | None:
        rows = self._execute(f"select status from {self.dialect.q(self.schema)}."
                             f"{self.dialect.q(AUDIT_TABLE)} where load_id = %s", [load_id])
        return rows[0][0] if rows else None

    def ensure_raw_tables(self) -> None:
        self._execute(f"create database if not exists {self.dialect.q(self.schema)} "
                      "character set utf8mb4 collate utf8mb4_bin")
        self.recover()
        super().ensure_raw_tables()
        # Raw tables created before the clustered key existed, or with an earlier one
        # (_loaded_at, _source_file, _source_line), get this one once (a table rebuild).
        keys: dict[str, list[str]] = {k.table: [] for k in FILE_KINDS}
        for table, column in self._execute(
                "select table_name, column_name from information_schema.statistics "
                "where table_schema = %s and table_name in %s and index_name = 'PRIMARY' "
                "order by table_name, seq_in_index", [self.schema, tuple(keys)]):
            keys[table].append(column)
        wanted = ", ".join(RAW_PRIMARY_KEY)
        for table, key in keys.items():
            if tuple(key) == RAW_PRIMARY_KEY:
                continue
            print(f"{'changing' if key else 'adding'} the primary key ({wanted}) of "
                  f"{self.schema}.{table}", file=sys.stderr)
            drop = "drop primary key, " if key else ""
            self._execute(f"alter table {self.dialect.q(self.schema)}.{self.dialect.q(table)} "
                          f"{drop}add primary key ({wanted})")

    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> "MySQLFileLoad":
        return MySQLFileLoad(self, kind, audit, replacing)

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:  # noqa: BLE001 - a connection the server dropped is closed already
            pass


def _line_span(chunk: Path) -> tuple[int, int]:
    """The first and last source line of an interchange chunk (its rows are in line order and
    each ends with its line number, never quoted)."""
    with chunk.open(encoding="utf-8", newline="") as handle:
        first = int(next(csv.reader(handle))[-1])
    with chunk.open("rb") as handle:
        handle.seek(max(0, chunk.stat().st_size - 4096))
        last = int(handle.read().rstrip(b"\n").rsplit(b"\n", 1)[-1].rsplit(b",", 1)[-1])
    return first, last


class _Lane:
    """One connection loading chunks in its own XA transaction branch, on its own thread."""

    def __init__(self, load: "MySQLFileLoad", number: int) -> None:
        self.load, self.xid = load, f"{load.xid_prefix}{number}"
        self.con = load.wh.open_connection()
        self.spans: list[tuple[int, int]] = []
        self.loaded = 0
        self.error: BaseException | None = None
        self.con.query(f"xa start '{self.xid}'")
        self.thread = threading.Thread(target=self._run, name=f"load lane {number}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunk := self.load.queue.get()) is not None:
            if self.error is not None:
                continue  # drain the queue; the load rolls back
            try:
                self.loaded += self.load.load_data(self.con, chunk, self.load.kind.table,
                                                   self.load.chunk_columns, *self.load.chunk_sets)
                self.spans.append(_line_span(chunk))
            except BaseException as exc:  # noqa: BLE001 - raised again by MySQLFileLoad
                self.error = exc

    def owns(self, line: int) -> bool:
        return any(first <= line <= last for first, last in self.spans)


class MySQLFileLoad:
    """One file's load, all or nothing, with LOAD DATA on LANES connections side by side.

    One LOAD DATA runs on one server thread: measured here (MariaDB 10.11, 2 cores), two
    connections loading alternate chunks took 0.90-0.96x the time of a single bare LOAD DATA of
    the file, one connection 1.34-1.56x. Each lane is an XA transaction branch; this load's own
    connection holds the rest (a replaced file's old rows, duplicate lines, rejects, the audit).

    Commit: every lane is prepared (XA PREPARE: durable, invisible, surviving a crash), then this
    connection commits, which sets the audit row to `loaded` (the decision), then the lanes
    commit. A loader killed before the decision leaves prepared lanes that the next loader rolls
    back; killed after it, lanes that the next loader commits (MySQLWarehouse.recover). Between
    the decision and the lanes' commits (microseconds, or until the next run after a kill there)
    the audit says `loaded` while the rows are still invisible: the one in-doubt window of a
    two-phase commit. Nothing of a load that did not reach its decision is ever visible."""

    def __init__(self, wh: MySQLWarehouse, kind: FileKind, audit: Audit, replacing: bool) -> None:
        self.wh, self.kind, self.audit = wh, kind, audit
        self.xid_prefix = f"{xid_prefix(wh.schema)}{audit.load_id}:"
        self.chunk_columns = kind.column_names + ["_source_line"]
        # A typed literal: the server converts the text once, not on every row (a plain
        # string here made the whole LOAD DATA ~20% slower, measured on MariaDB 10.11).
        self.chunk_sets = (" set _source_file = %s, _loaded_at = timestamp %s",
                           (audit.file_name, audit.started_at))
        self.removed = 0
        self.replacing = replacing
        wh._execute("start transaction")
        self.queue: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self.lanes: list[_Lane] = []
        for number in range(LANES):
            self.lanes.append(_Lane(self, number))

    def load_data(self, con: Any, path: Path, table: str, columns: list[str], sets: str = "",
                  params: tuple[Any, ...] = ()) -> int:
        q = self.wh.dialect.q
        cols = ", ".join(q(c) for c in columns)
        with con.cursor() as cur:
            cur.execute(
                f"load data local infile %s into table {q(self.wh.schema)}.{q(table)} "
                "character set utf8mb4 fields terminated by ',' optionally enclosed by '\"' "
                f"escaped by '' lines terminated by '\\n' ({cols}){sets}",
                (str(path),) + params,
            )
            loaded = cur.rowcount
            # LOCAL turns data errors into warnings: any warning means a value did not land as sent.
            cur.execute("show warnings")
            warnings = cur.fetchall()
        if warnings:
            raise RuntimeError(f"LOAD DATA into {table} raised warnings: {warnings[:5]}")
        return loaded

    def add_chunk(self, path: Path) -> None:
        self._check_lanes()
        self.queue.put(path)  # the next free lane loads it

    def _stop_lanes(self) -> None:
        """Let the lanes load what is queued, then end their threads (again: nothing to do)."""
        running = [lane for lane in self.lanes if lane.thread.is_alive()]
        for _ in running:
            self.queue.put(None)
        for lane in running:
            lane.thread.join()

    def _finish_lanes(self) -> None:
        self._stop_lanes()
        self._check_lanes()

    def _check_lanes(self) -> None:
        for lane in self.lanes:
            if lane.error is not None:
                raise lane.error

    def remove_lines(self, lines: list[int]) -> None:
        self._finish_lanes()
        for lane in self.lanes:
            own = [line for line in lines if lane.owns(line)]
            with lane.con.cursor() as cur:
                for start in range(0, len(own), 1000):
                    batch = own[start:start + 1000]
                    cur.execute(self.wh.dialect.delete_lines(self.wh.schema, self.kind.table,
                                                             len(batch)),
                                (self.audit.started_at, self.audit.file_name, *batch))
                    self.removed += cur.rowcount

    def add_rejects(self, path: Path) -> None:
        self.load_data(self.wh.con, path, REJECTS_TABLE, list(REJECT_COLUMNS))

    def commit(self, audit: Audit) -> None:
        self._finish_lanes()
        stored = sum(lane.loaded for lane in self.lanes) - self.removed
        if stored != audit.rows_loaded:
            raise RuntimeError(f"{audit.file_name}: the server stored {stored} rows, "
                               f"the loader sent {audit.rows_loaded}")
        if self.replacing:
            self._delete_earlier_version(audit)
        for lane in self.lanes:
            lane.con.query(f"xa end '{lane.xid}'")
            lane.con.query(f"xa prepare '{lane.xid}'")
        self.wh._execute(self.wh.dialect.audit_update(self.wh.schema), _audit_args(audit))
        self.wh._execute("commit")  # the decision: from here the load is committed
        for lane in self.lanes:
            try:
                lane.con.query(f"xa commit '{lane.xid}'")
                lane.con.close()
            except Exception as exc:  # noqa: BLE001 - decided: never undone, recover() ends it
                print(f"warning: {audit.file_name} is loaded but a lane could not commit yet "
                      f"({type(exc).__name__}); the next run commits it", file=sys.stderr)
        self.lanes = []

    def _delete_earlier_version(self, audit: Audit) -> None:
        """The file's rows of earlier loads, found by a plain read, then deleted by their
        _loaded_at: key ranges apart from this load's rows (the lanes hold those locked), so
        the delete never waits for the lanes. Rejects of earlier loads go too."""
        d, s, table = self.wh.dialect, self.wh.schema, self.kind.table
        starts = [row[0] for row in self.wh._execute(d.earlier_loads(s, table),
                                                     [audit.file_name, audit.started_at])]
        for first in range(0, len(starts), 1000):
            batch = starts[first:first + 1000]
            self.wh._execute(d.delete_earlier_rows(s, table, len(batch)),
                             [*batch, audit.file_name])
        self.wh._execute(d.delete_earlier_rejects(s), [audit.file_name, audit.load_id])

    def rollback(self) -> None:
        self._stop_lanes()
        for lane in self.lanes:
            for statement in (f"xa end '{lane.xid}'", f"xa rollback '{lane.xid}'"):
                try:
                    lane.con.query(statement)
                except Exception:  # noqa: BLE001 - already ended, or the lane's connection died
                    pass
            lane.con.close()
        self.lanes = []
        self.wh._execute("rollback")
