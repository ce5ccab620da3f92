"""Landing normalised files in the raw schema, one transaction per export file.

DuckDB reads the interchange files natively; MySQL/MariaDB take them with LOAD DATA LOCAL INFILE,
`FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''`, so `\\` and `\\N` in the data
mean nothing special and only the bare word NULL is a null (see loader/staging_file.py).
The chunks are parsed in a child process (loader/parse_process.py) while they load here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from loader.contracts import FILE_KINDS, Column, FileKind
from loader.duplicates import csv_source
from loader.profiles import Target

AUDIT_TABLE = "_load_audit"
REJECTS_TABLE = "_load_rejects"

AUDIT_COLUMNS = (
    "load_id", "file_name", "file_kind", "file_sha256", "encoding", "rows_read", "rows_loaded",
    "rows_rejected", "rows_duplicate", "started_at", "finished_at", "status", "message",
)
REJECT_COLUMNS = ("load_id", "source_file", "line_number", "column_name", "reason", "raw_line")

# Every row of one file load carries the load's start (the audit's started_at) as _loaded_at, and
# loads run one at a time: on MySQL/MariaDB this clustered key keeps the rows in load order, so
# "rows loaded since X" (dbt's incremental models) is a range read, and appending costs no more
# than InnoDB's hidden row id.
RAW_PRIMARY_KEY = ("_loaded_at", "_source_file", "_source_line")


class LoaderBusy(Exception):
    """Another loader holds this warehouse's raw schema."""


@dataclass
class Audit:
    load_id: str
    file_name: str
    file_kind: str
    file_sha256: str
    started_at: str
    encoding: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    finished_at: str | None = None
    status: str = "started"
    message: str = ""

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in AUDIT_COLUMNS)


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
    def last_loaded_sha(self, file_name: str) -> str | None: ...
    def record_start(self, audit: Audit) -> None: ...
    def record_outcome(self, audit: Audit) -> None: ...
    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> FileLoad: ...
    def close(self) -> None: ...


def _sql_type(column: Column, mysql: bool) -> str:
    if column.kind == "text":
        return f"varchar({column.max_length})" if mysql else "varchar"
    return {"date": "date", "int": "integer", "float": "double", "bool": "boolean",
            "status": "char(1)" if mysql else "varchar"}[column.kind]


