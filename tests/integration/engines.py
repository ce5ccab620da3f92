"""Throwaway warehouses for tests: a DuckDB file or a set of MariaDB/MySQL schemas, each with
its own schema name, so tests never touch a developer's `aktu_dw` and can run side by side."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[2]


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


@dataclass
class Warehouse:
    """One engine, one throwaway schema prefix, one profiles dir: load, build, query."""

    engine: str  # duckdb | mariadb
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
        return env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(list(args), cwd=PROJECT_DIR, env=self.env(), text=True,
                              capture_output=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n"
                                 f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def load(self, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "loader", "load", str(data_dir),
                        "--target", self.engine, check=check)

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        dbt = str(Path(sys.executable).with_name("dbt"))
        return self.run(dbt, *args, "--target", self.engine, check=check)

    def relation(self, layer: str, name: str) -> str:
        q = '"' if self.engine == "duckdb" else "`"
        return f"{q}{self.schema}_{layer}{q}.{q}{name}{q}"

    def query(self, sql: str) -> pd.DataFrame:
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
        con = mysql_connect()
        try:
            with con.cursor() as cur:
                cur.execute("select schema_name from information_schema.schemata "
                            "where schema_name like %s", (f"{self.schema}\\_%",))
                for (name,) in cur.fetchall():
                    cur.execute(f"drop database if exists `{name}`")
        finally:
            con.close()
