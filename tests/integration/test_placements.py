"""Placement outcomes (issue #5): crafted exports with known answers, on DuckDB and MariaDB.

One dataset holds every case; it is loaded and built once per engine (only the placement models
and what they need). Definitions under test: docs/placements.md. Default vars: offer window
1 July Y-1 .. 31 December Y, packages 1..100 LPA, lateral entry (quota Lateral, B.Tech) one year
less, small cells below 10 final-year students.

Cohorts (college, program, passing year):
  A  AKTU001 BTECH_CSE 2024: 11 admitted 2020 + 1 lateral entrant admitted 2021 = 12 students;
     6 placed with best packages 3.5 4.5 5.5 6.5 7.0 8.0 (even count: median 6.0);
     category GEN 10 (shown, exactly k) and OBC 2 (suppressed); gender 6 M / 6 F (suppressed).
  B  AKTU002 BTECH_EE 2024: 10 students, all F; 5 placed with 3.0 4.0 5.0 6.0 12.0 (odd count:
     median 5.0); category 5 GEN / 5 SC (suppressed).
  C  AKTU002 MBA 2024: 3 students, 1 placed (suppressed group).
  D  AKTU001 BTECH_CSE 2025: 1 student whose offer of 2024-03-01 precedes the 2025 window.
  E  an MBA student with quota Lateral: not a lateral entrant (MBA is not B.Tech).
  F  a student whose program (BPHARM) is not in the programs seed: no passing year.
Plus an offer for a student missing from the master, and offers repeated in a second file.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import require_engine
from engines import Warehouse

ENGINES = ("duckdb", "mariadb")
TOL = 1e-9

MARTS = {
    "dim_student_passing_years": ["student_hash"],
    "fct_placement_offers": ["student_hash", "company_name", "job_role", "offer_date"],
    "fct_student_placements": ["student_hash"],
    "mart_placement_outcomes": ["college_code", "program_code", "passing_year"],
    "mart_placement_outcomes_by_student_group": ["college_code", "program_code", "passing_year",
                                                 "breakdown", "breakdown_value"],
    "rpt_placement_offer_reconciliation": ["outcome"],
}

STUDENT_HEADER = ("roll_no,dob,gender,category,college_code,program_code,admission_year,"
                  "domicile_state,quota,disability_flag")
PLACEMENT_HEADER = "college_code,roll_no,dob,company,role,package_lpa,offer_date"


def _student_rows() -> dict[str, tuple]:
    """key -> (roll_no, dob, gender, category, college, program, admission_year, quota)."""
    rows: dict[str, tuple] = {}
    for i in range(1, 13):  # cohort A
        lateral = i == 12
        year = 2021 if lateral else 2020
        rows[f"A{i:02d}"] = (f"AKTU001-CSE-{year}-{1000 + i}", f"2002-01-{i:02d}",
                             "M" if i <= 6 else "F", "GEN" if i <= 10 else "OBC",
                             "AKTU001", "BTECH_CSE", year, "Lateral" if lateral else "GEN")
    for i in range(1, 11):  # cohort B
        rows[f"B{i:02d}"] = (f"AKTU002-EE-2020-{2000 + i}", f"2002-02-{i:02d}", "F",
                             "GEN" if i <= 5 else "SC", "AKTU002", "BTECH_EE", 2020, "GEN")
    for i in range(1, 4):  # cohort C
        rows[f"C{i:02d}"] = (f"AKTU002-Management-2022-{3000 + i}", f"2001-03-{i:02d}", "M",
                             "GEN", "AKTU002", "MBA", 2022, "GEN")
    rows["D01"] = ("AKTU001-CSE-2021-4001", "2003-04-01", "F", "GEN", "AKTU001", "BTECH_CSE",
                   2021, "GEN")
    rows["E01"] = ("AKTU001-Management-2021-5001", "2000-05-01", "M", "GEN", "AKTU001", "MBA",
                   2021, "Lateral")
    rows["F01"] = ("AKTU001-PH-2020-6001", "2002-06-01", "F", "GEN", "AKTU001", "BPHARM", 2020,
                   "GEN")
    return rows


STUDENTS = _student_rows()
ORPHAN = ("AKTU001-CSE-2020-9999", "2002-09-09")  # in no master row

# (student key, company, role, package_lpa, offer_date); "" = empty cell
OFFERS = [
    # A01: three counted offers, best 6.5
    ("A01", "TCS", "Software Engineer", "4.0", "2023-09-01"),
    ("A01", "Infosys", "Analyst", "6.5", "2023-10-01"),
    ("A01", "Wipro", "Analyst", "5.0", "2024-01-15"),
    # A02: repeated in the supplement file (counted once)
    ("A02", "Accenture", "Associate Consultant", "3.5", "2023-11-20"),
    # A03: repeated in the supplement file as "deloitte" (same offer, counted once)
    ("A03", "Deloitte", "Analyst", "8.0", "2024-02-10"),
    ("A04", "HCLTech", "Graduate Engineer Trainee", "0", "2023-12-01"),       # zero
    ("A05", "Cognizant", "Analyst", "-4.5", "2023-12-05"),                   # negative
    ("A05", "Capgemini", "Analyst", "4.5", "2024-03-01"),                    # counted
    ("A06", "Amazon", "Software Engineer", "450", "2024-01-20"),             # absurd
    ("A07", "Paytm", "Software Engineer", "5.0", "2023-06-15"),              # before window
    ("A08", "Zomato", "Data Analyst", "5.0", "2025-01-10"),                  # after window
    ("A09", "L&T", "Graduate Engineer Trainee", "5.0", ""),                  # no date
    ("A10", "TCS", "", "5.5", "2024-04-01"),                                 # no role, counted
    ("A11", "Wipro", "Analyst", "0.5", "2024-02-01"),                        # below minimum
    ("A12", "HDFC Bank", "Management Trainee", "7.0", "2024-03-15"),         # lateral, counted
    ("B01", "TCS", "Software Engineer", "3.0", "2023-08-10"),
    ("B01", "Wipro", "Analyst", "2.0", "2023-09-10"),
    ("B02", "Infosys", "Analyst", "4.0", "2024-01-10"),
    ("B03", "Accenture", "Analyst", "5.0", "2024-02-10"),
    ("B04", "Capgemini", "Analyst", "6.0", "2024-06-30"),
    ("B05", "Amazon", "Software Engineer", "12.0", "2024-12-31"),            # last day: counted
    ("C01", "HDFC Bank", "Management Trainee", "9.0", "2024-05-01"),
    ("D01", "Infosys", "Analyst", "6.0", "2024-03-01"),                      # before 2025 window
    ("F01", "Cipla", "Analyst", "5.0", "2024-01-01"),                        # no passing year
]
SUPPLEMENT = [
    ("A02", "Accenture", "Associate Consultant", "3.5", "2023-11-20"),
    ("A03", "deloitte", "Analyst", "8.0", "2024-02-10"),
]


def _placement_line(key: str, company: str, role: str, package: str, offer_date: str) -> str:
    roll, dob, _gender, _category, college, *_ = STUDENTS[key]
    return f"{college},{roll},{dob},{company},{role},{package},{offer_date}"


def write_dataset(folder: Path) -> None:
    lines = [STUDENT_HEADER]
    for roll, dob, gender, category, college, program, year, quota in STUDENTS.values():
        lines.append(f"{roll},{dob},{gender},{category},{college},{program},{year},UP,{quota},False")
    (folder / "students_master.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    main = [PLACEMENT_HEADER] + [_placement_line(*o) for o in OFFERS]
    main.append(f"AKTU001,{ORPHAN[0]},{ORPHAN[1]},Infosys,Analyst,5.0,2024-01-01")
    (folder / "placements_2024.csv").write_text("\n".join(main) + "\n", encoding="utf-8")
    extra = [PLACEMENT_HEADER] + [_placement_line(*o) for o in SUPPLEMENT]
    (folder / "placements_2024_supplement.csv").write_text("\n".join(extra) + "\n",
                                                           encoding="utf-8")


def student_hash(key: str) -> str:
    roll, dob, _gender, _category, college, *_ = STUDENTS[key]
    return hashlib.sha256(f"{college}-{roll}-{dob}".encode()).hexdigest()


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """engine -> a warehouse holding the crafted dataset, placement models built."""
    data_dir = tmp_path_factory.mktemp("placements_data")
    write_dataset(data_dir)
    cache: dict[str, tuple[Warehouse, str]] = {}

    def get(engine: str) -> tuple[Warehouse, str]:
        require_engine(engine)
        if engine not in cache:
            wh = Warehouse(engine, tmp_path_factory.mktemp(f"placements_{engine}"))
            try:
                wh.load(data_dir)
                # cautious: leave out tests that also read models not built here
                proc = wh.dbt("build", "--select", "+" + " +".join(MARTS),
                              "--indirect-selection", "cautious")
            except Exception:
                wh.drop()
                raise
            cache[engine] = (wh, proc.stdout)
        return cache[engine]

    yield get
    for wh, _ in cache.values():
        wh.drop()


@pytest.fixture(params=ENGINES)
def wh(request, crafted) -> Warehouse:
    return crafted(request.param)[0]


# ---- helpers -------------------------------------------------------------------------------


def _value(v):
    """A cell as plain Python: None for null/NaN, dates as date, numpy scalars unwrapped."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _rows(wh: Warehouse, name: str, where: str = "1 = 1") -> list[dict]:
    df = wh.query(f"select * from {wh.relation('marts', name)} where {where}")
    return [{k: _value(v) for k, v in r.items()} for r in df.to_dict("records")]


