"""Attendance arrives a day at a time: building after each day gives exactly what one full build
of all the days gives, and a corrected re-export of a day already counted is taken into account."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engines import execute_sql
from marts import CORE_MARTS
from parity import assert_frames_agree
from loader.sample import generate

ENGINES = ("duckdb", "mariadb")
AGGREGATE = {"int_attendance_summed_to_student_courses": ["student_hash", "course_code"]}
SELECT = ("--select", "+mart_attendance_marks_correlation", "+rpt_orphan_rows",
          "--indirect-selection", "cautious")


def _days(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A master etc. plus one attendance file per class date (the last two held back)."""
    generate(tmp_path / "gen", students=60, seed=23, daily=True)
    base = tmp_path / "base"
    base.mkdir()
    days = sorted((tmp_path / "gen").glob("attendance_*.csv"))
    for path in (tmp_path / "gen").iterdir():
        if path not in days[-2:]:
            shutil.copy(path, base / path.name)
    return base, days[-2:]


def _assert_same(daily, full) -> None:
    for name in CORE_MARTS:
        assert_frames_agree(name, daily.table("marts", name), full.table("marts", name))
    for name in AGGREGATE:
        assert_frames_agree(name, daily.table("intermediate", name).drop(columns="last_loaded_at"),
                            full.table("intermediate", name).drop(columns="last_loaded_at"))


def _full(make_warehouse, engine: str, folder: Path):
    wh = make_warehouse(engine)
    wh.load(folder)
    wh.dbt("build", "--full-refresh", *SELECT)
    return wh


@pytest.mark.parametrize("engine", ENGINES)
def test_day_by_day_equals_one_full_build(engine, make_warehouse, tmp_path):
    base, later_days = _days(tmp_path)
    daily = make_warehouse(engine)
    daily.load(base)
    daily.dbt("build", *SELECT)
    everything = tmp_path / "everything"
    shutil.copytree(base, everything)
    for day in later_days:
        shutil.copy(day, everything / day.name)
        daily.load(everything)  # the earlier files are unchanged: only the new day loads
        daily.dbt("build", *SELECT)
    full = _full(make_warehouse, engine, everything)
    _assert_same(daily, full)


@pytest.mark.parametrize("engine", ENGINES)
def test_re_exported_day_resets_the_aggregate(engine, make_warehouse, tmp_path):
    base, later_days = _days(tmp_path)
    for day in later_days:
        shutil.copy(day, base / day.name)
    daily = make_warehouse(engine)
    daily.load(base)
    daily.dbt("build", *SELECT)
    # The college corrects a day already counted: two rows dropped, every status flipped.
    corrected = base / later_days[0].name
    header, *rows = corrected.read_text().splitlines()
    flipped = [r[:-1] + ("A" if r.endswith("P") else "P") for r in rows[2:]]
    corrected.write_text("\n".join([header, *flipped]) + "\n")
    daily.load(base)
    build = daily.dbt("build", *SELECT)
    assert "rebuilding it in full" in build.stdout
    full = _full(make_warehouse, engine, base)
    _assert_same(daily, full)


# The first query aggregate_stale_reason sends: the aggregate's row count, fingerprints, watermark.
STALE_CHECK_QUERY = "min(student_hash_fingerprint), max(student_hash_fingerprint)"


def _stale_checks_in_last_run(wh) -> int:
    """How often the last dbt command read the aggregate's state (its debug log, this run only)."""
    log = (wh.workdir / "logs" / "dbt.log").read_text()
    last_run = log[log.rindex("Running with dbt="):]
    return last_run.count(STALE_CHECK_QUERY)


