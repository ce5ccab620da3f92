"""Throwaway warehouses for tests: a DuckDB file or a set of MariaDB/MySQL schemas, each with
its own schema name, so tests never touch a developer's `aktu_dw` and can run side by side.

Spark (engine "spark", the profile's `spark` target, method session): one local Spark per test
process, started on first use with the profile's own settings and a throwaway warehouse folder and
metastore. Its embedded metastore (Derby) admits one process, so on Spark the loader and dbt run
inside the test process (loader.cli.main, dbtRunner) on that same session, each Warehouse in its
own schemas, and queries go through the session too."""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).with_name("dbt"))  # the venv's dbt, beside this Python


def db_settings() -> dict[str, str]:
    return {
        "host": os.environ.get("AKTU_DB_HOST", "127.0.0.1"),
        "port": os.environ.get("AKTU_DB_PORT", "3306"),
        "user": os.environ.get("AKTU_DB_USER", "root"),
        "password": os.environ.get("AKTU_DB_PASSWORD", ""),
    }


def mysql_connect(database: str | None = None):
    import pymysql

    s = db_settings()
    return pymysql.connect(host=s["host"], port=int(s["port"]), user=s["user"],
                           password=s["password"], database=database, charset="utf8mb4",
                           autocommit=True, local_infile=True)


def mariadb_problem() -> str | None:
    """None when the server answers, else why not."""
    try:
        mysql_connect().close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means the tier cannot run
        return f"{type(exc).__name__}: {exc}"