def _one(wh: Warehouse, name: str, where: str) -> dict:
    rows = _rows(wh, name, where)
    assert len(rows) == 1, (name, where, rows)
    return rows[0]


def _student(wh: Warehouse, key: str) -> dict:
    return _one(wh, "fct_student_placements", f"student_hash = '{student_hash(key)}'")


def _cohort(wh: Warehouse, college: str, program: str, year: int) -> dict:
    return _one(wh, "mart_placement_outcomes",
                f"college_code = '{college}' and program_code = '{program}' and passing_year = {year}")


def _group(wh: Warehouse, college: str, program: str, year: int, breakdown: str, value: str) -> dict:
    return _one(wh, "mart_placement_outcomes_by_student_group",
                f"college_code = '{college}' and program_code = '{program}' and passing_year = {year}"
                f" and breakdown = '{breakdown}' and breakdown_value = '{value}'")


def _close(a, b) -> bool:
    return a is not None and abs(float(a) - float(b)) <= TOL


FIGURES = ("final_year_student_count", "placed_student_count", "placement_rate_pct", "median_package_lpa",
           "mean_package_lpa", "max_package_lpa", "offers_counted", "offers_per_placed_student")


def _assert_figures(row: dict, expected: dict) -> None:
    assert bool(row["is_small_cell"]) is False
    for column, value in expected.items():
        assert _close(row[column], value), (column, row[column], value)


