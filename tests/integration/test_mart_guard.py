"""Every mart and quality model, built on generated data, equals the rows stored in the repo,
on DuckDB and MariaDB: a refactor of models/ or macros/ leaves every output unchanged.

The stored rows (tests/integration/guard/<dataset>/<model>.csv.gz) come from DuckDB; both
engines must match them. An intended change of output: `make guard-regenerate` (mart_guard.py).
"""

from __future__ import annotations

import pytest

from conftest import require_engine
from engines import Warehouse
from mart_guard import LARGE, SAMPLE, differences, guarded_models, stale_expected

ENGINES = ("duckdb", "mariadb")


@pytest.fixture(scope="module")
def large_built(tmp_path_factory):
    """engine -> a warehouse built on the large dataset, once per engine for the module."""
    from loader.sample import generate

    cache: dict[str, Warehouse] = {}
    data_dir = tmp_path_factory.mktemp("guard_large")

    def get(engine: str) -> Warehouse:
        require_engine(engine)
        if engine not in cache:
            if not any(data_dir.iterdir()):
                generate(data_dir, students=LARGE.students, seed=LARGE.seed,
                         college_count=LARGE.colleges)
            wh = Warehouse(engine, tmp_path_factory.mktemp(f"guard_{engine}"))
            cache[engine] = wh
            wh.load(data_dir)
            wh.dbt("build")
        return cache[engine]

    yield get
    for wh in cache.values():
        wh.drop()


def _assert_models_match(wh: Warehouse, dataset: str) -> None:
    models = guarded_models(wh.workdir / "target" / "manifest.json")
    problems = [f"stored rows of a model that no longer exists: {m} (run `make guard-regenerate`)"
                for m in stale_expected(dataset, models)]
    for model in models:
        problems += differences(dataset, model, wh.table("marts", model))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("engine", ENGINES)
def test_marts_unchanged_on_sample(built, engine):
    wh, _ = built(engine, SAMPLE.seed, SAMPLE.students)
    _assert_models_match(wh, SAMPLE.name)


@pytest.mark.parametrize("engine", ENGINES)
def test_marts_unchanged_on_large_set(large_built, engine):
    _assert_models_match(large_built(engine), LARGE.name)
