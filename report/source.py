"""Read-only SQL on the warehouse's marts, connected from profiles.yml as the loader connects
(loader/profiles.py): DuckDB (read-only), MariaDB/MySQL, or Spark."""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

from loader.profiles import ProfileError, Target


class _Runner(Protocol):
    def execute(self, sql: str) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class _DuckDB:
    def __init__(self, target: Target) -> None:
        import duckdb

        try:
            self.con = duckdb.connect(target.path, read_only=True)
        except duckdb.Error as exc:
            raise ProfileError(f"target {target.name!r}: cannot open {target.path} read-only "
                               f"({exc}); run `make build` first") from exc

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


class _MySQL:
    def __init__(self, target: Target) -> None:
        import pymysql

        # The profiles' collation: text compares as dbt built it (README, MariaDB notes).
        self.con = pymysql.connect(host=target.host, port=target.port, user=target.user,
                                   password=target.password, charset=target.charset,
                                   collation="utf8mb4_bin", autocommit=True)

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def close(self) -> None:
        self.con.close()


def _spark(target: Target) -> _Runner:
    # The loader's own Spark connections: a session in this process, or dbt-spark's thrift/http.
    from loader.spark_warehouse import _DbtSparkSQL, _SessionSQL

    return _SessionSQL(target) if target.spark.method == "session" else _DbtSparkSQL(target)


class Marts:
    """The `<schema>_marts` relations (and the loader audit's staging view) of one target."""

    def __init__(self, target: Target) -> None:
        self.target = target
        if target.type == "duckdb":
            self.runner: _Runner = _DuckDB(target)
        elif target.is_mysql_family:
            self.runner = _MySQL(target)
        elif target.type == "spark":
            self.runner = _spark(target)
        else:
            raise ProfileError(f"target {target.name!r}: type {target.type!r} is not supported")
        self.quote = '"' if target.type == "duckdb" else "`"

    def relation(self, name: str, layer: str = "marts") -> str:
        q = self.quote
        return f"{q}{self.target.schema}_{layer}{q}.{q}{name}{q}"

    def frame(self, sql: str, columns: list[str]) -> pd.DataFrame:
        """The rows of `sql`, whose select list is `columns` in that order."""
        try:
            rows = self.runner.execute(sql)
        except Exception as exc:  # noqa: BLE001 - every driver's error: say which query
            first = " ".join(sql.split())[:160]
            raise ProfileError(f"target {self.target.name!r}: a report query failed ({exc}); "
                               f"are the marts of schema {self.target.schema} built (make "
                               f"build)? The query starts: {first}") from exc
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)

    def close(self) -> None:
        self.runner.close()
