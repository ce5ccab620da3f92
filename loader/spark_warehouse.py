"""Landing files on Apache Spark: Parquet tables in the Spark warehouse, one partition per file.

The same protocol as loader/warehouse.py's DuckDB and MySQL classes (ensure_raw_tables,
last_load, record_start, record_outcome, begin_file -> add_chunk, remove_lines,
add_rejects, commit, rollback), for a `type: spark` target of profiles.yml:

- method `session`: a Spark inside this process (pyspark, `pip install -e '.[spark]'`), built as
  dbt-spark builds its own (Hive support, the profile's server_side_parameters), so the loader and
  `dbt --target spark` see the same warehouse folder and metastore;
- methods `thrift` and `http`: a Spark Thrift server or a Databricks-style cluster, connected
  through dbt-spark's own connection code (needs `pip install 'dbt-spark[PyHive]'`).

How a file lands. The normalised interchange chunks (loader/staging_file.py) are converted to
Parquet by an embedded DuckDB as they are produced (the next chunk is parsed meanwhile), into a
staging folder that both this process and Spark can read (`loader_staging_dir` /
`loader_staging_uri` in the profile; a local temporary folder for `session`). Types and NULLs
are then unambiguous: Spark never parses the CSV. At commit Spark replaces the file's partition:

    INSERT OVERWRITE TABLE <raw>.<table> PARTITION (file_partition = '<file name>')
    SELECT ... FROM parquet.`<staged chunks>` LEFT ANTI JOIN parquet.`<removed lines>` ...

Raw tables are Parquet, partitioned by `file_partition` (the file name, equal to `_source_file`:
Hive's metastore cannot filter partitions on a column whose name starts with `_`). Rejects are
partitioned by `source_file`, the audit by `file_name`. Spark has no UPDATE on Parquet tables,
so an audit change rewrites that file's audit partition (a handful of rows).

What is atomic, without Delta Lake or Iceberg (docs/spark.md):
- nothing reaches Spark before commit: a file refused or a load killed while parsing leaves the
  warehouse as it was (as on the other engines);
- at commit, three writes in this order: the file's data partition, its rejects partition, then
  its audit row `loaded`. Each INSERT OVERWRITE of one partition writes the new files aside and
  then swaps them in; it is not atomic for a reader during the swap, and a crash inside it can
  leave the partition empty. A crash anywhere in commit leaves the audit row `started`, so the
  next run marks it `interrupted` and loads the file again from its CSV: the end state is right,
  but, unlike on DuckDB and MySQL, a re-export killed during its commit does not keep the previous
  version in the meantime. An audit row `loaded` always means that file's rows and rejects are
  complete.
- one loader per raw schema at a time: Spark has no lock the loader could take (schedule it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from loader.contracts import FILE_KINDS, Column, FileKind
from loader.duplicates import csv_source, sql_string
from loader.audit import (AUDIT_COLUMNS, AUDIT_TABLE, REJECT_COLUMNS, REJECT_COLUMNS_ADDED,
                          REJECTS_TABLE, Audit, PreviousLoad, start_after)
from loader.profiles import ProfileError, Target

PARTITION_COLUMN = "file_partition"  # raw tables: = _source_file
DUCKDB_MEMORY_LIMIT = "512MB"
PARQUET_FILE_SIZE = "256MB"

# Spark types of the audit's columns (file_name is the partition column, stored last).
_AUDIT_TYPES = {
    "load_id": "string", "file_name": "string", "file_kind": "string", "file_sha256": "string",
    "encoding": "string", "rows_read": "bigint", "rows_loaded": "bigint",
    "rows_rejected": "bigint", "rows_duplicate": "bigint", "started_at": "timestamp",
    "finished_at": "timestamp", "status": "string", "message": "string",
    "source_folder": "string",
}
_AUDIT_DATA_COLUMNS = [c for c in AUDIT_COLUMNS if c != "file_name"]
_REJECT_DATA_COLUMNS = [c for c in REJECT_COLUMNS if c != "source_file"]
_TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss.SSSSSS"  # as loader/load.py writes started_at


def _spark_type(column: Column) -> str:
    return {"text": "string", "date": "date", "int": "int", "float": "double", "bool": "boolean",
            "status": "string"}[column.kind]


def _duckdb_type(column: Column) -> str:
    return {"text": "varchar", "date": "date", "int": "integer", "float": "double",
            "bool": "boolean", "status": "varchar"}[column.kind]


def literal(value: Any) -> str:
    """A Spark SQL literal. Spark's string literals take backslash escapes (unless
    spark.sql.parser.escapedStringLiterals is set, which this loader does not support)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class _SessionSQL:
    """SQL through a SparkSession in this process, created as dbt-spark creates it."""

    def __init__(self, target: Target) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pyspark is the optional extra
            raise ProfileError(
                f"target {target.name!r} is a Spark session, which needs pyspark: "
                "pip install -c constraints.txt -e '.[spark]' (and Java 17)") from exc
        # A session this process already runs (dbt's, a test's) is reused, and left running.
        self.owned = (getattr(SparkSession, "_instantiatedSession", None) is None
                      and SparkSession.getActiveSession() is None)
        if self.owned:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # a local Spark: loopback only
        builder = SparkSession.builder.enableHiveSupport()
        for key, value in target.spark.server_side_parameters:
            builder = builder.config(key, value)
        self.spark = builder.getOrCreate()
        if self.owned:
            self.spark.sparkContext.setLogLevel("ERROR")

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def close(self) -> None:
        if self.owned:  # a session someone else started (dbt, a test) is theirs to stop
            self.spark.stop()


