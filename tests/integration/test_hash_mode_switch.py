"""Switching student_hash between compatibility and keyed mode, or from one key to another, then
running a plain `dbt build` (no --full-refresh) gives exactly the marts of a fresh build in the
new mode: the incremental attendance aggregate notices that its pseudonyms were made otherwise
(its student_hash_fingerprint) and rebuilds in full, instead of keeping old pseudonyms that no
student matches any more (which emptied the attendance marts). On DuckDB and MariaDB."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

from engines import PROJECT_DIR, Warehouse
from loader.sample import generate
from parity import assert_frames_agree

ENGINES = ("duckdb", "mariadb")
HASH_KEY = str(PROJECT_DIR / "scripts" / "privacy" / "hash_key.py")
KEYED = ("--vars", "{aktu_privacy_student_hash_mode: keyed}")
COMPAT = ("--vars", "{aktu_privacy_student_hash_mode: compat}")
AGGREGATE = "int_attendance_summed_to_student_courses"
REBUILT = "rebuilding it in full"


def _key_file(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


def _install(wh: Warehouse, key_file: Path) -> None:
    wh.run(sys.executable, HASH_KEY, "install", "--target", wh.engine, "--key-file", str(key_file))


def _marts(wh: Warehouse) -> list[str]:
    frame = wh.query("select table_name from information_schema.tables "
                     f"where table_schema = '{wh.schema}_marts'")
    return sorted(str(name) for name in frame.iloc[:, 0])


def assert_same_warehouse(switched: Warehouse, fresh: Warehouse) -> None:
    """Every mart row for row, and the aggregate (but its load timestamps)."""
    names = _marts(switched)
    assert names == _marts(fresh)
    assert len(names) > 15, names
    for name in names:
        assert_frames_agree(name, switched.table("marts", name), fresh.table("marts", name))
    assert_frames_agree(AGGREGATE,
                        switched.table("intermediate", AGGREGATE).drop(columns="last_loaded_at"),
                        fresh.table("intermediate", AGGREGATE).drop(columns="last_loaded_at"))
    rows = switched.query("select count(*) as n from "
                          f"{switched.relation('marts', 'fct_student_course_attendance')}")
    assert int(rows["n"][0]) > 300


@pytest.fixture
def warehouses(make_warehouse, tmp_path):
    def get(engine: str) -> tuple[Warehouse, Warehouse, Path]:
        data = tmp_path / "data"
        generate(data, students=60, seed=17)
        return make_warehouse(engine), make_warehouse(engine), data
    return get


@pytest.mark.parametrize("engine", ENGINES)
def test_switching_mode_or_key_rebuilds_instead_of_emptying_marts(engine, warehouses, tmp_path):
    switched, fresh, data = warehouses(engine)
    key_a, key_b = _key_file(tmp_path, "a.key"), _key_file(tmp_path, "b.key")

    # compatibility mode, then a key installed and the build run keyed, without --full-refresh
    switched.load(data)
    switched.dbt("build")
    _install(switched, key_a)
    run = switched.dbt("build", *KEYED)
    fresh.load(data)
    _install(fresh, key_a)
    fresh.dbt("build", "--resource-type", "model", "--resource-type", "seed", *KEYED)
    assert_same_warehouse(switched, fresh)
    assert REBUILT in run.stdout and "pseudonyms were made with sha256" in run.stdout

    # another key: key A -> key B
    _install(switched, key_b)
    run = switched.dbt("build", *KEYED)
    _install(fresh, key_b)
    fresh.dbt("build", "--full-refresh", "--resource-type", "model", "--resource-type", "seed",
              *KEYED)
    assert_same_warehouse(switched, fresh)
    assert REBUILT in run.stdout and "pseudonyms were made with hmac-sha256:" in run.stdout

    # back to compatibility mode
    run = switched.dbt("build", *COMPAT)
    fresh.dbt("build", "--full-refresh", "--resource-type", "model", "--resource-type", "seed",
              *COMPAT)
    assert_same_warehouse(switched, fresh)
    assert REBUILT in run.stdout

    # the same mode and key again: topped up, not rebuilt
    run = switched.dbt("build", *COMPAT)
    assert REBUILT not in run.stdout