def _assert_suppressed(row: dict) -> None:
    assert bool(row["is_small_cell"]) is True
    for column in FIGURES:
        assert row[column] is None, (column, row[column])


# ---- final-year students and the offer window ----------------------------------------------


def test_passing_year_from_program_length_and_lateral_entry(wh):
    def passing(key):
        return _one(wh, "dim_student_passing_years", f"student_hash = '{student_hash(key)}'")

    a01, a12, d01, e01, f01 = (passing(k) for k in ("A01", "A12", "D01", "E01", "F01"))
    assert (a01["passing_year"], bool(a01["is_lateral_entry"])) == (2024, False)
    # admitted 2021 like D01, but a lateral entrant into the 2nd year: passes out in 2024
    assert (a12["passing_year"], bool(a12["is_lateral_entry"])) == (2024, True)
    assert (d01["passing_year"], bool(d01["is_lateral_entry"])) == (2025, False)
    # quota Lateral in an MBA is not lateral entry: 2021 + 2
    assert (e01["passing_year"], bool(e01["is_lateral_entry"])) == (2023, False)
    # program not in the seed: no passing year, and the build warns about it
    assert f01["passing_year"] is None and f01["program_duration_years"] is None
    assert (a01["offer_window_opens_date"], a01["offer_window_closes_date"]) == (
        date(2023, 7, 1), date(2024, 12, 31))
    assert (d01["offer_window_opens_date"], d01["offer_window_closes_date"]) == (
        date(2024, 7, 1), date(2025, 12, 31))


