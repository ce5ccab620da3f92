"""The DuckDB-native landing path (loader/native.py) lands what the per-row path lands: the same
raw rows, the same rejects (line, column, reason, raw text, length, SHA-256) and the same audit
counts, for every awkward line the fast-path, edge-row and contract tests use. Each folder is
loaded twice, native path on and off (AKTU_LOADER_NATIVE=0), and the warehouses compared row
for row; files the native path cannot take must fall back whole, never losing or doubling a row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from engines import PROJECT_DIR
from loader.contracts import kind_for
from loader.duplicates import duplicates_in
from loader.native import NativeFile, data_lines
from loader.sample import generate
from loader.warehouse import duckdb_execute
from test_loader_edge_rows import ATT_HEADER, EXAM_HEADER, PLACEMENT_HEADER, STUDENT_HEADER
from test_loader_fast_path import CASES, _clean_line

ROWS = 3_000
AWKWARD_AT = 2_500


def _attendance(awkward: str | None, bom: bool = False, last_newline: bool = True,
                ending: str = "\n") -> bytes:
    lines = [_clean_line(i) for i in range(ROWS)]
    if awkward is not None:
        lines[AWKWARD_AT] = awkward
    text = ("\ufeff" if bom else "") + ATT_HEADER + ending + ending.join(lines)
    return (text + (ending if last_newline else "")).encode("utf-8")


def _invalid_utf8() -> bytes:
    """An attendance file whose one line holds a byte UTF-8 cannot decode."""
    return _attendance("AKTU001,R\xff,2003-01-01,CSE401,2024-02-01,P").replace(
        "\xff".encode(), b"\xff")


def _raw_repeats(header: str, extra: str = "") -> str:
    """Repeated keys whose key columns need no normalising: lines 3 and 7 repeat 2 and 6
    exactly (7 once its status is normalised), 4 and 5 conflict."""
    return (f"{header}\n"
            "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"        # 2
            "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"        # 3 repeats 2
            "AKTU001,R1,2003-01-01,CSE401,2024-02-02,P\n"        # 4 conflicts with 5
            "AKTU001,R1,2003-01-01,CSE401,2024-02-02,a\n"        # 5
            "AKTU001,R1,2003-01-01,CSE401,2024-02-03,present\n"  # 6
            "AKTU001,R1,2003-01-01,CSE401,2024-02-03,P\n"        # 7 repeats 6
            + extra)


# Files every native/per-row comparison loads: each fast-path case as its own attendance file,
# and the contracts' awkward students, exams and placements.
def _folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i, awkward in enumerate(CASES.values()):
        (data / f"attendance_case{i:02d}.csv").write_bytes(_attendance(awkward))
    (data / "attendance_bom.csv").write_bytes(_attendance(None, bom=True))
    (data / "attendance_no_last_newline.csv").write_bytes(_attendance(None, last_newline=False))
    (data / "attendance_header_only.csv").write_bytes((ATT_HEADER + "\n").encode())
    # Windows exports: CRLF throughout, with values to normalise and to refuse.
    for i, case in enumerate(("day-first date", "unknown status (refused)", "status spelled out")):
        (data / f"attendance_crlf{i}.csv").write_bytes(
            _attendance(CASES[case], bom=i == 1, last_newline=i != 2, ending="\r\n"))
    (data / "attendance_invalid_utf8.csv").write_bytes(_invalid_utf8())
    (data / "attendance_dups.csv").write_bytes(
        f"{ATT_HEADER}\n"
        "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"   # 2
        "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"   # 3 exact duplicate of 2
        "AKTU001,R1,2003-01-01,CSE401,01-02-2024,p\n"   # 4 the same after normalising
        "AKTU001,R1,2003-01-01,CSE401,2024-02-02,P\n"   # 5 conflicts with 6
        "AKTU001,R1,2003-01-01,CSE401,2024-02-02,A\n"   # 6
        "AKTU001,R1,2003-01-01,CSE401,2024-02-03,L\n"   # 7 refused
        "AKTU001,R1,2003-01-01,CSE401,2024-02-03,A\n".encode())  # 8
    # Repeats in the raw text itself: the native path finds them from the hashes it staged.
    (data / "attendance_raw_dups.csv").write_bytes(_raw_repeats(ATT_HEADER).encode())
    (data / "attendance_bad.csv").write_bytes(
        f"{ATT_HEADER}\n"
        "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n"
        "AKTU001,R1,2003-01-01,CSE401,2024-02-30,P\n"      # no such date
        "AKTU001,R1,2003-01-01,CSE401,02/13/2024,P\n"      # month-first: refused
        ",R1,2003-01-01,CSE401,2024-02-04,P\n"             # required value missing
        ",R1,2003-99-01,CSE401,2024-02-04,X\n"             # three refused: the first names it
        "AKTU001,R1,2003-01-01,CSE401,Feb 6 2024,A\n"     # not a date format at all
        f"AKTU001,{'R' * 70},2003-01-01,CSE401,2024-02-05,A\n"  # too long: an excerpt
        "AKTU001,R1,2003-01-01,CSE401,2024-02-05,A\n".encode())
    (data / "students_master.csv").write_bytes(
        f"{STUDENT_HEADER}\n"
        " R1 ,17-04-2002,  f ,OBC, AKTU003 ,BTECH_CSE, 2023 ,Bihar,GEN,True\n"
        "R2,05/11/2002,Male,GEN,AKTU001,MBA,2022, UP ,GEN,0\n"
        "R3,2004-01-18,O,SC,AKTU002,BTECH_EE,2021,,,\n"
        "R4,2003-01-01,M,GEN,AKTU001,BTECH_CSE,99999999999,UP,GEN,0\n"
        "R5,2003-01-01,X,GEN,AKTU001,BTECH_CSE,2022,NULL,\\N,maybe\n"
        "R6,2003-01-01,F,GEN,AKTU001,BTECH_CSE,2022,UP,GEN,NULL\n".encode())
    (data / "exam_results_2024.csv").write_bytes(
        f"{EXAM_HEADER}\n"
        "AKTU001,R1,2003-01-01,CSE401,20,50,70\n"
        "AKTU001,R1,2003-01-01,CSE402,20,50,1e308\n"
        "AKTU001,R1,2003-01-01,CSE403,nan,50,70\n"
        "AKTU001,R1,2003-01-01,CSE404,,NULL,70.50\n"
        "AKTU001,R1,2003-01-01,CSE405,-1,50,49\n"
        "AKTU001,R1,2003-01-01,CSE407,20.5,49.5,+7e1\n".encode())
    (data / "placements_2024.csv").write_bytes(
        f"{PLACEMENT_HEADER}\n"
        "AKTU001,R1,2003-01-01,Infosys,Analyst,3.6,2024-01-15\n"
        "AKTU001,R1,2003-01-01,C:\\temp\\new,NULL,4.5,NULL\n"
        "AKTU001,R2,2003-01-01,'); DROP TABLE students; --,,4.5,\n"
        "AKTU001,R3,2003-01-01,Zoho — चेन्नई,Dev,-Infinity,2024-01-15\n".encode())
    return data


def _tables(wh) -> dict[str, list[tuple]]:
    """Every raw table, the rejects and the audit, without what differs between two loads of
    the same files (load ids, load times, the folder)."""
    out = {}
    for kind in ("students", "attendance", "exam_results", "placements"):
        df = wh.query(f"select * from {wh.relation('raw', kind)} "
                      "order by _source_file, _source_line").drop(columns=["_loaded_at"])
        out[kind] = [tuple(map(str, row)) for row in df.itertuples(index=False)]
    rejects = wh.query(f"select * from {wh.relation('raw', '_load_rejects')} "
                       "order by source_file, line_number, reason").drop(columns=["load_id"])
    out["rejects"] = [tuple(map(str, row)) for row in rejects.itertuples(index=False)]
    audit = wh.query(f"select file_name, file_kind, file_sha256, encoding, rows_read, rows_loaded, "
                     f"rows_rejected, rows_duplicate, status, message "
                     f"from {wh.relation('raw', '_load_audit')} order by file_name")
    out["audit"] = [tuple(map(str, row)) for row in audit.itertuples(index=False)]
    return out


def test_native_and_per_row_paths_land_the_same_rows_rejects_and_audit(make_warehouse, tmp_path,
                                                                       monkeypatch):
    data = _folder(tmp_path)
    native, per_row = make_warehouse("duckdb"), make_warehouse("duckdb")
    monkeypatch.setenv("AKTU_LOADER_NATIVE", "1")
    native.load(data)
    monkeypatch.setenv("AKTU_LOADER_NATIVE", "0")
    per_row.load(data)
    got, want = _tables(native), _tables(per_row)
    for table in want:
        assert got[table] == want[table], table
    assert len(want["attendance"]) > len(CASES) * (ROWS - 2)  # the files did load
    assert any("conflicting duplicate" in row[3] for row in want["rejects"])
    # loaded again: unchanged, nothing doubled
    native.load(data)
    assert _tables(native)["attendance"] == want["attendance"]


def test_a_replaced_export_replaces_its_rows_on_the_native_path(make_warehouse, tmp_path):
    wh = make_warehouse("duckdb")
    data = tmp_path / "data"
    data.mkdir()
    path = data / "attendance_2024.csv"
    path.write_bytes(_attendance(None))
    wh.load(data)
    path.write_bytes(_attendance("AKTU001,R9,17-04-2003,CSE401,2024-02-01,present"))
    wh.load(data)
    rows = wh.query(f"select roll_no, dob, status, _source_line from "
                    f"{wh.relation('raw', 'attendance')} where roll_no = 'R9'")
    assert len(wh.query(f"select 1 from {wh.relation('raw', 'attendance')}")) == ROWS
    assert [(str(rows["dob"].iloc[0])[:10], rows["status"].iloc[0],
             int(rows["_source_line"].iloc[0]))] == [("2003-04-17", "P", AWKWARD_AT + 2)]


QUALIFYING = {"clean", "day-first date", "status spelled out", "unknown status (refused)",
              "impossible date (refused)", "empty cell (refused)",
              "the text NULL in a text column", "\\N and a backslash", "spaces around a value",
              "a tab at the end of a value", "SQL-looking text", "non-ASCII text"}


@pytest.mark.parametrize("case", list(CASES))
def test_which_files_the_native_path_takes(case, tmp_path):
    """Values to normalise or refuse stay native; quotes, CR, blank lines and a wrong number
    of fields send the whole file to the per-row path."""
    path = tmp_path / "attendance_x.csv"
    path.write_bytes(_attendance(CASES[case]))
    kind = kind_for(path)
    con = duckdb.connect()
    staged = NativeFile.stage(con, kind, path, "utf-8-sig")
    assert (staged is not None) == (case in QUALIFYING)
    # The byte scan lets through a too-long line balanced by a too-short one: DuckDB's strict
    # reader refuses it.
    balanced = case == "too many and too few: the comma count balances"
    assert (data_lines(kind, path, "utf-8-sig") is not None) == (case in QUALIFYING or balanced)
    if staged is not None:
        assert staged.lines == ROWS
        staged.close()
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0


CRLF = _attendance("AKTU001,R9,2003-04-17,CSE401,2024-02-01,L", ending="\r\n")
# Line breaks the native path takes (True) or sends to the per-row path (False).
LINE_BREAKS = {
    "CRLF throughout": (CRLF, True),
    "CRLF throughout, no last line break": (CRLF[:-2], True),
    "CRLF and a BOM": (b"\xef\xbb\xbf" + CRLF, True),
    "CRLF header, one line ending LF": (CRLF.replace(b"P\r\n", b"P\n", 1), False),
    "LF header, CRLF lines": (CRLF.replace(b"\r\n", b"\n", 1), False),
    "a CR inside a value": (CRLF.replace(b"CSE401,", b"CSE\r401,", 1), False),
    "a CR ending the last line": (CRLF + b"AKTU001,R9,2003-04-17,CSE401,2024-02-01,P\r", False),
    "a blank line": (CRLF.replace(b"P\r\n", b"P\r\n\r\n", 1), False),
    "a blank first line": (CRLF.replace(b"status\r\n", b"status\r\n\r\n", 1), False),
    # The comma count balances: only the blank-line check refuses it.
    "a blank line, its commas on another line": (
        CRLF.replace(b"P\r\n", b"P\r\n\r\n", 1).replace(b",A\r\n", b",A,,,,,\r\n", 1), False),
}


@pytest.mark.parametrize("case", list(LINE_BREAKS))
def test_which_line_breaks_the_native_path_takes(tmp_path, monkeypatch, case):
    """A Windows export (CRLF after every line) stays native; a CR anywhere else, line breaks of
    both kinds, or a blank line send the file to the per-row path. The byte scan decides the
    same with its blocks of any size, so a CRLF or a blank line split across two blocks too."""
    from loader import native as native_module

    body, native = LINE_BREAKS[case]
    path = tmp_path / "attendance_x.csv"
    path.write_bytes(body)
    kind = kind_for(path)
    lines = body.rstrip(b"\r\n").count(b"\n")  # the header's line break counts none
    for scan_bytes in (1 << 24, *range(2, 12)):
        monkeypatch.setattr(native_module, "SCAN_BYTES", scan_bytes)
        assert data_lines(kind, path, "utf-8-sig") == (lines if native else None), scan_bytes
    con = duckdb.connect()
    staged = NativeFile.stage(con, kind, path, "utf-8-sig")
    assert (staged is not None) == native
    if staged is not None:
        fields = con.execute(f"select * exclude (_key_hash) from {staged.table} "
                             "order by rowid").fetchall()
        staged.close()
        text = body.removeprefix(b"\xef\xbb\xbf").decode()
        assert fields == [tuple(line.split(",")) for line in text.splitlines()[1:]]


def test_a_file_the_reader_refuses_falls_back_whole(tmp_path):
    """An undecodable byte passes the byte scan; DuckDB's reader refuses it and nothing is kept."""
    path = tmp_path / "attendance_x.csv"
    path.write_bytes(_invalid_utf8())
    con = duckdb.connect()
    assert data_lines(kind_for(path), path, "utf-8-sig") == ROWS
    assert NativeFile.stage(con, kind_for(path), path, "utf-8-sig") is None
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0


