"""The marts reproduce the reference notebook's numbers exactly, on every engine and seed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marts import CORE_MARTS
from parity import assert_frames_agree
from reference import run_notebook

SEEDS = (3, 17, 42)
ENGINES = ("duckdb", "mariadb")
TOL = 1e-9
SMALL_CELL = 10  # var aktu_small_cell_min_students


@pytest.fixture(params=[(e, s) for e in ENGINES for s in SEEDS],
                ids=lambda p: f"{p[0]}-seed{p[1]}")
def case(request, built):
    engine, seed = request.param
    wh, data_dir = built(engine, seed)
    return wh, run_notebook(data_dir)


def _performance(wh) -> pd.DataFrame:
    df = wh.table("marts", "fct_student_course_performance")
    return df.set_index(["student_hash", "course_code"]).sort_index()


def test_student_hash_sets_identical(case):
    wh, nb = case
    ours = set(wh.table("marts", "dim_students")["student_hash"])
    assert ours == set(nb.students["student_hash"])
    assert all(len(h) == 64 and h == h.lower() for h in ours)


def test_pairs_are_the_notebooks_corr_df(case):
    wh, nb = case
    ours = _performance(wh)
    theirs = nb.corr_df.set_index(["student_hash", "course_code"]).sort_index()
    assert list(ours.index) == list(theirs.index)


def test_attendance_pct_is_the_notebooks_fraction(case):
    wh, nb = case
    ours = _performance(wh)
    theirs = nb.corr_df.set_index(["student_hash", "course_code"]).sort_index()
    mine = ours["attendance_pct"].astype(float) / 100
    ref = theirs["attendance_pct"].astype(float)
    assert (mine.isna() == ref.isna()).all(), "null attendance where the notebook has NaN, only there"
    both = ~ref.isna()
    assert np.abs(mine[both] - ref[both]).max() <= TOL


def test_total_marks_equal(case):
    wh, nb = case
    ours = _performance(wh)["total_marks"].astype(float)
    theirs = nb.corr_df.set_index(["student_hash", "course_code"]).sort_index()["total_marks"]
    assert np.abs(ours.values - theirs.astype(float).values).max() <= TOL


def test_overall_pearson_r(case):
    wh, nb = case
    corr = wh.table("marts", "mart_attendance_marks_correlation")
    overall = corr[corr["scope"] == "overall"]
    assert len(overall) == 1
    assert overall["scope_value"].isna().all()
    assert abs(float(overall["pearson_r"].iloc[0]) - nb.corr) <= TOL
    assert int(overall["n_pairs"].iloc[0]) == int(nb.corr_df.dropna().shape[0])


@pytest.mark.parametrize("scope, column", [("college", "college_code"),
                                           ("program", "program_code"),
                                           ("course", "course_code")])
def test_pearson_r_per_scope(case, scope, column):
    """The notebook's correlation per group; a group of fewer than 10 students shows none."""
    wh, nb = case
    corr = wh.table("marts", "mart_attendance_marks_correlation")
    ours = corr[corr["scope"] == scope].set_index("scope_value")
    attrs = nb.students[["student_hash", "college_code", "program_code"]]
    pairs = nb.corr_df.dropna().merge(attrs, on="student_hash")
    expected = {k: (g["student_hash"].nunique(), len(g), g["attendance_pct"].corr(g["total_marks"]))
                for k, g in pairs.groupby(column)}
    assert set(ours.index) == set(expected)
    for key, (students, n, r) in expected.items():
        row = ours.loc[key]
        assert bool(row["is_small_cell"]) == (students < SMALL_CELL), key
        if students < SMALL_CELL:
            assert all(pd.isna(row[c]) for c in ("student_count", "n_pairs", "pearson_r")), key
            continue
        assert (int(row["student_count"]), int(row["n_pairs"])) == (students, n)
        got = row["pearson_r"]
        if r is None or (isinstance(r, float) and math.isnan(r)):
            assert got is None or pd.isna(got)
        else:
            assert abs(float(got) - r) <= TOL, key


