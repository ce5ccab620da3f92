from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engines import Warehouse, mariadb_problem, spark_problem  # noqa: E402

ENGINES = ("duckdb", "mariadb")
_MARIADB_PROBLEM: list[str | None] = []
_SPARK_PROBLEM: list[str | None] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _mariadb_status() -> str | None:
    if not _MARIADB_PROBLEM:
        _MARIADB_PROBLEM.append(mariadb_problem())
    return _MARIADB_PROBLEM[0]


def require_engine(engine: str) -> None:
    """Skip loudly without a MariaDB server, or without pyspark/Java for Spark; in CI (CI=true)
    that is a failure instead."""
    if engine == "spark":
        if not _SPARK_PROBLEM:
            _SPARK_PROBLEM.append(spark_problem())
        if _SPARK_PROBLEM[0] is None:
            return
        message = f"Spark tier NOT RUN: {_SPARK_PROBLEM[0]}"
        if _in_ci():
            pytest.fail(message + " - in CI this tier must run", pytrace=False)
        pytest.skip(message)
    if engine != "mariadb":
        return
    problem = _mariadb_status()
    if problem is None:
        return
    message = (f"MariaDB/MySQL tier NOT RUN: no server at {os.environ.get('AKTU_DB_HOST', '127.0.0.1')}:"
               f"{os.environ.get('AKTU_DB_PORT', '3306')} ({problem})")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " - in CI this tier must run", pytrace=False)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001
    if _MARIADB_PROBLEM and _MARIADB_PROBLEM[0] is not None:
        terminalreporter.write_sep("!", "MariaDB/MySQL tier was NOT run: " + _MARIADB_PROBLEM[0],
                                   red=True, bold=True)
    if _SPARK_PROBLEM and _SPARK_PROBLEM[0] is not None:
        terminalreporter.write_sep("!", "Spark tier was NOT run: " + _SPARK_PROBLEM[0],
                                   red=True, bold=True)


@pytest.fixture
def make_warehouse(tmp_path_factory):
    """Factory: a throwaway warehouse on the engine asked for, dropped after the test."""
    created: list[Warehouse] = []

    def make(engine: str) -> Warehouse:
        require_engine(engine)
        wh = Warehouse(engine, tmp_path_factory.mktemp(engine))
        created.append(wh)
        return wh

    yield make
    for wh in created:
        wh.drop()


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """(engine, seed) -> a warehouse holding generated sample data, loaded and dbt-built.

    Built once per session and shared by the parity and engine-agreement tests."""
    from loader.sample import generate

    cache: dict[tuple[str, int], tuple[Warehouse, Path]] = {}
    data_dirs: dict[int, Path] = {}

    def get(engine: str, seed: int, students: int = 200) -> tuple[Warehouse, Path]:
        require_engine(engine)
        if (engine, seed) not in cache:
            if seed not in data_dirs:
                data_dirs[seed] = tmp_path_factory.mktemp(f"sample{seed}")
                generate(data_dirs[seed], students=students, seed=seed)
            wh = Warehouse(engine, tmp_path_factory.mktemp(f"{engine}{seed}"))
            wh.load(data_dirs[seed])
            wh.dbt("build")
            cache[(engine, seed)] = (wh, data_dirs[seed])
        return cache[(engine, seed)]

    yield get
    for wh, _ in cache.values():
        wh.drop()