def test_the_switch_sends_files_to_the_per_row_path(monkeypatch):
    """AKTU_LOADER_NATIVE=0 is what makes the comparisons above compare two paths."""
    from loader import native

    monkeypatch.setenv("AKTU_LOADER_NATIVE", "0")
    assert not native.enabled()
    monkeypatch.setenv("AKTU_LOADER_NATIVE", "1")
    assert native.enabled()
    monkeypatch.delenv("AKTU_LOADER_NATIVE")
    assert native.enabled()  # on by default


# Parameters the loader sends DuckDB go in as literals (loader/warehouse.py, duckdb_execute),
# which must mean exactly what binding them means.
LITERAL_CASES = [
    ("select ? as v", ["it's a \"quote\"; -- not a comment ? either"]),
    ("select ? as v", [None]),
    ("select ? + 1 as v", [2**62]),
    ("select ?::timestamp as v", ["2026-12-03 19:10:02.123456"]),
    ("select unnest(?::varchar[]) as v", [["a'b", None, "", "ಕನ್ನಡ"]]),
    ("select unnest(?::bigint[]) as v", [[3, 1, 2]]),
    ("select ? = ? as v", ["x", "x"]),
]


@pytest.mark.parametrize("sql,params", LITERAL_CASES)
def test_parameters_as_literals_mean_what_binding_means(sql, params):
    con = duckdb.connect()
    bound = con.execute(sql, params).fetchall()
    assert duckdb_execute(con, sql, params).fetchall() == bound