class _Dialect:
    def __init__(self, mysql: bool) -> None:
        self.mysql = mysql
        self.mark = "%s" if mysql else "?"

    def q(self, name: str) -> str:
        return f"`{name}`" if self.mysql else f'"{name}"'

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
            f"status varchar(16) not null, message {text}){self.table_options}",
            f"create table if not exists {q(schema)}.{q(REJECTS_TABLE)} ("
            "load_id varchar(36) not null, source_file varchar(255) not null, "
            f"line_number bigint not null, column_name varchar(255), reason {text} not null, "
            f"raw_line {text}){self.table_options}",
        ]

    def audit_insert(self, schema: str) -> str:
        marks = ", ".join(self.mark for _ in AUDIT_COLUMNS)
        return (f"insert into {self.q(schema)}.{self.q(AUDIT_TABLE)} "
                f"({', '.join(AUDIT_COLUMNS)}) values ({marks})")

    def audit_update(self, schema: str) -> str:
        sets = ", ".join(f"{c} = {self.mark}" for c in AUDIT_COLUMNS[1:])
        return (f"update {self.q(schema)}.{self.q(AUDIT_TABLE)} set {sets} "
                f"where load_id = {self.mark}")

    def last_sha(self, schema: str) -> str:
        return (f"select file_sha256 from {self.q(schema)}.{self.q(AUDIT_TABLE)} "
                f"where file_name = {self.mark} and status = 'loaded' "
                "order by finished_at desc limit 1")

    def mark_interrupted(self, schema: str) -> str:
        return (f"update {self.q(schema)}.{self.q(AUDIT_TABLE)} set status = 'interrupted', "
                "message = 'the loader stopped before this load committed; nothing of it was kept' "
                f"where file_name = {self.mark} and status = 'started'")

    def delete_file_rows(self, schema: str, table: str, column: str) -> str:
        return f"delete from {self.q(schema)}.{self.q(table)} where {column} = {self.mark}"

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

    def last_loaded_sha(self, file_name: str) -> str | None:
        rows = self._execute(self.dialect.last_sha(self.schema), [file_name])
        return rows[0][0] if rows else None

    def record_start(self, audit: Audit) -> None:
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
        self.con = duckdb.connect(target.path)  # DuckDB itself allows one writing process
        self.schema = target.raw_schema

    def _execute(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        self.con.execute(sql, list(params))
        try:
            return self.con.fetchall()
        except Exception:  # noqa: BLE001 - statements without a result set
            return []

    def ensure_raw_tables(self) -> None:
        self._execute(f'create schema if not exists "{self.schema}"')
        super().ensure_raw_tables()

    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> "DuckDBFileLoad":
        return DuckDBFileLoad(self, kind, audit, replacing)

    def close(self) -> None:
        self.con.close()


class DuckDBFileLoad:
    def __init__(self, wh: DuckDBWarehouse, kind: FileKind, audit: Audit, replacing: bool) -> None:
        self.wh, self.kind, self.audit = wh, kind, audit
        d, s = wh.dialect, wh.schema
        wh.con.execute("begin transaction")
        if replacing:
            wh.con.execute(d.delete_file_rows(s, kind.table, "_source_file"), [audit.file_name])
            wh.con.execute(d.delete_file_rows(s, REJECTS_TABLE, "source_file"), [audit.file_name])
        self.columns = [(c.name, _sql_type(c, mysql=False)) for c in kind.columns]
        self.columns.append(("_source_line", "bigint"))
        self.loaded = 0

    def add_chunk(self, path: Path) -> None:
        names = ", ".join(f'"{n}"' for n, _ in self.columns)
        self.wh.con.execute(
            f'insert into "{self.wh.schema}"."{self.kind.table}" '
            f"({names}, _source_file, _loaded_at) "
            f"select {names}, ?, ?::timestamp from {csv_source([path], self.columns)}",
            [self.audit.file_name, self.audit.started_at],
        )
        self.loaded += self.wh.con.fetchone()[0]

    def remove_lines(self, lines: list[int]) -> None:
        for start in range(0, len(lines), 1000):
            batch = lines[start:start + 1000]
            self.wh.con.execute(self.wh.dialect.delete_lines(self.wh.schema, self.kind.table,
                                                             len(batch)),
                                [self.audit.started_at, self.audit.file_name, *batch])
            self.loaded -= self.wh.con.fetchone()[0]

    def add_rejects(self, path: Path) -> None:
        cols = [(c, "bigint" if c == "line_number" else "varchar") for c in REJECT_COLUMNS]
        self.wh.con.execute(f'insert into "{self.wh.schema}"."{REJECTS_TABLE}" '
                            f"select * from {csv_source([path], cols)}")

    def commit(self, audit: Audit) -> None:
        if self.loaded != audit.rows_loaded:
            raise RuntimeError(f"{audit.file_name}: DuckDB stored {self.loaded} rows, "
                               f"the loader sent {audit.rows_loaded}")
        self.wh.con.execute(self.wh.dialect.audit_update(self.wh.schema), _audit_args(audit))
        self.wh.con.execute("commit")

    def rollback(self) -> None:
        self.wh.con.execute("rollback")


class MySQLWarehouse(_BaseWarehouse):
    """MySQL 8 and MariaDB 10.6+: the same SQL on both."""

    def __init__(self, target: Target, lock_timeout: int = 600) -> None:
        import pymysql

        self.target = target
        self.dialect = _Dialect(mysql=True)
        self.schema = target.raw_schema
        self.con = pymysql.connect(
            host=target.host, port=target.port, user=target.user, password=target.password,
            charset="utf8mb4", local_infile=True, autocommit=True,
        )
        # One loader per raw schema at a time: a second one would interleave deletes and loads.
        # A killed loader's lock goes when the server has rolled its transaction back.
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

    def ensure_raw_tables(self) -> None:
        self._execute(f"create database if not exists `{self.schema}` "
                      "character set utf8mb4 collate utf8mb4_bin")
        super().ensure_raw_tables()
        # Raw tables created before the clustered key existed get it once (a table rebuild).
        keyless = self._execute(
            "select t.table_name from information_schema.tables as t "
            "where t.table_schema = %s and t.table_name in %s and not exists ("
            "select 1 from information_schema.statistics as s where s.table_schema = t.table_schema "
            "and s.table_name = t.table_name and s.index_name = 'PRIMARY')",
            [self.schema, tuple(k.table for k in FILE_KINDS)])
        for (table,) in keyless:
            print(f"adding the primary key ({', '.join(RAW_PRIMARY_KEY)}) to {self.schema}.{table}",
                  file=sys.stderr)
            self._execute(f"alter table `{self.schema}`.`{table}` "
                          f"add primary key ({', '.join(RAW_PRIMARY_KEY)})")

    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> "MySQLFileLoad":
        return MySQLFileLoad(self, kind, audit, replacing)

    def close(self) -> None:
        self.con.close()


class MySQLFileLoad:
    def __init__(self, wh: MySQLWarehouse, kind: FileKind, audit: Audit, replacing: bool) -> None:
        self.wh, self.kind, self.audit = wh, kind, audit
        self.loaded = 0
        d, s = wh.dialect, wh.schema
        wh._execute("start transaction")
        if replacing:
            wh._execute(d.delete_file_rows(s, kind.table, "_source_file"), [audit.file_name])
            wh._execute(d.delete_file_rows(s, REJECTS_TABLE, "source_file"), [audit.file_name])

    def _load_data(self, path: Path, table: str, columns: list[str], sets: str = "",
                   params: tuple[Any, ...] = ()) -> int:
        cols = ", ".join(f"`{c}`" for c in columns)
        with self.wh.con.cursor() as cur:
            cur.execute(
                f"load data local infile %s into table `{self.wh.schema}`.`{table}` "
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
        self.loaded += self._load_data(
            path, self.kind.table, self.kind.column_names + ["_source_line"],
            # A typed literal: the server converts the text once, not on every row (a plain
            # string here made the whole LOAD DATA ~20% slower, measured on MariaDB 10.11).
            " set _source_file = %s, _loaded_at = timestamp %s",
            (self.audit.file_name, self.audit.started_at),
        )

    def remove_lines(self, lines: list[int]) -> None:
        with self.wh.con.cursor() as cur:
            for start in range(0, len(lines), 1000):
                batch = lines[start:start + 1000]
                cur.execute(self.wh.dialect.delete_lines(self.wh.schema, self.kind.table,
                                                         len(batch)),
                            (self.audit.started_at, self.audit.file_name, *batch))
                self.loaded -= cur.rowcount

    def add_rejects(self, path: Path) -> None:
        self._load_data(path, REJECTS_TABLE, list(REJECT_COLUMNS))

    def commit(self, audit: Audit) -> None:
        if self.loaded != audit.rows_loaded:
            raise RuntimeError(f"{audit.file_name}: the server stored {self.loaded} rows, "
                               f"the loader sent {audit.rows_loaded}")
        self.wh._execute(self.wh.dialect.audit_update(self.wh.schema), _audit_args(audit))
        self.wh._execute("commit")

    def rollback(self) -> None:
        self.wh._execute("rollback")


def connect(target: Target) -> Warehouse:
    if target.type == "duckdb":
        return DuckDBWarehouse(target)
    if target.type == "spark":
        # Imported here: pyspark / dbt-spark are the optional `spark` extra.
        from loader.spark_warehouse import SparkWarehouse

        return SparkWarehouse(target)
    return MySQLWarehouse(target)