def test_unknown_program_length_warns(crafted):
    _wh, stdout = crafted("duckdb")
    assert "Warning in test not_null_dim_student_passing_years_passing_year" in stdout


def test_final_year_students_per_cohort(wh):
    cohorts = {(r["college_code"], r["program_code"], r["passing_year"]): r
               for r in _rows(wh, "mart_placement_outcomes")}
    assert set(cohorts) == {("AKTU001", "BTECH_CSE", 2024), ("AKTU002", "BTECH_EE", 2024),
                            ("AKTU002", "MBA", 2024), ("AKTU001", "BTECH_CSE", 2025),
                            ("AKTU001", "MBA", 2023)}  # F01 (no passing year) is in none
    assert cohorts[("AKTU001", "BTECH_CSE", 2024)]["final_year_student_count"] == 12
    assert cohorts[("AKTU002", "BTECH_EE", 2024)]["final_year_student_count"] == 10


def test_offer_window_by_passing_year(wh):
    def offer(key, company):
        return _one(wh, "fct_placement_offers",
                    f"student_hash = '{student_hash(key)}' and company_name = '{company}'")

    assert offer("A07", "Paytm")["exclusion_reason"] == "before_offer_window"
    assert offer("A08", "Zomato")["exclusion_reason"] == "after_offer_window"
    b05 = offer("B05", "Amazon")  # 31 December of the passing year still counts
    assert (b05["exclusion_reason"], bool(b05["is_in_offer_window"])) == (None, True)
    # 2024-03-01 counts for a 2024 passer (A05) but precedes the 2025 window (D01)
    assert bool(offer("A05", "Capgemini")["is_counted"]) is True
    d01 = offer("D01", "Infosys")
    assert (d01["exclusion_reason"], bool(d01["is_in_offer_window"]), bool(d01["is_counted"])) == (
        "before_offer_window", False, False)
    assert bool(_student(wh, "D01")["is_placed"]) is False
    a09 = offer("A09", "L&T")
    assert (a09["exclusion_reason"], a09["is_in_offer_window"]) == ("missing_offer_date", None)
    assert offer("F01", "Cipla")["exclusion_reason"] == "no_passing_year"


# ---- offers and students -------------------------------------------------------------------


def test_student_with_three_offers(wh):
    a01 = _student(wh, "A01")
    assert bool(a01["is_placed"]) is True
    assert a01["offer_count"] == 3
    assert a01["excluded_offer_count"] == 0
    assert _close(a01["best_package_lpa"], 6.5)
    assert (a01["best_offer_company_name"], a01["best_offer_job_role"], a01["best_offer_date"]) == (
        "Infosys", "Analyst", date(2023, 10, 1))


def test_duplicate_offers_counted_once(wh):
    a02 = _one(wh, "fct_placement_offers", f"student_hash = '{student_hash('A02')}'")
    assert a02["source_row_count"] == 2 and bool(a02["is_counted"]) is True
    # "Deloitte" and "deloitte" on the same day for the same role: one offer, the later load kept
    a03 = _one(wh, "fct_placement_offers", f"student_hash = '{student_hash('A03')}'")
    assert (a03["company_name"], a03["source_row_count"]) == ("deloitte", 2)
    assert a03["source_file"] == "placements_2024_supplement.csv"
    for key in ("A02", "A03"):
        assert _student(wh, key)["offer_count"] == 1


