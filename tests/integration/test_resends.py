"""Colleges resend overlapping exports: every record (attendance: student, course and date; exam
results: student and course; placements: student, company and offer date; students: college,
roll_no and dob) counts once across the files of its kind, as its latest load has it, and
dq_keys_in_several_files lists what was sent twice. On DuckDB and MariaDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import require_engine
from engines import Warehouse
from loader.sample import generate
from parity import assert_frames_agree

ENGINES = ("duckdb", "mariadb")
STUDENTS = 60
SEED = 31
RESENT_ATTENDANCE_LINES = 5000  # header included, as the college's resend
# Row-level lists of what to fix in the files: a row resent in a second file is a second row to
# fix there, so these list it once per file. Every other mart counts each record once.
ROW_LEVEL_LISTS = {"dq_orphan_rows", "dq_attendance_outside_semester", "dq_marks_beyond_maxima",
                   "dq_exam_total_mismatches", "dq_keys_in_several_files"}
DQ = "dq_keys_in_several_files"
# Where a counted record came from and how many file rows it stands for: a resent record comes
# from the later file and stands for one row more (rpt_placement_offer_reconciliation accounts
# for the extra rows as duplicates), as it should.
PROVENANCE = {"source_file", "source_line", "source_row_count", "loaded_at"}
RECONCILIATION = "rpt_placement_offer_reconciliation"
RECONCILIATION_ROW_COUNTS = {"duplicate_rows", "source_rows", "pct_of_source_rows"}


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _flip_status(line: str) -> str:
    return line[:-1] + ("A" if line.endswith("P") else "P")


def _exam_changed(line: str) -> str:
    """The same student and course with external and total marks one higher."""
    college, roll, dob, course, internal, external, total = line.split(",")
    return ",".join([college, roll, dob, course, internal, str(int(external) + 1),
                     str(int(total) + 1)])


def _placement_changed(line: str) -> str:
    """The same student, company and offer date with another role and package."""
    college, roll, dob, company, _role, _package, offer_date = line.split(",")
    return ",".join([college, roll, dob, company, "Corrected Role", "9.99", offer_date])


def _student_changed(line: str) -> str:
    """The same student (roll_no, dob, college) with another category."""
    fields = line.split(",")
    fields[3] = "SC" if fields[3] != "SC" else "ST"
    return ",".join(fields)


def marts(wh: Warehouse) -> list[str]:
    frame = wh.query("select table_name from information_schema.tables "
                     f"where table_schema = '{wh.schema}_marts'")
    return sorted(str(name) for name in frame.iloc[:, 0])


def assert_same_marts(a: Warehouse, b: Warehouse) -> None:
    """Every mart but the row-level lists holds the same rows in both warehouses."""
    names = [n for n in marts(a) if n not in ROW_LEVEL_LISTS]
    assert names == [n for n in marts(b) if n not in ROW_LEVEL_LISTS]
    assert len(names) > 15, names
    for name in names:
        left, right = a.table("marts", name), b.table("marts", name)
        drop = PROVENANCE | (RECONCILIATION_ROW_COUNTS if name == RECONCILIATION else set())
        assert_frames_agree(name, left.drop(columns=[c for c in left.columns if c in drop]),
                            right.drop(columns=[c for c in right.columns if c in drop]))


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("resends-sample")
    generate(folder, students=STUDENTS, seed=SEED)
    return folder


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """(engine, name, data folder) -> that folder loaded and dbt-built, once per module."""
    cache: dict[tuple[str, str], Warehouse] = {}

    def get(engine: str, name: str, folder: Path) -> Warehouse:
        require_engine(engine)
        if (engine, name) not in cache:
            wh = Warehouse(engine, tmp_path_factory.mktemp(f"{engine}-{name}"))
            cache[(engine, name)] = wh
            wh.load(folder)
            wh.dbt("build")
        return cache[(engine, name)]

    yield get
    for wh in cache.values():
        wh.drop()


def _copy(sample: Path, folder: Path) -> Path:
    shutil.copytree(sample, folder)
    return folder


@pytest.mark.parametrize("engine", ENGINES)
def test_files_resent_unchanged_give_the_single_file_marts(engine, sample, warehouses, tmp_path):
    """The first 5,000 lines of attendance again, the master, exam results and placements again
    in second files: every mart as from the single files; the dq model lists each resent row with
    both files and no difference."""
    folder = _copy(sample, tmp_path / "resent")
    attendance = _lines(folder / "attendance_2024_sem.csv")
    exams = _lines(folder / "exam_results_2024_sem.csv")
    placements = _lines(folder / "placements_2024.csv")
    students = _lines(folder / "students_master.csv")
    _write(folder / "attendance_2024_sem_resend.csv", attendance[:RESENT_ATTENDANCE_LINES])
    _write(folder / "exam_results_2024_sem_resend.csv", exams[:101])
    _write(folder / "placements_2024_resend.csv", placements)
    _write(folder / "students_master_resend.csv", students[:31])

    single = warehouses(engine, "single", sample)
    resent = warehouses(engine, "resent", folder)
    assert_same_marts(resent, single)

    held = resent.query(f"select max(classes_held) as m from "
                        f"{resent.relation('marts', 'fct_student_course_attendance')}")
    assert int(held["m"][0]) == 40  # CLASSES_PER_COURSE, not 80
    # every placement row accounted for: the resent ones as duplicates of the offers they repeat
    reconciliation = resent.table("marts", RECONCILIATION)
    assert int(reconciliation["duplicate_rows"].astype(int).sum()) == len(placements) - 1
    assert int(reconciliation["source_rows"].astype(int).sum()) == 2 * (len(placements) - 1)

    dq = resent.table("marts", DQ)
    counts = dq.groupby(["file_kind", "source_file"]).size().to_dict()
    assert counts == {
        ("attendance", "attendance_2024_sem.csv"): RESENT_ATTENDANCE_LINES - 1,
        ("attendance", "attendance_2024_sem_resend.csv"): RESENT_ATTENDANCE_LINES - 1,
        ("exam_results", "exam_results_2024_sem.csv"): 100,
        ("exam_results", "exam_results_2024_sem_resend.csv"): 100,
        ("placements", "placements_2024.csv"): len(placements) - 1,
        ("placements", "placements_2024_resend.csv"): len(placements) - 1,
        ("students", "students_master.csv"): 30,
        ("students", "students_master_resend.csv"): 30,
    }
    assert (dq["file_count"].astype(int) == 2).all()
    assert not dq["has_differing_values"].astype(bool).any()
    # the counted row of each key is the later file's
    latest = dq[dq["is_latest_load"].astype(bool)]
    assert set(latest["source_file"]) == {"attendance_2024_sem_resend.csv",
                                          "exam_results_2024_sem_resend.csv",
                                          "placements_2024_resend.csv",
                                          "students_master_resend.csv"}
    assert len(latest) == len(dq) // 2


@pytest.mark.parametrize("engine", ENGINES)
def test_conflicting_resends_count_the_later_file_once(engine, sample, warehouses, tmp_path):
    """Second files that change values: 2,000 attendance statuses flipped, 100 exam results with
    other marks, every offer with another role and package, 10 students with another category.
    Every mart equals one built from single files already holding the later values (the later
    status counted once, the later marks not averaged, one offer per company and date)."""
    folder = _copy(sample, tmp_path / "conflicting")
    corrected = _copy(sample, tmp_path / "corrected")
    attendance = _lines(sample / "attendance_2024_sem.csv")
    exams = _lines(sample / "exam_results_2024_sem.csv")
    placements = _lines(sample / "placements_2024.csv")
    students = _lines(sample / "students_master.csv")
    changed = {
        "attendance": [attendance[0]] + [_flip_status(r) for r in attendance[1:2001]],
        "exams": [exams[0]] + [_exam_changed(r) for r in exams[1:101]],
        "placements": [placements[0]] + [_placement_changed(r) for r in placements[1:]],
        "students": [students[0]] + [_student_changed(r) for r in students[1:11]],
    }
    _write(folder / "attendance_2024_sem_resend.csv", changed["attendance"])
    _write(folder / "exam_results_2024_sem_resend.csv", changed["exams"])
    _write(folder / "placements_2024_resend.csv", changed["placements"])
    _write(folder / "students_master_resend.csv", changed["students"])
    # the reference: one file per kind, already holding the later values
    _write(corrected / "attendance_2024_sem.csv", changed["attendance"] + attendance[2001:])
    _write(corrected / "exam_results_2024_sem.csv", changed["exams"] + exams[101:])
    _write(corrected / "placements_2024.csv", changed["placements"])
    _write(corrected / "students_master.csv", changed["students"] + students[11:])

    resent = warehouses(engine, "conflicting", folder)
    reference = warehouses(engine, "corrected", corrected)
    assert_same_marts(resent, reference)

    offers = resent.query(f"select count(*) as n, min(job_role) as role from "
                          f"{resent.relation('intermediate', 'int_placement_offers_deduplicated')}")
    assert int(offers["n"][0]) == len(placements) - 1
    assert offers["role"][0] == "Corrected Role"

    dq = resent.table("marts", DQ)
    differing = dq[dq["has_differing_values"].astype(bool)]
    assert differing.groupby("file_kind").size().to_dict() == {
        "attendance": 4000, "exam_results": 200,
        "placements": 2 * (len(placements) - 1), "students": 20}
    assert set(dq.loc[dq["is_latest_load"].astype(bool), "source_file"]) == {
        "attendance_2024_sem_resend.csv", "exam_results_2024_sem_resend.csv",
        "placements_2024_resend.csv", "students_master_resend.csv"}


INCREMENTAL_SELECT = ("--select", "+mart_attendance_marks_correlation", "+rpt_orphan_rows",
                      "--indirect-selection", "cautious")
AGGREGATE = "int_attendance_summed_to_student_courses"
REBUILT = "rebuilding it in full"
CORE = ("dim_students", "fct_student_course_attendance", "fct_student_course_performance",
        "mart_attendance_marks_correlation", "rpt_orphan_rows")


def _aggregate(wh: Warehouse):
    return wh.table("intermediate", AGGREGATE).drop(columns="last_loaded_at")


@pytest.mark.parametrize("engine", ENGINES)
def test_daily_runs_then_resends_equal_one_full_build(engine, make_warehouse, tmp_path):
    """Attendance a day at a time, built after each day (topped up, not rebuilt); then a day
    already counted resent unchanged in another file, then another counted day resent with every
    status flipped: each resend rebuilds the incremental aggregate, and the end result is exactly
    one full build of all the files."""
    generate(tmp_path / "gen", students=40, seed=23, daily=True)
    days = sorted((tmp_path / "gen").glob("attendance_*.csv"))
    everything = tmp_path / "everything"
    everything.mkdir()
    for path in (tmp_path / "gen").iterdir():
        if path not in days[-2:]:
            shutil.copy(path, everything / path.name)
    daily = make_warehouse(engine)
    daily.load(everything)
    daily.dbt("build", *INCREMENTAL_SELECT)
    for day in days[-2:]:
        shutil.copy(day, everything / day.name)
        daily.load(everything)
        assert REBUILT not in daily.dbt("build", *INCREMENTAL_SELECT).stdout  # the day only
    before = _aggregate(daily)

    shutil.copy(days[-2], everything / "attendance_resent_unchanged.csv")
    daily.load(everything)
    resend_run = daily.dbt("build", *INCREMENTAL_SELECT)
    after = _aggregate(daily)
    assert_frames_agree(AGGREGATE, after.drop(columns="source_row_count", errors="ignore"),
                        before.drop(columns="source_row_count", errors="ignore"))
    resent_rows = len(_lines(days[-2])) - 1
    assert int(after["source_row_count"].astype(int).sum()) == \
        int(before["source_row_count"].astype(int).sum()) + resent_rows
    assert REBUILT in resend_run.stdout

    header, *rows = _lines(days[-3])
    _write(everything / "attendance_resent_flipped.csv", [header, *map(_flip_status, rows)])
    daily.load(everything)
    flipped_run = daily.dbt("build", *INCREMENTAL_SELECT)

    full = make_warehouse(engine)
    full.load(everything)
    full.dbt("build", "--full-refresh", *INCREMENTAL_SELECT)
    for name in CORE:
        assert_frames_agree(name, daily.table("marts", name), full.table("marts", name))
    assert_frames_agree(AGGREGATE, _aggregate(daily), _aggregate(full))
    attended = daily.query(f"select sum(classes_attended) as a, sum(classes_held) as h from "
                           f"{daily.relation('intermediate', AGGREGATE)}")
    assert int(attended["h"][0]) == int(before["classes_held"].astype(int).sum())
    flipped_to_p = sum(1 for r in rows if r.endswith("A"))
    assert int(attended["a"][0]) == (int(before["classes_attended"].astype(int).sum())
                                     - (len(rows) - flipped_to_p) + flipped_to_p)
    assert REBUILT in flipped_run.stdout