class _DbtSparkSQL:
    """SQL over dbt-spark's own thrift/http connection code, so the loader connects exactly as
    `dbt --target <this target>` does (TLS, Kerberos, Databricks tokens)."""

    def __init__(self, target: Target) -> None:
        try:
            from dbt.adapters.spark.connections import SparkConnectionManager, SparkCredentials
            from dbt.contracts.connection import Connection
        except ImportError as exc:
            raise ProfileError(
                f"target {target.name!r} uses Spark method {target.spark.method!r}, which needs "
                "dbt-spark: pip install -c constraints.txt -e '.[spark]'") from exc
        s = target.spark
        fields: dict[str, Any] = {
            "method": s.method, "host": s.host, "port": s.port, "schema": target.schema,
            "user": s.user, "password": s.password, "token": s.token, "cluster": s.cluster,
            "endpoint": s.endpoint, "organization": s.organization, "auth": s.auth,
            "kerberos_service_name": s.kerberos_service_name, "use_ssl": s.use_ssl,
            "connect_retries": s.connect_retries, "connect_timeout": s.connect_timeout,
            "server_side_parameters": dict(s.server_side_parameters),
        }
        try:
            credentials = SparkCredentials.from_dict(
                {k: v for k, v in fields.items() if v is not None})
        except Exception as exc:  # noqa: BLE001 - dbt-spark says what is missing
            raise ProfileError(f"target {target.name!r}: {exc}") from exc
        connection = Connection(type="spark", name="aktu_loader", credentials=credentials,
                                state="init", transaction_open=False, handle=None)
        self.handle = SparkConnectionManager.open(connection).handle

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.handle.cursor()
        cursor.execute(sql)
        try:
            rows = cursor.fetchall() or []
        except Exception:  # noqa: BLE001 - statements without a result set
            rows = []
        return [tuple(row) for row in rows]

    def close(self) -> None:
        self.handle.close()


class _Staging:
    """Where staged Parquet is written (a path here) and read (a URI for Spark)."""

    def __init__(self, target: Target) -> None:
        s = target.spark
        self.own_root = s.staging_dir is None
        if s.staging_dir is None and s.method != "session":
            raise ProfileError(
                f"target {target.name!r} (spark, method {s.method}) needs loader_staging_dir and "
                "loader_staging_uri: a folder this machine writes and the cluster reads, e.g. a "
                "mounted bucket and its s3a:// / abfss:// / dbfs:/ address (docs/spark.md)")
        root = Path(tempfile.mkdtemp(prefix="aktu-spark-stage-")) if self.own_root \
            else Path(s.staging_dir).expanduser()
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()
        self.uri_root = (s.staging_uri or self.root.as_uri()).rstrip("/")

    def folder(self, name: str) -> tuple[Path, str]:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path, f"{self.uri_root}/{name}"

    def close(self) -> None:
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)


