"""The two ways to land a normalised file: DuckDB's native CSV reader, MySQL/MariaDB's
LOAD DATA LOCAL INFILE. Both read the same normalised file format (see loader/staging_file.py):
comma-separated, every value in double quotes with quotes doubled, NULL unquoted, `\\n` between
records, no escape character, so `\\` and `\\N` in the data mean nothing special.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol

from loader.contracts import FILE_KINDS, Column, FileKind
from loader.profiles import Target

AUDIT_TABLE = "_load_audit"
REJECTS_TABLE = "_load_rejects"

AUDIT_COLUMNS = (
    "load_id", "file_name", "file_kind", "file_sha256", "encoding", "rows_read", "rows_loaded",
    "rows_rejected", "rows_duplicate", "started_at", "finished_at", "status", "message",
)
REJECT_COLUMNS = ("load_id", "source_file", "line_number", "column_name", "reason", "raw_line")


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


class Warehouse(Protocol):
    target: Target

    def ensure_raw_tables(self) -> None: ...
    def last_loaded_sha(self, file_name: str) -> str | None: ...
    def record_start(self, audit: Audit) -> None: ...
    def record_outcome(self, audit: Audit) -> None: ...
    def replace_file(self, kind: FileKind, audit: Audit, data: Path, rejects: Path) -> None: ...
    def close(self) -> None: ...


def _sql_type(column: Column, mysql: bool) -> str:
    if column.kind in ("text",):
        return f"varchar({column.max_length})" if mysql else "varchar"
    return {
        "date": "date",
        "int": "integer",
        "float": "double",
        "bool": "boolean",
        "status": "char(1)" if mysql else "varchar",
    }[column.kind]


def raw_table_ddl(schema: str, kind: FileKind, mysql: bool) -> str:
    q = (lambda n: f"`{n}`") if mysql else (lambda n: f'"{n}"')
    cols = [f"{q(c.name)} {_sql_type(c, mysql)}" for c in kind.columns]
    cols += [
        f"{q('_load_id')} varchar(36) not null",
        f"{q('_source_file')} varchar(255) not null",
        f"{q('_source_line')} bigint not null",
        f"{q('_loaded_at')} {'datetime(6)' if mysql else 'timestamp'} not null",
    ]
    tail = " engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin" if mysql else ""
    return f"create table if not exists {q(schema)}.{q(kind.table)} ({', '.join(cols)}){tail}"


def meta_ddl(schema: str, mysql: bool) -> list[str]:
    q = (lambda n: f"`{n}`") if mysql else (lambda n: f'"{n}"')
    ts = "datetime(6)" if mysql else "timestamp"
    text = "text" if mysql else "varchar"
    tail = " engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin" if mysql else ""
    return [
        f"create table if not exists {q(schema)}.{q(AUDIT_TABLE)} ("
        "load_id varchar(36) not null primary key, file_name varchar(255) not null, "
        "file_kind varchar(32) not null, file_sha256 char(64) not null, "
        "encoding varchar(32), rows_read bigint, rows_loaded bigint, rows_rejected bigint, "
        f"rows_duplicate bigint, started_at {ts} not null, finished_at {ts}, "
        f"status varchar(16) not null, message {text}){tail}",
        f"create table if not exists {q(schema)}.{q(REJECTS_TABLE)} ("
        "load_id varchar(36) not null, source_file varchar(255) not null, "
        f"line_number bigint not null, column_name varchar(255), reason {text} not null, "
        f"raw_line {text}){tail}",
    ]


class DuckDBWarehouse:
    def __init__(self, target: Target) -> None:
        import duckdb

        self.target = target
        Path(target.path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(target.path)
        self.schema = target.raw_schema

    def ensure_raw_tables(self) -> None:
        self.con.execute(f'create schema if not exists "{self.schema}"')
        for kind in FILE_KINDS:
            self.con.execute(raw_table_ddl(self.schema, kind, mysql=False))
        for ddl in meta_ddl(self.schema, mysql=False):
            self.con.execute(ddl)

    def last_loaded_sha(self, file_name: str) -> str | None:
        row = self.con.execute(
            f'select file_sha256 from "{self.schema}"."{AUDIT_TABLE}" '
            "where file_name = ? and status = 'loaded' order by finished_at desc limit 1",
            [file_name],
        ).fetchone()
        return row[0] if row else None

    def record_start(self, audit: Audit) -> None:
        marks = ", ".join("?" for _ in AUDIT_COLUMNS)
        self.con.execute(
            f'insert into "{self.schema}"."{AUDIT_TABLE}" ({", ".join(AUDIT_COLUMNS)}) '
            f"values ({marks})",
            list(audit.values()),
        )

    def _update_audit(self, audit: Audit) -> None:
        sets = ", ".join(f"{c} = ?" for c in AUDIT_COLUMNS[1:])
        self.con.execute(
            f'update "{self.schema}"."{AUDIT_TABLE}" set {sets} where load_id = ?',
            list(audit.values()[1:]) + [audit.load_id],
        )

    def record_outcome(self, audit: Audit) -> None:
        self._update_audit(audit)

    def _read_csv(self, path: Path, columns: list[tuple[str, str]]) -> str:
        spec = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in columns)
        return (
            f"read_csv('{path.as_posix()}', columns = {{{spec}}}, header = false, "
            "delim = ',', quote = '\"', escape = '\"', nullstr = 'NULL', "
            "allow_quoted_nulls = false, auto_detect = false, parallel = false)"
        )

    def replace_file(self, kind: FileKind, audit: Audit, data: Path, rejects: Path) -> None:
        s, t = self.schema, kind.table
        data_cols = [(c.name, _sql_type(c, mysql=False)) for c in kind.columns]
        data_cols.append(("_source_line", "bigint"))
        names = ", ".join(f'"{n}"' for n, _ in data_cols)
        reject_cols = [(c, "varchar") for c in REJECT_COLUMNS]
        reject_cols[2] = ("line_number", "bigint")
        self.con.execute("begin transaction")
        try:
            self.con.execute(f'delete from "{s}"."{t}" where _source_file = ?', [audit.file_name])
            self.con.execute(
                f'delete from "{s}"."{REJECTS_TABLE}" where source_file = ?', [audit.file_name]
            )
            self.con.execute(
                f'insert into "{s}"."{t}" ({names}, _load_id, _source_file, _loaded_at) '
                f"select {names}, ?, ?, now() from {self._read_csv(data, data_cols)}",
                [audit.load_id, audit.file_name],
            )
            self.con.execute(
                f'insert into "{s}"."{REJECTS_TABLE}" select * '
                f"from {self._read_csv(rejects, reject_cols)}"
            )
            self._update_audit(audit)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise

    def close(self) -> None:
        self.con.close()


class MySQLWarehouse:
    """MySQL 8 and MariaDB 10.6+: the same SQL on both."""

    def __init__(self, target: Target) -> None:
        import pymysql

        self.target = target
        self.schema = target.raw_schema
        self.con = pymysql.connect(
            host=target.host, port=target.port, user=target.user, password=target.password,
            charset="utf8mb4", local_infile=True, autocommit=True,
        )

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self.con.cursor() as cur:
            yield cur

    def ensure_raw_tables(self) -> None:
        with self._cursor() as cur:
            cur.execute(f"create database if not exists `{self.schema}` "
                        "character set utf8mb4 collate utf8mb4_bin")
            for kind in FILE_KINDS:
                cur.execute(raw_table_ddl(self.schema, kind, mysql=True))
            for ddl in meta_ddl(self.schema, mysql=True):
                cur.execute(ddl)

    def last_loaded_sha(self, file_name: str) -> str | None:
        with self._cursor() as cur:
            cur.execute(
                f"select file_sha256 from `{self.schema}`.`{AUDIT_TABLE}` "
                "where file_name = %s and status = 'loaded' order by finished_at desc limit 1",
                (file_name,),
            )
            row = cur.fetchone()
        return row[0] if row else None

    def record_start(self, audit: Audit) -> None:
        marks = ", ".join("%s" for _ in AUDIT_COLUMNS)
        with self._cursor() as cur:
            cur.execute(
                f"insert into `{self.schema}`.`{AUDIT_TABLE}` ({', '.join(AUDIT_COLUMNS)}) "
                f"values ({marks})",
                audit.values(),
            )

    def _update_audit(self, cur: Any, audit: Audit) -> None:
        sets = ", ".join(f"{c} = %s" for c in AUDIT_COLUMNS[1:])
        cur.execute(
            f"update `{self.schema}`.`{AUDIT_TABLE}` set {sets} where load_id = %s",
            audit.values()[1:] + (audit.load_id,),
        )

    def record_outcome(self, audit: Audit) -> None:
        with self._cursor() as cur:
            self._update_audit(cur, audit)

    def _load_data(self, cur: Any, path: Path, table: str, columns: list[str],
                   sets: str = "", params: tuple[Any, ...] = ()) -> int:
        cols = ", ".join(f"`{c}`" for c in columns)
        cur.execute(
            f"load data local infile %s into table `{self.schema}`.`{table}` "
            "character set utf8mb4 fields terminated by ',' optionally enclosed by '\"' "
            f"escaped by '' lines terminated by '\\n' ({cols}){sets}",
            (str(path),) + params,
        )
        loaded = cur.rowcount
        cur.execute("show warnings")
        warnings = cur.fetchall()
        if warnings:
            raise RuntimeError(f"LOAD DATA into {table} raised warnings: {warnings[:5]}")
        return loaded

    def replace_file(self, kind: FileKind, audit: Audit, data: Path, rejects: Path) -> None:
        with self._cursor() as cur:
            cur.execute("start transaction")
            try:
                cur.execute(
                    f"delete from `{self.schema}`.`{kind.table}` where _source_file = %s",
                    (audit.file_name,),
                )
                cur.execute(
                    f"delete from `{self.schema}`.`{REJECTS_TABLE}` where source_file = %s",
                    (audit.file_name,),
                )
                loaded = self._load_data(
                    cur, data, kind.table, kind.column_names + ["_source_line"],
                    " set _load_id = %s, _source_file = %s, _loaded_at = now(6)",
                    (audit.load_id, audit.file_name),
                )
                if loaded != audit.rows_loaded:
                    raise RuntimeError(
                        f"{audit.file_name}: the server stored {loaded} rows, "
                        f"the loader sent {audit.rows_loaded}"
                    )
                self._load_data(cur, rejects, REJECTS_TABLE, list(REJECT_COLUMNS))
                self._update_audit(cur, audit)
                cur.execute("commit")
            except BaseException:
                cur.execute("rollback")
                raise

    def close(self) -> None:
        self.con.close()


def connect(target: Target) -> Warehouse:
    if target.type == "duckdb":
        return DuckDBWarehouse(target)
    return MySQLWarehouse(target)
