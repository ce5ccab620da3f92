"""Every class of bad or awkward input a college export contains, on every engine: what is
stored, what is refused and why, and that rows read = loaded + rejected + duplicates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engines import file_rejects, last_audit, raw_rows

ENGINES = ("duckdb", "mariadb")
STUDENT_HEADER = ("roll_no,dob,gender,category,college_code,program_code,admission_year,"
                  "domicile_state,quota,disability_flag")
ATT_HEADER = "college_code,roll_no,dob,course_code,date,status"
PLACEMENT_HEADER = "college_code,roll_no,dob,company,role,package_lpa,offer_date"


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


_rows, _audit, _rejects = raw_rows, last_audit, file_rejects


def _reconciled(audit: dict) -> bool:
    return audit["rows_read"] == audit["rows_loaded"] + audit["rows_rejected"] + audit["rows_duplicate"]


def _date(value) -> str:
    return str(value)[:10]


@pytest.mark.parametrize("engine", ENGINES)
def test_bom_crlf_whitespace_header_case_and_day_first_dates(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    text = (" Roll_No , DOB ,Gender,category,COLLEGE_CODE,program_code,admission_year,"
            "domicile_state,quota,disability_flag\n"
            " R1 ,17-04-2002,  f ,OBC, AKTU003 ,BTECH_CSE, 2023 ,Bihar,GEN,True\n"
            "R2,05/11/2002,Male,GEN,AKTU001,MBA,2022, UP ,GEN,0\n"
            "R3,2004-01-18,O,SC,AKTU002,BTECH_EE,2021,,,\n")
    _write(tmp_path, "students_master.csv", "\ufeff" + text, newline="\r\n")
    wh.load(tmp_path)
    rows = _rows(wh, "students")
    assert list(rows["roll_no"]) == ["R1", "R2", "R3"]
    assert [_date(d) for d in rows["dob"]] == ["2002-04-17", "2002-11-05", "2004-01-18"]
    assert list(rows["gender"]) == ["F", "M", "O"]
    assert list(rows["college_code"]) == ["AKTU003", "AKTU001", "AKTU002"]
    assert [int(y) for y in rows["admission_year"]] == [2023, 2022, 2021]
    assert [None if pd.isna(v) else v for v in rows["domicile_state"]] == ["Bihar", "UP", None]
    assert [None if pd.isna(v) else bool(v) for v in rows["disability_flag"]] == [True, False, None]
    assert list(rows["_source_line"]) == [2, 3, 4]
    audit = _audit(wh, "students_master.csv")
    assert audit["status"] == "loaded" and audit["rows_loaded"] == 3 and _reconciled(audit)


@pytest.mark.parametrize("engine", ENGINES)
def test_attendance_codes_booleans_and_unknown_codes_rejected(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    body = "\n".join(f"AKTU001,R1,2003-01-01,CSE401,2024-02-{day:02d},{status}"
                     for day, status in enumerate(["P", "a", "Present", "ABSENT", "present",
                                                   "L", "", "OD"], start=1))
    _write(tmp_path, "attendance_2024_02.csv", f"{ATT_HEADER}\n{body}\n")
    wh.load(tmp_path)
    rows = _rows(wh, "attendance")
    assert list(rows["status"]) == ["P", "A", "P", "A", "P"]
    rejects = _rejects(wh, "attendance_2024_02.csv")
    assert list(rejects["line_number"]) == [7, 8, 9]
    assert set(rejects["column_name"]) == {"status"}
    assert "expected an attendance status: P, A, Present or Absent" in rejects["reason"].iloc[0]
    assert rejects["raw_line"].iloc[0] == "AKTU001,R1,2003-01-01,CSE401,2024-02-06,L"
    audit = _audit(wh, "attendance_2024_02.csv")
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_rejected"]) == (8, 5, 3)
    assert _reconciled(audit)


@pytest.mark.parametrize("engine", ENGINES)
def test_quotes_commas_newlines_backslashes_null_words_and_sql_stored_verbatim(
        engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    awkward = {
        "comma": ('"Tata Consultancy Services, Ltd"', "Tata Consultancy Services, Ltd"),
        "quote": ('"The ""Best"" Co"', 'The "Best" Co'),
        "newline": ('"Line one\nLine two"', "Line one\nLine two"),
        "backslash": (r"C:\temp\new", r"C:\temp\new"),
        "null word": ("NULL", "NULL"),
        "backslash N": (r"\N", r"\N"),
        "quoted null": ('"NULL"', "NULL"),
        "sql": ("'); DROP TABLE students; --", "'); DROP TABLE students; --"),
        "unicode": ("Zoho — चेन्नई", "Zoho — चेन्नई"),
    }
    lines = [PLACEMENT_HEADER]
    for i, (raw, _) in enumerate(awkward.values()):
        lines.append(f"AKTU001,R{i},2003-01-01,{raw},Role {i},4.5,NULL")
    _write(tmp_path, "placements_2024.csv", "\n".join(lines) + "\n")
    wh.load(tmp_path)
    rows = _rows(wh, "placements")
    assert list(rows["company"]) == [stored for _, stored in awkward.values()]
    assert rows["offer_date"].isna().all(), "the word NULL in a date column means no date"
    # the record after the quoted line break starts on the right physical line
    assert list(rows["_source_line"]) == [2, 3, 4, 6, 7, 8, 9, 10, 11]
    audit = _audit(wh, "placements_2024.csv")
    assert audit["rows_loaded"] == len(awkward) and _reconciled(audit)
    # the raw tables are still there and whole
    assert len(_rows(wh, "students")) == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_rows_rejected_with_line_column_reason_and_raw_text(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    text = (f"{ATT_HEADER}\n"
            "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"
            "AKTU001,R1,2003-01-01,CSE401,2024-02-30,P\n"      # no such date
            "AKTU001,R1,2003-01-01,CSE401,02/13/2024,P\n"      # month-first: refused
            "AKTU001,R1,2003-01-01,CSE401,2024-02-02\n"        # a field short
            "AKTU001,R1,2003-01-01,CSE401,2024-02-03,P,extra\n"  # a field too many
            ",R1,2003-01-01,CSE401,2024-02-04,P\n"             # required value missing
            "AKTU001,R1,2003-01-01,CSE401,Feb 6 2024,A\n"     # not a date format at all
            "AKTU001,R1,2003-01-01,CSE401,2024-02-05,A\n")
    _write(tmp_path, "attendance_bad.csv", text)
    wh.load(tmp_path)
    assert [_date(d) for d in _rows(wh, "attendance")["date"]] == ["2024-02-01", "2024-02-05"]
    rejects = _rejects(wh, "attendance_bad.csv")
    got = list(zip(rejects["line_number"], rejects["column_name"].where(rejects["column_name"].notna(), None)))
    assert got == [(3, "date"), (4, "date"), (5, None), (6, None), (7, "college_code"), (8, "date")]
    reasons = list(rejects["reason"])
    assert "expected a real calendar date" in reasons[0]
    assert "expected a day-first date (DD-MM-YYYY); there is no month 13" in reasons[1]
    assert reasons[2] == "expected 6 fields as in the header, found 5"
    assert reasons[3] == "expected 6 fields as in the header, found 7"
    assert "a value is required" in reasons[4]
    assert "expected a date as YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY" in reasons[5]
    assert rejects["raw_line"].iloc[2] == "AKTU001,R1,2003-01-01,CSE401,2024-02-02"
    audit = _audit(wh, "attendance_bad.csv")
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_rejected"]) == (8, 2, 6)


@pytest.mark.parametrize("engine", ENGINES)
def test_exact_duplicates_collapse_and_conflicts_are_refused_with_both_lines(
        engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    text = (f"{ATT_HEADER}\n"
            "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"   # 2
            "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"   # 3 exact duplicate of 2
            "AKTU001,R1,2003-01-01,CSE401,01-02-2024,p\n"   # 4 the same after normalising
            "AKTU001,R1,2003-01-01,CSE401,2024-02-02,P\n"   # 5 conflicts with 6
            "AKTU001,R1,2003-01-01,CSE401,2024-02-02,A\n"   # 6
            "AKTU001,R1,2003-01-01,CSE401,2024-02-03,A\n")  # 7
    _write(tmp_path, "attendance_dups.csv", text)
    wh.load(tmp_path)
    rows = _rows(wh, "attendance")
    assert list(rows["_source_line"]) == [2, 7]
    rejects = _rejects(wh, "attendance_dups.csv")
    assert list(rejects["line_number"]) == [5, 6]
    assert "line(s) 6" in rejects["reason"].iloc[0] and "line(s) 5" in rejects["reason"].iloc[1]
    assert rejects["raw_line"].iloc[1] == "AKTU001,R1,2003-01-01,CSE401,2024-02-02,A"
    audit = _audit(wh, "attendance_dups.csv")
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_rejected"],
            audit["rows_duplicate"]) == (6, 2, 2, 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_windows_1252_export_is_read_without_mojibake(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    text = f"{PLACEMENT_HEADER}\nAKTU001,R1,2003-01-01,Café Coffee Day,Analyst – “Data”,3.6,2024-01-15\n"
    _write(tmp_path, "placements_cp1252.csv", text, encoding="cp1252")
    proc = wh.load(tmp_path)
    assert "not UTF-8; read as cp1252" in proc.stderr
    rows = _rows(wh, "placements")
    assert (rows["company"].iloc[0], rows["role"].iloc[0]) == ("Café Coffee Day", "Analyst – “Data”")
    assert _audit(wh, "placements_cp1252.csv")["encoding"] == "cp1252"


@pytest.mark.parametrize("engine", ENGINES)
def test_undecodable_file_is_refused_and_the_others_load(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    # 0x81 is invalid UTF-8 here and undefined in Windows-1252
    (tmp_path / "placements_bad.csv").write_bytes(
        f"{PLACEMENT_HEADER}\nAKTU001,R1,2003-01-01,X\x81Y,Analyst,3.6,2024-01-15\n".encode("latin-1"))
    _write(tmp_path, "placements_good.csv",
           f"{PLACEMENT_HEADER}\nAKTU001,R1,2003-01-01,Infosys,Analyst,3.6,2024-01-15\n")
    proc = wh.load(tmp_path, check=False)
    assert proc.returncode == 1
    assert "placements_bad.csv: not UTF-8 and not Windows-1252 text" in proc.stderr
    assert list(_rows(wh, "placements")["company"]) == ["Infosys"]
    assert _audit(wh, "placements_bad.csv")["status"] == "refused"


def test_fast_bare_row_check_agrees_with_needs_quotes():
    """The parser's per-row shortcut (stage._bare) writes a row unquoted exactly when no value
    of it needs quotes by the interchange format's rule (staging_file.needs_quotes), for
    normalised values (never empty, no spaces at either end)."""
    import itertools
    import random

    from loader.stage import _bare
    from loader.staging_file import needs_quotes

    pieces = ["a", "7", ",", '"', "\n", "\r", "\\", "N", "NULL", "x y", "\\N"]
    rng = random.Random(1)
    for _ in range(50_000):
        values = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))).strip() or "v"
                  for _ in range(4)]
        expected = not any(needs_quotes(v) for v in values)
        assert _bare(",".join(values), values, 3) == expected, values
    for values in itertools.product(["NULL", "2024-01-31", 'a"b', "a,b"], repeat=2):
        assert _bare(",".join(values), list(values), 1) == (
            not any(needs_quotes(v) for v in values)), values