class SparkWarehouse:
    def __init__(self, target: Target) -> None:
        if target.spark is None:
            raise ProfileError(f"target {target.name!r} is not a Spark target")
        self.target = target
        self.schema = target.raw_schema
        self.sql = _SessionSQL(target) if target.spark.method == "session" else _DbtSparkSQL(target)
        # Timestamps are written and read as UTC text, as on the other engines.
        self.sql.execute("set spark.sql.session.timeZone = UTC")
        self.staging = _Staging(target)
        self.with_load_id: set[str] = set()  # see ensure_raw_tables

    def table(self, name: str) -> str:
        return f"{q(self.schema)}.{q(name)}"

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        return self.sql.execute(sql)

    # --- the Warehouse protocol -------------------------------------------------------------

    def ensure_raw_tables(self) -> None:
        self.execute(f"create schema if not exists {q(self.schema)}")
        for kind in FILE_KINDS:
            cols = [f"{q(c.name)} {_spark_type(c)}" for c in kind.columns]
            cols += ["_source_file string", "_source_line bigint", "_loaded_at timestamp",
                     f"{PARTITION_COLUMN} string"]
            self.execute(f"create table if not exists {self.table(kind.table)} ({', '.join(cols)}) "
                         f"using parquet partitioned by ({PARTITION_COLUMN})")
        # Tables of older loaders carry a _load_id column (Parquet tables cannot drop one):
        # their rows keep getting it.
        self.with_load_id = {kind.table for kind in FILE_KINDS if "_load_id" in {
            row[0] for row in self.execute(f"describe table {self.table(kind.table)}")}}
        audit = [f"{c} {_AUDIT_TYPES[c]}" for c in _AUDIT_DATA_COLUMNS] + ["file_name string"]
        self.execute(f"create table if not exists {self.table(AUDIT_TABLE)} ({', '.join(audit)}) "
                     "using parquet partitioned by (file_name)")
        # Audit tables of older loaders lack the folder each file came from.
        if "source_folder" not in {row[0] for row in self.execute(
                f"describe table {self.table(AUDIT_TABLE)}")}:
            self.execute(f"alter table {self.table(AUDIT_TABLE)} "
                         "add columns (source_folder string)")
        self.execute(f"create table if not exists {self.table(REJECTS_TABLE)} (load_id string, "
                     "line_number bigint, column_name string, reason string, raw_line string, "
                     "raw_length bigint, raw_sha256 string, source_file string) "
                     "using parquet partitioned by (source_file)")
        # A rejects table of an older loader gets the columns added since (null in its rows).
        have = {row[0] for row in self.execute(f"describe table {self.table(REJECTS_TABLE)}")}
        added = [f"{c} {'bigint' if t == 'bigint' else 'string'}"
                 for c, t in REJECT_COLUMNS_ADDED if c not in have]
        if added:
            self.execute(f"alter table {self.table(REJECTS_TABLE)} add columns ({', '.join(added)})")

    def last_load(self, file_name: str) -> PreviousLoad | None:
        rows = self.execute(f"select file_sha256, rows_loaded, source_folder "
                            f"from {self.table(AUDIT_TABLE)} "
                            f"where file_name = {literal(file_name)} and status = 'loaded' "
                            "order by finished_at desc limit 1")
        if not rows:
            return None
        sha, loaded, folder = rows[0]
        return PreviousLoad(sha, int(loaded or 0), folder or None)

    def _audit_rows(self, file_name: str) -> list[dict[str, Any]]:
        cols = ", ".join(f"date_format({c}, '{_TIMESTAMP_FORMAT}')"
                         if _AUDIT_TYPES[c] == "timestamp" else c for c in _AUDIT_DATA_COLUMNS)
        rows = self.execute(f"select {cols} from {self.table(AUDIT_TABLE)} "
                            f"where file_name = {literal(file_name)}")
        return [dict(zip(_AUDIT_DATA_COLUMNS, row)) for row in rows]

    def _write_audit(self, file_name: str, rows: list[dict[str, Any]]) -> None:
        """Rewrite one file's audit partition (Parquet tables have no UPDATE)."""
        values = []
        for row in rows:
            cells = []
            for c in _AUDIT_DATA_COLUMNS:
                cell = literal(row[c])
                cells.append(f"cast({cell} as {_AUDIT_TYPES[c]})")
            values.append(f"({', '.join(cells)})")
        self.execute(f"insert overwrite table {self.table(AUDIT_TABLE)} "
                     f"partition (file_name = {literal(file_name)}) values {', '.join(values)}")

    def record_start(self, audit: Audit) -> None:
        # Strictly after every earlier load's start, as on the other engines (start_after).
        latest = self.execute(f"select date_format(max(started_at), '{_TIMESTAMP_FORMAT}') "
                              f"from {self.table(AUDIT_TABLE)}")
        if latest and latest[0][0] is not None:
            start_after(audit, datetime.fromisoformat(latest[0][0]))
        rows = self._audit_rows(audit.file_name)
        for row in rows:
            if row["status"] == "started":
                row["status"] = "interrupted"
                row["message"] = ("the loader stopped before this load committed; "
                                  "nothing of it was kept")
        rows.append(dict(zip(AUDIT_COLUMNS, audit.values())))
        self._write_audit(audit.file_name, rows)

    def record_outcome(self, audit: Audit) -> None:
        new = dict(zip(AUDIT_COLUMNS, audit.values()))
        rows = [new if row["load_id"] == audit.load_id else row
                for row in self._audit_rows(audit.file_name)]
        if not any(row is new for row in rows):
            rows.append(new)
        self._write_audit(audit.file_name, rows)

    def begin_file(self, kind: FileKind, audit: Audit, replacing: bool) -> "SparkFileLoad":
        return SparkFileLoad(self, kind, audit)

    def close(self) -> None:
        try:
            self.sql.close()
        finally:
            self.staging.close()