def spark_problem() -> str | None:
    """None when a local Spark can run here (pyspark, dbt-spark and Java), else why not."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return (f"{exc.name} is not installed (the optional extra: "
                "pip install -c constraints.txt -e '.[test,spark]')")
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else None
    if not (java and java.exists()) and shutil.which("java") is None:
        return "no Java runtime (Spark needs Java 17: apt-get install openjdk-17-jre-headless)"
    return None


# The one local Spark of this test process: its folder (warehouse + metastore) and session.
_SPARK: dict[str, object] = {}
# dbt's privacy hook asks information_schema.tables whether a hash key is installed; Spark has
# no information_schema, so Spark builds say compat (the notebook's SHA-256, as the parity tests
# need anyway). See docs/spark.md.
SPARK_DBT_VARS = "{aktu_privacy_student_hash_mode: compat}"


def spark_dir() -> Path:
    if "dir" not in _SPARK:
        folder = Path(tempfile.mkdtemp(prefix="aktu-spark-tests-"))
        _SPARK["dir"] = folder
        atexit.register(shutil.rmtree, folder, True)
    return _SPARK["dir"]  # type: ignore[return-value]


def spark_session(parameters: tuple[tuple[str, str], ...]):
    """The process's SparkSession, started with the profile's server_side_parameters."""
    if "session" not in _SPARK:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.enableHiveSupport()
        for key, value in parameters:
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _SPARK["session"] = session
        atexit.register(session.stop)
    return _SPARK["session"]


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Warehouse:
    """One engine, one throwaway schema prefix, one profiles dir: load, build, query."""

    engine: str  # duckdb | mariadb | spark
    workdir: Path
    schema: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / "profiles.example.yml", self.workdir / "profiles.yml")

    @property
    def duckdb_path(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "AKTU_SCHEMA": self.schema,
            "AKTU_DUCKDB_PATH": str(self.duckdb_path),
            "DBT_PROFILES_DIR": str(self.workdir),
            "DBT_TARGET_PATH": str(self.workdir / "target"),
            "DBT_LOG_PATH": str(self.workdir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        })
        if self.engine == "spark":
            env["AKTU_SPARK_DIR"] = str(spark_dir())
            env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        return env

    def spark(self):
        """The test process's SparkSession, started with this profile's Spark settings."""
        if "session" not in _SPARK:
            from loader.profiles import load_target

            with _environment(self.env()):
                target = load_target("spark", profiles_dir=self.workdir, project_dir=PROJECT_DIR)
            spark_session(target.spark.server_side_parameters)
        return _SPARK["session"]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(list(args), cwd=PROJECT_DIR, env=self.env(), text=True,
                              capture_output=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n"
                                 f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def load(self, data_dir: Path, *options: str,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.engine == "spark":
            return self._load_in_process(data_dir, check, options)
        return self.run(sys.executable, "-m", "loader", "load", str(data_dir),
                        "--target", self.engine, *options, check=check)

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.engine == "spark":
            return self._dbt_in_process(args, check)
        return self.run(DBT, *args, "--target", self.engine, check=check)

    def run_results(self) -> list[dict]:
        """The results of the last dbt command (run_results.json in env()'s DBT_TARGET_PATH)."""
        return json.loads((self.workdir / "target" / "run_results.json").read_text())["results"]

    def _load_in_process(self, data_dir: Path, check: bool,
                         options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        """`python -m loader load DATA_DIR --target spark`, run in this process (one Spark)."""
        from loader.cli import main

        self.spark()
        args = ["load", str(data_dir), "--target", "spark", "--no-progress",
                "--project-dir", str(PROJECT_DIR), *options]
        out, err = io.StringIO(), io.StringIO()
        with _environment(self.env()), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            code = main(args)
        proc = subprocess.CompletedProcess(["python", "-m", "loader", *args], code,
                                           out.getvalue(), err.getvalue())
        if check and code != 0:
            raise AssertionError(f"loader exited {code}\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def _dbt_in_process(self, args: tuple[str, ...], check: bool) -> subprocess.CompletedProcess[str]:
        """`dbt ARGS --target spark`, run in this process with dbtRunner (one Spark)."""
        from dbt.cli.main import dbtRunner

        self.spark()
        argv = [*args, "--target", "spark", "--project-dir", str(PROJECT_DIR)]
        if "--vars" not in args:
            argv += ["--vars", SPARK_DBT_VARS]
        with _environment(self.env()):
            result = dbtRunner().invoke(argv)
        log = self.workdir / "logs" / "dbt.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        code = 0 if result.success else 1
        if check and code != 0:
            raise AssertionError(f"dbt {' '.join(argv)} failed ({result.exception})\n"
                                 f"--- dbt.log (end)\n{text[-6000:]}")
        return subprocess.CompletedProcess(["dbt", *argv], code, "", text)

    def relation(self, layer: str, name: str) -> str:
        q = '"' if self.engine == "duckdb" else "`"

        def quoted(identifier: str) -> str:  # a test schema name may hold quote characters
            return q + identifier.replace(q, q + q) + q

        return f"{quoted(f'{self.schema}_{layer}')}.{quoted(name)}"

    def query(self, sql: str) -> pd.DataFrame:
        if self.engine == "spark":
            frame = self.spark().sql(sql)
            rows = [tuple(row) for row in frame.collect()]
            return pd.DataFrame(rows, columns=frame.columns)
        if self.engine == "duckdb":
            import duckdb

            con = duckdb.connect(str(self.duckdb_path), read_only=True)
            try:
                return con.execute(sql).df()
            finally:
                con.close()
        con = mysql_connect()
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                cols = [d[0] for d in cur.description]
                return pd.DataFrame(list(cur.fetchall()), columns=cols)
        finally:
            con.close()

    def table(self, layer: str, name: str) -> pd.DataFrame:
        return self.query(f"select * from {self.relation(layer, name)}")

    def drop(self) -> None:
        if self.engine == "duckdb":
            return
        if self.engine == "spark":
            if "session" in _SPARK:
                spark = self.spark()
                for row in spark.sql(f"show schemas like '{self.schema}_*'").collect():
                    spark.sql(f"drop schema if exists `{row[0]}` cascade")
            return
        con = mysql_connect()
        try:
            with con.cursor() as cur:
                cur.execute("select schema_name from information_schema.schemata "
                            "where schema_name like %s", (f"{self.schema}\\_%",))
                for (name,) in cur.fetchall():
                    cur.execute("drop database if exists `" + name.replace("`", "``") + "`")
        finally:
            con.close()


def own_prepared_xids(raw_schema: str) -> list[str]:
    """The prepared XA branches on the server whose ids carry this raw schema: the server is
    shared, and other loaders' branches are theirs to finish (loader.warehouse.xid_prefix)."""
    from loader.warehouse import xid_prefix

    con = mysql_connect()
    try:
        with con.cursor() as cur:
            cur.execute("xa recover")
            xids = [r[3].decode() if isinstance(r[3], bytes) else r[3] for r in cur.fetchall()]
    finally:
        con.close()
    return [x for x in xids if x.startswith(xid_prefix(raw_schema))]


def execute_sql(wh: "Warehouse", sql: str) -> None:
    """Run one statement that returns nothing (DDL, an update) on a DuckDB or MariaDB warehouse."""
    if wh.engine == "duckdb":
        import duckdb

        con = duckdb.connect(str(wh.duckdb_path))
        try:
            con.execute(sql)
        finally:
            con.close()
        return
    con = mysql_connect()
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


def raw_rows(wh: "Warehouse", table: str, order: str = "_source_line") -> pd.DataFrame:
    return wh.query(f"select * from {wh.relation('raw', table)} order by {order}")


def last_audit(wh: "Warehouse", file_name: str) -> dict:
    """The audit row of this file name's latest load."""
    df = wh.query(f"select * from {wh.relation('raw', '_load_audit')} "
                  f"where file_name = '{file_name}' order by started_at")
    return df.iloc[-1].to_dict()


def file_rejects(wh: "Warehouse", file_name: str) -> pd.DataFrame:
    return wh.query(f"select * from {wh.relation('raw', '_load_rejects')} "
                    f"where source_file = '{file_name}' order by line_number")
