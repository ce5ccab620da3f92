from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engines import Warehouse, mariadb_problem, spark_problem  # noqa: E402

ENGINES = ("duckdb", "mariadb")
TESTS = Path(__file__).parent
_MARIADB_PROBLEM: list[str | None] = []
_SPARK_PROBLEM: list[str | None] = []
# How a test that cannot run its tier says so (require_engine), and how the summary finds it.
_TIERS = {"mariadb": "MariaDB/MySQL tier", "spark": "Spark tier"}
_NOT_RUN = " NOT RUN: "


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
        message = f"{_TIERS['spark']}{_NOT_RUN}{_SPARK_PROBLEM[0]}"
        if _in_ci():
            pytest.fail(message + " - in CI this tier must run", pytrace=False)
        pytest.skip(message)
    if engine != "mariadb":
        return
    problem = _mariadb_status()
    if problem is None:
        return
    message = (f"{_TIERS['mariadb']}{_NOT_RUN}no server at {os.environ.get('AKTU_DB_HOST', '127.0.0.1')}:"
               f"{os.environ.get('AKTU_DB_PORT', '3306')} ({problem})")
    if _in_ci():
        pytest.fail(message + " - in CI this tier must run", pytrace=False)
    pytest.skip(message)


def _shares_a_warehouse(item: pytest.Item) -> bool:
    """Whether the test uses one of this folder's module- or session-scoped fixtures: a warehouse
    built once and shared by the tests of its file (or, `built`, of the process)."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d.scope in ("module", "session") and Path(inspect.getfile(d.func)).parent == TESTS
               for fixture_defs in defs for d in fixture_defs)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):  # noqa: ANN001
    """For `make test`'s processes (pytest-xdist, --dist loadgroup): the tests of a file that
    shares a warehouse run together on one process, so it is built once, and those files go
    first, being the longest pieces of work; every other test goes to whichever process is free.
    A long piece handed out last would leave the other process idle at the end. Without xdist
    this only changes the order of the files."""
    shared = {item.path for item in items if _shares_a_warehouse(item)}
    for item in items:
        if item.path in shared:
            item.add_marker(pytest.mark.xdist_group(item.path.name))
    items.sort(key=lambda item: item.path not in shared)  # stable: files stay whole, in order


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001
    """A red banner per tier that did not run, read off the tests' reports (skipped, or failed
    in CI): with pytest-xdist the tests run in worker processes, and only their reports reach
    this one."""
    banners: list[str] = []
    for report in [*terminalreporter.stats.get("skipped", []),
                   *terminalreporter.stats.get("failed", [])]:
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        for tier in _TIERS.values():
            if tier + _NOT_RUN in message:
                reason = message[message.index(tier + _NOT_RUN) + len(tier + _NOT_RUN):]
                banner = f"{tier} was NOT run: {reason.splitlines()[0]}"
                if banner not in banners:
                    banners.append(banner)
    for banner in banners:
        terminalreporter.write_sep("!", banner, red=True, bold=True)


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