class SparkFileLoad:
    """One file: chunks converted to Parquet as they come, written to Spark at commit."""

    def __init__(self, wh: SparkWarehouse, kind: FileKind, audit: Audit) -> None:
        self.wh, self.kind, self.audit = wh, kind, audit
        self.folder, self.uri = wh.staging.folder(f"load-{audit.load_id}")
        self.data_dir, self.data_uri = self.folder / "data", f"{self.uri}/data"
        self.data_dir.mkdir()
        self.duck = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT,
                                           "temp_directory": str(self.folder / "duckdb_tmp")})
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="to-parquet")
        self.pending: Future[int] | None = None
        self.columns = [(c.name, _duckdb_type(c)) for c in kind.columns] + [("_source_line",
                                                                             "bigint")]
        self.staged = 0  # rows in the staged Parquet
        self.chunks = 0
        self.removed: list[int] = []
        self.rejects = 0

    def _to_parquet(self, source: str, out: Path) -> int:
        cursor = self.duck.cursor()  # a cursor per thread
        try:
            cursor.execute(f"copy (select * from {source}) to {sql_string(out.as_posix())} "
                           f"(format parquet, compression zstd)")
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.staged += pending.result()

    def add_chunk(self, path: Path) -> None:
        self._wait()  # at most one chunk in flight: the next is parsed while this one converts
        self.chunks += 1
        out = self.data_dir / f"chunk{self.chunks:05d}.parquet"
        self.pending = self.pool.submit(self._to_parquet, csv_source([path], self.columns), out)

    def remove_lines(self, lines: list[int]) -> None:
        self._wait()
        self.removed.extend(lines)

    def add_rejects(self, path: Path) -> None:
        self._wait()
        cols = [(c, "bigint" if c in ("line_number", "raw_length") else "varchar")
                for c in REJECT_COLUMNS]
        out = self.folder / "rejects.parquet"
        self.rejects = self._to_parquet(csv_source([path], cols), out)

    def _removed_parquet(self) -> str:
        out = self.folder / "removed.parquet"
        cursor = self.duck.cursor()
        try:
            cursor.execute(f"copy (select unnest(?::bigint[]) as line) to "
                           f"{sql_string(out.as_posix())} "
                           "(format parquet)", [sorted(set(self.removed))])
        finally:
            cursor.close()
        return f"{self.uri}/removed.parquet"

    def commit(self, audit: Audit) -> None:
        self._wait()
        self.pool.shutdown()
        wh, file_name = self.wh, audit.file_name
        expected = self.staged - len(set(self.removed))
        if expected != audit.rows_loaded:
            raise RuntimeError(f"{file_name}: {expected} rows staged for Spark, "
                               f"the loader counted {audit.rows_loaded}")
        partition = f"partition ({PARTITION_COLUMN} = {literal(file_name)})"
        table = wh.table(self.kind.table)
        if expected == 0:
            wh.execute(f"alter table {table} drop if exists {partition}")
        else:
            data = [f"staged.{q(c.name)}" for c in self.kind.columns]
            source = f"parquet.{q(self.data_uri)} as staged"
            if self.removed:
                source += (f" left anti join parquet.{q(self._removed_parquet())} as removed "
                           "on staged._source_line = removed.line")
            if self.kind.table in wh.with_load_id:
                data.append(literal(audit.load_id))
            wh.execute(
                f"insert overwrite table {table} {partition} "
                f"select {', '.join(data)}, {literal(file_name)}, "
                f"staged._source_line, to_timestamp({literal(audit.started_at)}, "
                f"{literal(_TIMESTAMP_FORMAT)}) from {source}")
            stored = wh.execute(f"select count(*) from {table} "
                                f"where {PARTITION_COLUMN} = {literal(file_name)}")[0][0]
            if stored != audit.rows_loaded:
                raise RuntimeError(f"{file_name}: Spark stored {stored} rows, "
                                   f"the loader sent {audit.rows_loaded}")
        rejects = wh.table(REJECTS_TABLE)
        reject_partition = f"partition (source_file = {literal(file_name)})"
        if self.rejects:
            wh.execute(f"insert overwrite table {rejects} {reject_partition} "
                       f"select {', '.join(_REJECT_DATA_COLUMNS)} "
                       f"from parquet.{q(self.uri + '/rejects.parquet')}")
        else:
            wh.execute(f"alter table {rejects} drop if exists {reject_partition}")
        wh.record_outcome(audit)  # last: `loaded` means the rows and rejects above are complete
        self._cleanup()

    def rollback(self) -> None:
        try:
            if self.pending is not None:
                self.pending.exception()  # let the in-flight conversion finish
        finally:
            self.pending = None
            self.pool.shutdown()
            self._cleanup()  # nothing was written to Spark before commit

    def _cleanup(self) -> None:
        self.duck.close()
        shutil.rmtree(self.folder, ignore_errors=True)