@pytest.mark.parametrize("key, company, reason", [
    ("A04", "HCLTech", "zero_package"),
    ("A05", "Cognizant", "negative_package"),
    ("A11", "Wipro", "package_below_minimum"),
    ("A06", "Amazon", "package_above_maximum"),
])
def test_bad_packages_flagged_and_not_counted(wh, key, company, reason):
    offer = _one(wh, "fct_placement_offers",
                 f"student_hash = '{student_hash(key)}' and company_name = '{company}'")
    assert (offer["package_issue"], offer["exclusion_reason"]) == (reason, reason)
    assert bool(offer["has_valid_package"]) is False and bool(offer["is_counted"]) is False
    # the package itself is kept as exported
    assert offer["package_lpa"] is not None


def test_bad_packages_stay_out_of_package_figures(wh):
    a05 = _student(wh, "A05")  # -4.5 flagged, 4.5 counted
    assert (bool(a05["is_placed"]), a05["offer_count"], a05["excluded_offer_count"]) == (True, 1, 1)
    assert _close(a05["best_package_lpa"], 4.5)
    for key in ("A04", "A06", "A11"):  # only a bad package: not placed, no best package
        s = _student(wh, key)
        assert (bool(s["is_placed"]), s["offer_count"], s["best_package_lpa"]) == (False, 0, None)
    cohort = _cohort(wh, "AKTU001", "BTECH_CSE", 2024)
    assert _close(cohort["max_package_lpa"], 8.0)  # not 450


def test_unknown_students_not_in_any_rate(wh):
    orphan_hash = hashlib.sha256(f"AKTU001-{ORPHAN[0]}-{ORPHAN[1]}".encode()).hexdigest()
    hashes = {r["student_hash"] for r in _rows(wh, "fct_placement_offers")}
    assert orphan_hash not in hashes
    assert hashes == {student_hash(k) for k, *_ in OFFERS}
    students = {r["student_hash"] for r in _rows(wh, "fct_student_placements")}
    assert orphan_hash not in students and len(students) == len(STUDENTS)
    orphan = _one(wh, "rpt_placement_offer_reconciliation", "outcome = 'unknown_student'")
    assert (orphan["offers"], orphan["source_rows"], orphan["student_count"]) == (1, 1, 1)


# ---- the marts -----------------------------------------------------------------------------


def test_even_count_median_and_cohort_figures(wh):
    # placed best packages 3.5 4.5 5.5 6.5 7.0 8.0: median (5.5 + 6.5) / 2
    _assert_figures(_cohort(wh, "AKTU001", "BTECH_CSE", 2024), {
        "final_year_student_count": 12, "placed_student_count": 6, "placement_rate_pct": 50.0,
        "median_package_lpa": 6.0, "mean_package_lpa": 35.0 / 6, "max_package_lpa": 8.0,
        "offers_counted": 8, "offers_per_placed_student": 8 / 6,
    })


def test_odd_count_median_and_cohort_figures(wh):
    # placed best packages 3.0 4.0 5.0 6.0 12.0 (B01's 2.0 offer is not its best)
    _assert_figures(_cohort(wh, "AKTU002", "BTECH_EE", 2024), {
        "final_year_student_count": 10, "placed_student_count": 5, "placement_rate_pct": 50.0,
        "median_package_lpa": 5.0, "mean_package_lpa": 6.0, "max_package_lpa": 12.0,
        "offers_counted": 6, "offers_per_placed_student": 1.2,
    })


def test_small_cohorts_suppressed(wh):
    for college, program, year in (("AKTU002", "MBA", 2024), ("AKTU001", "BTECH_CSE", 2025),
                                   ("AKTU001", "MBA", 2023)):
        row = _cohort(wh, college, program, year)
        _assert_suppressed(row)
        assert row["offer_window_opens_date"] is not None  # dates are not figures