@pytest.mark.parametrize("engine", ENGINES)
def test_stale_check_asks_the_warehouse_once_a_run(engine, make_warehouse, tmp_path):
    """The model decides as it compiles and its pre-hook reads that verdict back from the
    compiled SQL: one read of the aggregate's state a run, whether it tops up or rebuilds."""
    base, later_days = _days(tmp_path)
    wh = make_warehouse(engine)
    wh.load(base)
    wh.dbt("build", *SELECT)
    assert _stale_checks_in_last_run(wh) == 0  # a full build asks nothing
    shutil.copy(later_days[0], base / later_days[0].name)
    wh.load(base)
    topped_up = wh.dbt("build", *SELECT)
    assert "rebuilding it in full" not in topped_up.stdout
    assert _stale_checks_in_last_run(wh) == 1
    # A corrected re-export of the day just counted: stale, and still asked once.
    corrected = base / later_days[0].name
    header, *rows = corrected.read_text().splitlines()
    corrected.write_text("\n".join([header, *rows[1:]]) + "\n")
    wh.load(base)
    rebuilt = wh.dbt("build", *SELECT)
    assert "rebuilding it in full" in rebuilt.stdout
    assert _stale_checks_in_last_run(wh) == 1
    full = _full(make_warehouse, engine, base)
    _assert_same(wh, full)


def test_daily_selector_is_what_attendance_feeds_less_the_full_scans(make_warehouse):
    """`dbt build --selector daily` (selectors.yml): the models downstream of the attendance
    source, without those tagged full_scan; nothing that attendance does not feed."""
    wh = make_warehouse("duckdb")

    def names(*selection: str) -> set[str]:
        out = wh.dbt("--quiet", "ls", *selection, "--resource-type", "model",
                     "--output", "name").stdout
        return set(out.split())

    daily = names("--selector", "daily")
    fed = names("--select", "source:aktu.attendance+")
    full_scan = names("--select", "tag:full_scan")
    assert full_scan == {"dq_orphan_rows", "dq_attendance_outside_semester",
                         "dq_keys_in_several_files"}
    assert daily == fed - full_scan
    assert {"int_attendance_summed_to_student_courses", "mart_attendance_marks_correlation",
            "rpt_orphan_rows", "dq_unknown_courses"} <= daily
    assert not daily & {"fct_placement_offers", "dim_students", "stg_aktu__exam_results"}


def test_aggregate_session_keeps_temporary_tables_in_memory_then_resets(make_warehouse,
                                                                        tmp_path):
    """On MariaDB the aggregate's pre-hook raises its session's in-memory temporary tables to
    var aktu_model_tmp_table_bytes for its GROUP BY, and its post-hook puts the server's values
    back before the next model runs on that connection (one thread: statements in order)."""
    base, _ = _days(tmp_path)
    wh = make_warehouse("mariadb")
    wh.load(base)
    out = wh.dbt("--debug", "run", "--threads", "1", "--full-refresh",
                 "--select", "+int_attendance_summed_to_student_courses", "--vars",
                 "{aktu_model_tmp_table_bytes: 33554432}").stdout
    raised = out.index("set session tmp_table_size = 33554432, max_heap_table_size = 33554432")
    built = out.index("int_attendance_summed_to_student_courses", raised)
    reset = out.index("set session tmp_table_size = default, max_heap_table_size = default")
    assert raised < built < reset
    assert "group by college_code, roll_no, dob, course_code" in out[raised:reset]


@pytest.mark.parametrize("engine", ENGINES)
def test_changed_column_list_stops_the_run(engine, make_warehouse, tmp_path):
    """on_schema_change='fail' on every engine, for both incremental models: a table whose
    columns are not the model's (here one column gone, as after a model change that added it)
    stops the incremental run with the command that fixes it, rather than inserting without the
    missing column. dbt-mysql ignores the config; fail_if_columns_changed compares there."""
    base, later_days = _days(tmp_path)
    wh = make_warehouse(engine)
    wh.load(base)
    wh.dbt("build", *SELECT)
    changes = [("int_attendance_loads_spanned", "source_row_count"),
               ("int_attendance_summed_to_student_courses", "first_class_date")]
    for day, (model, column) in zip(later_days, changes):
        execute_sql(wh, f"alter table {wh.relation('intermediate', model)} drop column {column}")
        shutil.copy(day, base / day.name)
        wh.load(base)
        stopped = wh.dbt("build", *SELECT, check=False)
        assert stopped.returncode != 0
        assert "the model now documents" in stopped.stdout
        assert f"dbt build --full-refresh --select {model}+" in stopped.stdout
        wh.dbt("build", "--full-refresh", *SELECT)
    _assert_same(wh, _full(make_warehouse, engine, base))