def test_a_parameter_with_no_exact_literal_is_bound():
    class Recorder:
        def execute(self, sql, params=None):
            self.calls = (sql, params)
            return self

    for sql, params in [("select ?", [1.5]), ("select ?", ["a\x00b"]), ("select '?', ?", ["a"]),
                        ("select ?", [True])]:
        recorder = Recorder()
        duckdb_execute(recorder, sql, params)
        assert recorder.calls == (sql, params)


def test_a_duckdb_load_binds_no_parameter(make_warehouse, tmp_path):
    """Binding any parameter makes DuckDB's Python client import pandas (half a second of every
    load); a load through the CLI, native path and per-row path, never does."""
    data = tmp_path / "data"
    generate(data, students=20, seed=5)
    (data / "attendance_2024_sem.csv").write_bytes(  # a quote: the per-row path takes it
        (data / "attendance_2024_sem.csv").read_bytes().replace(b",P\n", b',"P"\n', 1))
    script = ("import runpy, sys; sys.argv = ['loader', 'load', sys.argv[1], '--target', "
              "'duckdb']\ntry:\n    runpy.run_module('loader', run_name='__main__')\n"
              "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
              "assert 'pandas' not in sys.modules, 'pandas was imported'")
    wh = make_warehouse("duckdb")
    proc = subprocess.run([sys.executable, "-c", script, str(data)], cwd=PROJECT_DIR,
                          env=wh.env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "attendance_2024_sem.csv" in proc.stderr


def test_repeated_keys_in_many_passes_are_those_of_one_pass():
    """duplicates_in groups the key hashes a slice at a time (memory flat at any size): the
    exact repeats and conflicts it finds do not depend on the number of slices, and it leaves
    no table behind."""
    kind = kind_for(Path("attendance_2024_sem.csv"))
    # 280 keys (40 rolls x 7 dates); the rows from 280 on repeat them, and from 560 on every
    # other one with the other status: exact repeats and conflicts.
    rows = [("AKTU001", f"R{n % 40}", "2003-01-01", "CSE401", f"2024-02-{n % 7 + 1:02d}",
             "A" if n >= 560 and n % 2 else "P") for n in range(600)]
    con = duckdb.connect()
    columns = ", ".join(f"{name} varchar" for name in kind.column_names)
    con.execute(f"create temp table staged ({columns}, _line bigint)")
    con.executemany("insert into staged values (?, ?, ?, ?, ?, ?, ?)",
                    [(*row, line) for line, row in enumerate(rows, start=2)])
    reports = [duplicates_in(con, kind, "staged", rows_per_pass=per_pass)
               for per_pass in (1_000_000, 50, 7)]
    assert reports[0].exact and reports[0].conflicts
    for report in reports[1:]:
        assert (report.exact, report.conflicts) == (reports[0].exact, reports[0].conflicts)
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (1,)


class _Landing:
    """What NativeFile.land needs of a DuckDBFileLoad: the insert, kept as rows."""

    def __init__(self, con) -> None:
        self.con, self.rows = con, []

    def add_select(self, columns: str, select: str, params: list) -> None:
        self.rows = duckdb_execute(self.con, select, params).fetchall()


@pytest.mark.parametrize("extra, staged", [
    ("", True),
    ("AKTU001,R1,2003-01-01,CSE401,01-02-2024,P\n", False),  # 8: a key value normalised
    ("AKTU001,R1,2003-01-01,CSE401,2024-02-01,L\n", True),  # 8: refused, 2's key
])
def test_repeated_keys_come_from_the_staged_hashes_only_when_the_raw_key_is_canonical(
        tmp_path, monkeypatch, extra, staged):
    """The native path hashes each raw key as DuckDB reads the file. Those hashes stand for the
    canonical keys only when no key value normalises to another text; otherwise the canonical
    rows are hashed again. Either way the repeats found are the same, and a refused row that
    shares a kept row's key is no repeat."""
    from loader import native

    used = []

    def recording(con, kind, source, rows_per_pass=1_000_000, key_hashes=None):
        used.append(key_hashes)
        return duplicates_in(con, kind, source, rows_per_pass, key_hashes)

    monkeypatch.setattr(native, "duplicates_in", recording)
    path = tmp_path / "attendance_x.csv"
    path.write_text(_raw_repeats(ATT_HEADER, extra))
    con = duckdb.connect()
    staged_file = NativeFile.stage(con, kind_for(path), path, "utf-8-sig")
    assert staged_file is not None
    refused = []
    sink = type("Sink", (), {"add": lambda self, record, column, reason: refused.append(
        record.line)})()
    landing = _Landing(con)
    try:
        landed = staged_file.land(landing, sink, path.name, "2024-03-01 00:00:00")
    finally:
        staged_file.close()
    assert (used[0] is not None) == staged
    exact = {3: 2, 7: 6} | ({8: 2} if "01-02-2024" in extra else {})
    assert landed.duplicates.exact == exact
    assert landed.duplicates.conflicts == {4: [5], 5: [4]}
    assert refused == ([8] if ",L" in extra else [])
    # Inserted: the first line of each exact repeat; repeats, conflicts and refusals stay out.
    assert sorted(row[6] for row in landing.rows) == [2, 6]
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0
