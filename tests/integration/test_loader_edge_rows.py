"""Hostile rows never stop a run: a huge field, an out-of-range number, a stray quote, an invalid
byte, a UTF-16 export. Each row is loaded or rejected with file, line, column and reason; a reject
keeps a bounded prefix of its raw text with the record's length and SHA-256; no message quotes
more than a short excerpt of the data; rejects are spooled, not held in memory."""

from __future__ import annotations

import hashlib
import re
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from engines import execute_sql, file_rejects, last_audit, raw_rows

ENGINES = ("duckdb", "mariadb")
STUDENT_HEADER = ("roll_no,dob,gender,category,college_code,program_code,admission_year,"
                  "domicile_state,quota,disability_flag")
ATT_HEADER = "college_code,roll_no,dob,course_code,date,status"
EXAM_HEADER = "college_code,roll_no,dob,course_code,internal,external,total"
PLACEMENT_HEADER = "college_code,roll_no,dob,company,role,package_lpa,offer_date"
RAW_PREFIX_CHARS = 1000  # loader/reader.RAW_PREFIX_CHARS, as a user reads it in the docs
EXCERPT = 60  # the most of a value a message may quote (loader/values.EXCERPT_CHARS)


def _write_bytes(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


_rows, _audit, _rejects = raw_rows, last_audit, file_rejects


def _counts(audit: dict) -> tuple[int, int, int, int]:
    return (int(audit["rows_read"]), int(audit["rows_loaded"]), int(audit["rows_rejected"]),
            int(audit["rows_duplicate"]))


def _att_line(i: int, status: str = "P") -> str:
    return f"AKTU001,AKTU001-CSE-2023-{100 + i},2003-01-{1 + i % 28:02d},CSE401,2024-02-{1 + i % 28:02d},{status}"


def _no_data_beyond_excerpt(text: str, secrets: list[str]) -> None:
    """At most one roll number or date of birth of the data in `text` (the most a short excerpt
    of one value can hold), and no dump of rows."""
    found = [secret for secret in secrets if secret in text]
    assert len(found) <= 1, f"{len(found)} values of the data printed, e.g. {found[:3]}"
    assert len(text) < 20_000, f"{len(text):,} characters of output"


# --------------------------------------------------------------------------- 1. huge fields
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("size", [70_000, 1_100_000, 5_000_000])
def test_a_huge_field_is_a_bounded_reject_and_the_rest_loads(engine, size, make_warehouse,
                                                              tmp_path):
    wh = make_warehouse(engine)
    huge = "X" * size
    bad = f"AKTU001,AKTU001-CSE-2023-999,2003-01-01,{huge},2024-02-01,P"
    lines = [ATT_HEADER, _att_line(1), bad, _att_line(2), _att_line(3)]
    _write_bytes(tmp_path / "data", "attendance_huge.csv", ("\n".join(lines) + "\n").encode())
    proc = wh.load(tmp_path / "data")
    assert list(_rows(wh, "attendance")["_source_line"]) == [2, 4, 5]
    rejects = _rejects(wh, "attendance_huge.csv")
    assert list(rejects["line_number"]) == [3]
    reject = rejects.iloc[0]
    assert reject["column_name"] == "course_code"
    assert f"expected at most 32 characters, found {size}" in reject["reason"]
    assert len(reject["reason"]) < 300
    assert reject["raw_line"] == bad[:RAW_PREFIX_CHARS]
    assert int(reject["raw_length"]) == len(bad.encode())
    assert reject["raw_sha256"] == hashlib.sha256(bad.encode()).hexdigest()
    assert _counts(_audit(wh, "attendance_huge.csv")) == (4, 3, 1, 0)
    assert "X" * 100 not in proc.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_a_huge_quoted_field_over_the_csv_limit_is_one_reject(engine, make_warehouse, tmp_path):
    """A field longer than the CSV parser takes (16 MiB) rejects its record, not the file."""
    wh = make_warehouse(engine)
    bad = f'AKTU001,"{"Y" * (17 * 1024 * 1024)}",2003-01-01,CSE401,2024-02-01,P'
    lines = [ATT_HEADER, _att_line(1), bad, _att_line(2)]
    _write_bytes(tmp_path / "data", "attendance_huge.csv", ("\n".join(lines) + "\n").encode())
    wh.load(tmp_path / "data")
    assert list(_rows(wh, "attendance")["_source_line"]) == [2, 4]
    rejects = _rejects(wh, "attendance_huge.csv")
    assert list(rejects["line_number"]) == [3]
    assert "unreadable CSV record" in rejects["reason"].iloc[0]
    assert len(rejects["raw_line"].iloc[0]) == RAW_PREFIX_CHARS
    assert int(rejects["raw_length"].iloc[0]) == len(bad)


@pytest.mark.parametrize("engine", ENGINES)
def test_rejects_table_of_an_older_loader_gets_the_new_columns(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    data = tmp_path / "data"
    _write_bytes(data, "attendance_a.csv",
                 f"{ATT_HEADER}\n{_att_line(1)}\n{_att_line(2, 'L')}\n".encode())
    wh.load(data)
    # what an older loader left: _load_rejects without raw_length / raw_sha256
    rejects = wh.relation("raw", "_load_rejects")
    execute_sql(wh, f"alter table {rejects} drop column raw_length")
    execute_sql(wh, f"alter table {rejects} drop column raw_sha256")
    _write_bytes(data, "attendance_b.csv",
                 f"{ATT_HEADER}\n{_att_line(3)}\n{_att_line(4, 'OD')}\n".encode())
    proc = wh.load(data)
    assert "adding the column raw_length" in proc.stderr
    old, new = _rejects(wh, "attendance_a.csv"), _rejects(wh, "attendance_b.csv")
    assert old["raw_length"].isna().all() and old["raw_line"].iloc[0] == _att_line(2, "L")
    assert int(new["raw_length"].iloc[0]) == len(_att_line(4, "OD"))
    assert new["raw_sha256"].iloc[0] == hashlib.sha256(_att_line(4, "OD").encode()).hexdigest()


@pytest.mark.spark
def test_spark_rejects_table_of_an_older_loader_gets_the_new_columns(make_warehouse, tmp_path):
    """Spark: a Parquet _load_rejects without raw_length / raw_sha256 gets them added."""
    wh = make_warehouse("spark")
    rejects = wh.relation("raw", "_load_rejects")
    wh.spark().sql(f"create schema if not exists `{wh.schema}_raw`")
    wh.spark().sql(f"create table {rejects} (load_id string, line_number bigint, "
                   "column_name string, reason string, raw_line string, source_file string) "
                   "using parquet partitioned by (source_file)")
    _write_bytes(tmp_path / "data", "attendance_b.csv",
                 f"{ATT_HEADER}\n{_att_line(3)}\n{_att_line(4, 'OD')}\n".encode())
    wh.load(tmp_path / "data")
    new = wh.query(f"select line_number, column_name, raw_line, raw_length, raw_sha256 "
                   f"from {rejects}")
    line = _att_line(4, "OD")
    assert list(new.itertuples(index=False, name=None)) == [
        (3, "status", line, len(line), hashlib.sha256(line.encode()).hexdigest())]


# --------------------------------------------------------------------------- 2. numbers
@pytest.mark.parametrize("engine", ENGINES)
def test_out_of_range_numbers_are_rejects(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    data = tmp_path / "data"
    students = [STUDENT_HEADER,
                "R1,2003-01-01,M,GEN,AKTU001,BTECH_CSE,2023,UP,GEN,0",
                "R2,2003-01-01,M,GEN,AKTU001,BTECH_CSE,99999999999,UP,GEN,0",   # line 3
                "R3,2003-01-01,M,GEN,AKTU001,BTECH_CSE,-2147483649,UP,GEN,0",   # line 4
                "R4,2003-01-01,M,GEN,AKTU001,BTECH_CSE," + "9" * 5000 + ",UP,GEN,0",  # line 5
                "R5,2003-01-01,F,GEN,AKTU001,BTECH_CSE,2022,UP,GEN,1"]
    _write_bytes(data, "students_master.csv", ("\n".join(students) + "\n").encode())
    exams = [EXAM_HEADER,
             "AKTU001,R1,2003-01-01,CSE401,20,50,70",
             "AKTU001,R1,2003-01-01,CSE402,20,50,1e308",     # line 3
             "AKTU001,R1,2003-01-01,CSE403,nan,50,70",       # line 4
             "AKTU001,R1,2003-01-01,CSE404,20,inf,70",       # line 5
             "AKTU001,R1,2003-01-01,CSE405,-1,50,49",        # line 6
             "AKTU001,R1,2003-01-01,CSE406,20,1e5,70",       # line 7
             "AKTU001,R1,2003-01-01,CSE407,20.5,49.5,70"]
    _write_bytes(data, "exam_results_2024.csv", ("\n".join(exams) + "\n").encode())
    placements = [PLACEMENT_HEADER,
                  "AKTU001,R1,2003-01-01,Infosys,Analyst,3.6,2024-01-15",
                  "AKTU001,R1,2003-01-01,Wipro,Analyst,1e308,2024-01-15",   # line 3
                  "AKTU001,R1,2003-01-01,TCS,Analyst,-Infinity,2024-01-15"]  # line 4
    _write_bytes(data, "placements_2024.csv", ("\n".join(placements) + "\n").encode())
    wh.load(data)
    assert list(_rows(wh, "students")["roll_no"]) == ["R1", "R5"]
    got = _rejects(wh, "students_master.csv")
    assert list(zip(got["line_number"], got["column_name"])) == [
        (3, "admission_year"), (4, "admission_year"), (5, "admission_year")]
    assert "expected a number from 1950 to 2100, found 99999999999" in got["reason"].iloc[0]
    assert all(len(r) < 200 for r in got["reason"])
    exam_rows = _rows(wh, "exam_results")
    assert list(exam_rows["course_code"]) == ["CSE401", "CSE407"]
    assert [float(v) for v in exam_rows["total"]] == [70.0, 70.0]
    got = _rejects(wh, "exam_results_2024.csv")
    assert list(zip(got["line_number"], got["column_name"])) == [
        (3, "total"), (4, "internal"), (5, "external"), (6, "internal"), (7, "external")]
    assert "expected a number from 0 to 1000, found 1e308" in got["reason"].iloc[0]
    assert list(_rows(wh, "placements")["company"]) == ["Infosys"]
    got = _rejects(wh, "placements_2024.csv")
    assert list(zip(got["line_number"], got["column_name"])) == [(3, "package_lpa"),
                                                                 (4, "package_lpa")]
    for name, counts in (("students_master.csv", (5, 2, 3, 0)),
                         ("exam_results_2024.csv", (7, 2, 5, 0)),
                         ("placements_2024.csv", (3, 1, 2, 0))):
        audit = _audit(wh, name)
        assert audit["status"] == "loaded" and _counts(audit) == counts, name


# --------------------------------------------------------------------------- 3 and 5. every line
@pytest.mark.parametrize("engine", ENGINES)
def test_a_stray_quote_rejects_its_line_only_and_the_next_lines_load(engine, make_warehouse,
                                                                     tmp_path):
    wh = make_warehouse(engine)
    good_after = [_att_line(i) for i in range(10, 25)]  # 15 good lines
    lines = [ATT_HEADER, _att_line(1),
             'AKTU003,"AKTU003-CSE-2023-301,2003-01-01,CSE401,2024-02-01,P',  # line 3
             *good_after,                                                     # lines 4-18
             'AKTU001,"AKTU001-CSE-2023-500\nsecond line",2003-01-01,CSE401,2024-02-01,P',  # 19-20
             _att_line(2),                                                    # line 21
             'AKTU001,AKTU001-CSE-2023-600,2003-01-01,CSE401,2024-02-02,"P']  # 22: at the end
    _write_bytes(tmp_path / "data", "attendance_quote.csv", ("\n".join(lines) + "\n").encode())
    wh.load(tmp_path / "data")
    rows = _rows(wh, "attendance")
    assert list(rows["_source_line"]) == [2, *range(4, 19), 19, 21]
    assert rows["roll_no"].iloc[-2] == "AKTU001-CSE-2023-500\nsecond line"
    rejects = _rejects(wh, "attendance_quote.csv")
    assert list(rejects["line_number"]) == [3, 22]
    assert rejects["reason"].iloc[0].startswith("unterminated quoted field")
    assert rejects["raw_line"].iloc[0] == lines[2]
    audit = _audit(wh, "attendance_quote.csv")
    # 21 physical data lines: 19 one-line records (17 loaded, 2 rejected) + 1 two-line record
    assert _counts(audit) == (20, 18, 2, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_line_whatever_it_holds_is_loaded_or_rejected(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    hostile = [
        b"AKTU001,R\x00NUL,2003-01-01,CSE401,2024-02-01,P",      # a NUL byte
        b"AKTU001,R1,2003-01-01,CSE401,2024-02-02,P\rAKTU001",   # a lone carriage return
        b"AKTU001,R1,2003-01-01,CSE401,2024-02-03,\x07",         # a control character
        b'AKTU001,R1,2003-01-01,CSE401,2024-02-04,"P"x',         # text after a closing quote
        b'"',                                                     # a lone quote
        b",,,,,",                                                 # empty cells
        b"   ",                                                   # spaces only
        b"AKTU001,R1,2003-01-01,CSE401,2024-02-05,P," + b"," * 3000,  # thousands of fields
        b"AKTU001,R\xff\xfe,2003-01-01,CSE401,2024-02-06,P",     # invalid UTF-8
        b"\xef\xbb\xbfAKTU001,R1,2003-01-01,CSE401,2024-02-07,P",  # a BOM mid-file
        "AKTU001,R-é-ü-क,2003-01-01,CSE401,2024-02-08,P".encode(),
    ]
    data_lines = [_att_line(i).encode() for i in range(40)]
    for i, line in enumerate(hostile):
        data_lines.insert(3 * i + 1, line)
    body = b"\n".join([ATT_HEADER.encode(), *data_lines]) + b"\n"
    _write_bytes(tmp_path / "data", "attendance_hostile.csv", body)
    # lines ending in CR alone (Excel's old "CSV (Macintosh)"), a quoted line break among them
    mac = [ATT_HEADER, _att_line(100), _att_line(101).replace("AKTU001-CSE", '"AKTU001\rCSE', 1)
           .replace(",2003", '",2003', 1), _att_line(102)]
    _write_bytes(tmp_path / "data", "attendance_mac.csv", "\r".join(mac).encode())
    wh.load(tmp_path / "data")
    mac_rows = wh.query(f"select roll_no, _source_line from {wh.relation('raw', 'attendance')} "
                        "where _source_file = 'attendance_mac.csv' order by _source_line")
    assert list(mac_rows["_source_line"]) == [2, 3, 5]
    assert mac_rows["roll_no"].iloc[1] == "AKTU001\rCSE-2023-201"
    assert _counts(_audit(wh, "attendance_mac.csv")) == (3, 3, 0, 0)
    rows = _rows(wh, "attendance")
    loaded = set(rows[rows["_source_file"] == "attendance_hostile.csv"]["_source_line"])
    rejects = _rejects(wh, "attendance_hostile.csv")
    rejected = set(rejects["line_number"])
    assert not loaded & rejected
    assert loaded | rejected == set(range(2, len(data_lines) + 2)), "every physical line"
    assert rejects["reason"].str.len().min() > 10
    audit = _audit(wh, "attendance_hostile.csv")
    read, n_loaded, n_rejected, duplicates = _counts(audit)
    assert (n_loaded, n_rejected) == (len(loaded), len(rejected))
    assert read == n_loaded + n_rejected + duplicates == len(data_lines)


# --------------------------------------------------------------------------- 4. no data printed
@pytest.mark.parametrize("engine", ENGINES)
def test_messages_quote_no_more_than_an_excerpt_of_the_data(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    lines = [ATT_HEADER] + [_att_line(i) for i in range(3000)]
    lines[1500] = "AKTU001,AKTU001-CSE-2023-9999," + "2003-01-01" * 120_000 + ",CSE401,2024-02-01,P"
    lines[1600] = _att_line(1600, "Leave of absence for AKTU001-CSE-2023-1700 on 2003-01-05")
    _write_bytes(tmp_path / "data", "attendance_private.csv", ("\n".join(lines) + "\n").encode())
    proc = wh.load(tmp_path / "data", check=False)
    secrets = [f"AKTU001-CSE-2023-{100 + i}" for i in range(3000)] + ["AKTU001-CSE-2023-9999"]
    _no_data_beyond_excerpt(proc.stdout + proc.stderr, secrets)
    assert proc.returncode == 0
    rejects = _rejects(wh, "attendance_private.csv")
    assert list(rejects["line_number"]) == [1501, 1601]
    assert all(len(r) < 300 for r in rejects["reason"])


def test_a_parse_failure_is_reported_without_the_rows():
    """A driver's error that quotes whole rows reaches the user as a short excerpt."""
    from loader.parse_process import failure_text

    rows = "\n".join(_att_line(i) for i in range(2000))
    try:
        raise RuntimeError(f"Invalid Input Error: CSV error on line 7\nOriginal Line: {rows}")
    except RuntimeError as exc:
        text = failure_text(exc)
    assert "RuntimeError" in text and "CSV error on line 7" in text
    _no_data_beyond_excerpt(text, [f"AKTU001-CSE-2023-{100 + i}" for i in range(2000)])


# --------------------------------------------------------------------------- 6. flat memory
def test_rejects_are_spooled_not_held_in_memory(tmp_path):
    """20,000 refused rows of 1 KB each cost the parser no memory: they go to a file as found."""
    from loader.reader import Record
    from loader.stage import Rejects

    rejects = Rejects("load", "attendance_x.csv", tmp_path / "spool.csv")
    row = _att_line(1, "L" * 1000).encode()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for line in range(2, 20_002):
            rejects.add(Record(line, line, [], data=row), "status", "expected a status")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000, f"{grown:,} bytes held for 20,000 rejects"
    rejects.close()
    spooled = (tmp_path / "spool.csv").read_text(encoding="utf-8").splitlines()
    assert len(spooled) == 20_000 and spooled[0].startswith(
        "load,attendance_x.csv,2,status,expected a status,\"AKTU001,")


# --------------------------------------------------------------------------- 7. encodings
@pytest.mark.parametrize("engine", ENGINES)
def test_utf8_with_one_invalid_byte_rejects_that_line_and_keeps_the_others_verbatim(
        engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    body = (f"{ATT_HEADER}\n".encode()
            + "AKTU001,ROLL-é-ü-क,2003-01-01,CSE401,2024-02-01,P\n".encode()
            + b"AKTU001,ROLL-\xe9-X,2003-01-01,CSE401,2024-02-02,P\n"    # cp1252 é: invalid
            + "AKTU001,ROLL-ñ,2003-01-01,CSE401,2024-02-03,A\n".encode())
    _write_bytes(tmp_path / "data", "attendance_mixed.csv", body)
    proc = wh.load(tmp_path / "data")
    assert "read as cp1252" not in proc.stderr
    rows = _rows(wh, "attendance")
    assert list(rows["roll_no"]) == ["ROLL-é-ü-क", "ROLL-ñ"]
    rejects = _rejects(wh, "attendance_mixed.csv")
    assert list(rejects["line_number"]) == [3]
    assert rejects["column_name"].iloc[0] == "roll_no"
    assert "invalid UTF-8 byte 0xE9 at byte 14 of line 3" in rejects["reason"].iloc[0]
    assert rejects["raw_line"].iloc[0] == "AKTU001,ROLL-\\xe9-X,2003-01-01,CSE401,2024-02-02,P"
    audit = _audit(wh, "attendance_mixed.csv")
    assert audit["encoding"] == "utf-8-sig" and _counts(audit) == (3, 2, 1, 0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])  # with a BOM, and without
def test_utf16_export_is_refused_with_advice(engine, codec, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    text = f"{PLACEMENT_HEADER}\nAKTU001,R1,2003-01-01,Infosys,Analyst,3.6,2024-01-15\n"
    _write_bytes(tmp_path / "data", "placements_utf16.csv", text.encode(codec))
    _write_bytes(tmp_path / "data", "placements_good.csv", text.encode())
    proc = wh.load(tmp_path / "data", check=False)
    assert proc.returncode == 1
    assert "placements_utf16.csv: the file is UTF-16" in proc.stderr
    assert "CSV UTF-8" in proc.stderr
    assert _audit(wh, "placements_utf16.csv")["status"] == "refused"
    assert list(_rows(wh, "placements")["_source_file"]) == ["placements_good.csv"]


# --------------------------------------------------------------------------- the fast path agrees
@pytest.mark.parametrize("awkward", [
    b"AKTU001,R\xe9,2003-04-17,CSE401,2024-02-01,P",                    # an invalid byte
    b'AKTU001,"R9,2003-04-17,CSE401,2024-02-01,P',                      # a stray quote
    b"AKTU001,R9,2003-04-17,CSE401,2024-02-01," + b"P" * 3_000_000,     # past DuckDB's line limit
    b"AKTU001,R9,2003-04-17,CSE" + b"9" * 40 + b",2024-02-01,P",        # longer than the column
])
def test_fast_path_stages_hostile_lines_as_the_per_row_path_does(awkward, tmp_path):
    """Far into a clean file (past the fast path's first blocks), a hostile line stages the same
    bytes and the same rejects both ways."""
    from test_loader_fast_path import AWKWARD_AT, HEADER, ROWS, _assert_same_both_ways, _clean_line

    lines = [_clean_line(i).encode() for i in range(ROWS)]
    lines[AWKWARD_AT] = awkward
    path = tmp_path / "attendance_2024_sem.csv"
    path.write_bytes(b"\n".join([HEADER.encode(), *lines]) + b"\n")
    staged, read, refused, refusals = _assert_same_both_ways(path, tmp_path)
    assert (read, refused) == (ROWS, 1)
    assert [line for line, _, _ in refusals] == [AWKWARD_AT + 2]
    assert staged.count(b"\n") == ROWS - 1