def test_edge_cases_are_present_and_right(case):
    wh, nb = case
    att = wh.table("marts", "fct_student_course_attendance")
    perf = _performance(wh)
    assert (att["attendance_pct"].astype(float) == 0).any(), "a student at 0% in a course"
    assert (att["attendance_pct"].astype(float) == 100).any(), "a student at 100% in a course"
    assert perf["attendance_pct"].isna().any(), "exam rows without attendance"
    att_pairs = set(zip(att["student_hash"], att["course_code"]))
    assert att_pairs - set(perf.index), "attendance without exam rows stays in the attendance fact"


def test_orphans_counted_as_the_notebook_drops_them(case):
    wh, nb = case
    orphans = wh.table("marts", "rpt_orphan_rows").set_index("file_kind")
    expected = {
        "attendance": nb.attendance["student_hash"].isna().sum(),
        "exam_results": nb.exams["student_hash"].isna().sum(),
        "placements": nb.placements["student_hash"].isna().sum(),
    }
    for kind, n in expected.items():
        assert n > 0, f"the sample should contain {kind} orphans"
        assert int(orphans.loc[kind, "orphan_rows"]) == n
    assert int(orphans.loc["attendance", "total_rows"]) == len(nb.attendance)


def test_no_roll_no_or_dob_downstream_of_staging(case):
    wh, _ = case
    for layer in ("intermediate", "marts"):
        for name in ("dim_students", "fct_student_course_attendance",
                     "fct_student_course_performance", "mart_attendance_marks_correlation",
                     "rpt_orphan_rows") if layer == "marts" else (
                         "int_attendance_summed_to_student_courses",
                         "int_exam_results_averaged_to_student_courses"):
            columns = set(wh.query(f"select * from {wh.relation(layer, name)} limit 0").columns)
            assert not columns & {"roll_no", "dob"}, (layer, name)


def test_engines_agree_row_for_row(built):
    duck, _ = built("duckdb", 42)
    maria, _ = built("mariadb", 42)
    for name in CORE_MARTS:
        assert_frames_agree(name, duck.table("marts", name), maria.table("marts", name))



def test_text_columns_have_one_collation_on_mariadb(built):
    """Every text column of every table on MariaDB, raw to marts, is utf8mb4 with the binary
    collation, so a key such as student_hash has one type in every layer: equal values compare
    byte for byte and a join between layers can use either side's index. (sha2(), CAST AS CHAR
    and literals take the connection's collation: the profile sets utf8mb4_bin.) Views are left
    out: MariaDB types a view's computed text by the session that reads it."""
    maria, _ = built("mariadb", 42)
    columns = maria.query(
        "select c.table_schema, c.table_name, c.column_name, c.collation_name "
        "from information_schema.columns as c "
        "inner join information_schema.tables as t "
        "on t.table_schema = c.table_schema and t.table_name = c.table_name "
        f"where c.table_schema like '{maria.schema}%' and t.table_type = 'BASE TABLE' "
        "and c.collation_name is not null")
    hashes = columns[columns["column_name"] == "student_hash"]
    assert {"int_attendance_summed_to_student_courses", "fct_student_course_performance",
            "dim_students"} <= set(hashes["table_name"])
    other = columns[columns["collation_name"] != "utf8mb4_bin"]
    assert other.empty, other.to_string()


def test_dbt_refuses_a_mariadb_profile_without_the_binary_collation(make_warehouse):
    wh = make_warehouse("mariadb")
    profile = wh.workdir / "profiles.yml"
    text = profile.read_text()
    assert "collation: utf8mb4_bin" in text
    profile.write_text(text.replace("collation: utf8mb4_bin", ""))
    proc = wh.dbt("run", "--select", "stg_aktu__file_loads", check=False)
    assert proc.returncode != 0
    assert ("collation is utf8mb4_general_ci, not utf8mb4_bin: add `charset: utf8mb4` and "
            "`collation: utf8mb4_bin` to the mariadb target") in proc.stdout
    # The check stops the command before any other hook or model runs.
    assert "raw tables missing" not in proc.stdout, proc.stdout[-3000:]
    assert "START sql" not in proc.stdout, proc.stdout[-3000:]