def test_groups_shown_and_suppressed(wh):
    # exactly k = 10 GEN students in cohort A: shown; A01 A02 A03 A05 A10 placed
    _assert_figures(_group(wh, "AKTU001", "BTECH_CSE", 2024, "category", "GEN"), {
        "final_year_student_count": 10, "placed_student_count": 5, "placement_rate_pct": 50.0,
        "median_package_lpa": 5.5, "mean_package_lpa": 5.6, "max_package_lpa": 8.0,
        "offers_counted": 7, "offers_per_placed_student": 1.4,
    })
    _assert_figures(_group(wh, "AKTU002", "BTECH_EE", 2024, "gender", "F"), {
        "final_year_student_count": 10, "placed_student_count": 5, "median_package_lpa": 5.0,
    })
    for args in (("AKTU001", "BTECH_CSE", 2024, "category", "OBC"),
                 ("AKTU001", "BTECH_CSE", 2024, "gender", "M"),
                 ("AKTU001", "BTECH_CSE", 2024, "gender", "F"),
                 ("AKTU002", "BTECH_EE", 2024, "category", "SC"),
                 ("AKTU002", "MBA", 2024, "gender", "M")):
        _assert_suppressed(_group(wh, *args))
    groups = _rows(wh, "mart_placement_outcomes_by_student_group")
    assert len(groups) == 13  # A 2+2, B 1+2, C 1+1, D 1+1, E 1+1 (gender + category values)


def test_reconciliation_accounts_for_every_row(wh):
    rows = {r["outcome"]: r for r in _rows(wh, "rpt_placement_offer_reconciliation")}
    expected = {  # outcome: (offers, duplicate_rows, student_count)
        "counted": (15, 2, 12), "unknown_student": (1, 0, 1), "no_passing_year": (1, 0, 1),
        "missing_package": (0, 0, 0), "zero_package": (1, 0, 1), "negative_package": (1, 0, 1),
        "package_below_minimum": (1, 0, 1), "package_above_maximum": (1, 0, 1),
        "missing_offer_date": (1, 0, 1), "before_offer_window": (2, 0, 2),
        "after_offer_window": (1, 0, 1),
    }
    assert {k: (r["offers"], r["duplicate_rows"], r["student_count"]) for k, r in rows.items()} == expected
    staged = wh.query(f"select count(*) as n from {wh.relation('staging', 'stg_aktu__placements')}")
    total = int(staged["n"][0])
    assert total == len(OFFERS) + 1 + len(SUPPLEMENT) == 27
    assert sum(r["source_rows"] for r in rows.values()) == total
    assert _close(rows["counted"]["pct_of_source_rows"], 100 * 17 / 27)
    assert [bool(r["is_counted"]) for r in rows.values()].count(True) == 1


def test_no_roll_no_or_dob_in_placement_models(wh):
    for layer, name in [("intermediate", "int_placement_offers_deduplicated"),
                        *(("marts", m) for m in MARTS)]:
        columns = set(wh.query(f"select * from {wh.relation(layer, name)} limit 0").columns)
        assert not columns & {"roll_no", "dob"}, (layer, name)


def test_engines_agree_row_for_row(crafted):
    duck, _ = crafted("duckdb")
    maria, _ = crafted("mariadb")
    for name, key in MARTS.items():
        a = duck.table("marts", name).sort_values(key, na_position="first").reset_index(drop=True)
        b = maria.table("marts", name).sort_values(key, na_position="first").reset_index(drop=True)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
        for column in a.columns:
            x = [_value(v) for v in a[column]]
            y = [_value(v) for v in b[column]]
            if column.startswith(("is_", "has_")):
                x = [None if v is None else bool(v) for v in x]
                y = [None if v is None else bool(v) for v in y]
            if any(isinstance(v, float) for v in x + y):
                assert [v is None for v in x] == [v is None for v in y], (name, column)
                assert all(u is None or math.isclose(float(u), float(v), abs_tol=TOL)
                           for u, v in zip(x, y)), (name, column)
            else:
                assert x == y, (name, column)


def test_window_month_day_checked_at_compile_time(crafted):
    wh, _ = crafted("duckdb")
    proc = wh.dbt("compile", "--select", "dim_student_passing_years", "--vars",
                  "{aktu_placements_window_opens_month_day: '02-30'}", check=False)
    assert proc.returncode != 0
    assert "expected a month-day as 'MM-DD', got '02-30'" in proc.stdout
