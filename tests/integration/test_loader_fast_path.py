"""The fast path (loader/fast_path.py) stages clean blocks whole; it must stage exactly what the
per-row path stages, row for row and byte for byte, and hand over at the first block that holds
anything to normalise or refuse. Each case puts one awkward line far into a file, past the
first blocks, then stages the file both ways."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from loader.audit import Audit
from loader.contracts import data_start, kind_for, line_ending
from loader.fast_path import FastStager
from loader.stage import Rejects, staged_chunks
from loader.staging_file import ChunkNames

HEADER = "college_code,roll_no,dob,course_code,date,status"
ROWS = 40_000  # blocks of 10k, 20k, 40k lines: the awkward line sits in the third block
AWKWARD_AT = 35_000  # its index among the data lines (physical line AWKWARD_AT + 2)


def _clean_line(i: int) -> str:
    return (f"AKTU{i % 7:03d},AKTU{i % 7:03d}-CSE-2023-{1000 + i // 90},2003-0{1 + i % 9}-1{i % 10},"
            f"CSE40{i % 6},2024-0{2 + i % 3}-{1 + i % 28:02d},{'PA'[i % 2]}")


CASES = {
    "clean": None,
    "day-first date": "AKTU001,R9,17-04-2003,CSE401,2024-02-01,P",
    "status spelled out": "AKTU001,R9,2003-04-17,CSE401,2024-02-01,present",
    "unknown status (refused)": "AKTU001,R9,2003-04-17,CSE401,2024-02-01,L",
    "impossible date (refused)": "AKTU001,R9,2003-02-30,CSE401,2024-02-01,P",
    "quoted field with a comma and a line break": 'AKTU001,"R9, ""x""\nnext",2003-04-17,CSE401,2024-02-01,P',
    "blank line": "",
    "CRLF line ending": "AKTU001,R9,2003-04-17,CSE401,2024-02-01,P\r",
    "a field too many (refused)": "AKTU001,R9,2003-04-17,CSE401,2024-02-01,P,extra",
    "a field too few (refused)": "AKTU001,R9,2003-04-17,CSE401,2024-02-01",
    "too many and too few: the comma count balances": "AKTU001,R9,2003-04-17,CSE401,2024-02-01,P,x\n"
                                                     "AKTU001,R9,2003-04-17,CSE401,2024-02-02",
    "empty cell (refused)": "AKTU001,,2003-04-17,CSE401,2024-02-01,P",
    "the text NULL in a text column": "AKTU001,NULL,2003-04-17,CSE401,2024-02-01,P",
    "\\N and a backslash": "AKTU001,R\\N\\,2003-04-17,CSE401,2024-02-01,P",
    "spaces around a value": "AKTU001, R9 ,2003-04-17,CSE401,2024-02-01,P",
    "a tab at the end of a value": "AKTU001,R9,2003-04-17,CSE401,2024-02-01,P\t",
    "SQL-looking text": "AKTU001,'); DROP TABLE attendance; --,2003-04-17,CSE401,2024-02-01,P",
    "non-ASCII text": "AKTU001,राम-01,2003-04-17,CSE401,2024-02-01,P",
}


def _file(tmp_path: Path, awkward: str | None, header: str = HEADER, bom: bool = False,
          last_newline: bool = True) -> Path:
    lines = [_clean_line(i) for i in range(ROWS)]
    if awkward is not None:
        lines[AWKWARD_AT] = awkward
    text = ("\ufeff" if bom else "") + header + "\n" + "\n".join(lines) + ("\n" if last_newline else "")
    path = tmp_path / "attendance_2024_sem.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def _staged(path: Path, workdir: Path, fast: bool) -> tuple[bytes, int, int, list, list[str]]:
    kind = kind_for(path)
    audit = Audit(load_id="t", file_name=path.name, file_kind=kind.name, file_sha256="",
                  started_at="")
    rejects, notices = Rejects("t", path.name), []
    workdir.mkdir()
    staged = b"".join(chunk.read_bytes() for chunk in staged_chunks(
        kind, path, "utf-8-sig", audit, rejects, workdir, notices, fast=fast))
    return staged, audit.rows_read, audit.rows_rejected, rejects.pending, notices


def _fast_rows(path: Path, workdir: Path) -> int:
    """How many records the fast path stages before it hands over."""
    kind = kind_for(path)
    workdir.mkdir()
    with path.open("rb") as binary:
        start = data_start(kind, binary, "utf-8-sig", crlf=True)
        if start is None:
            return 0
        stager = FastStager(kind, binary, start, line=2, ending=line_ending(binary))
        for _ in stager.chunks(ChunkNames(workdir, 100_000)):
            pass
        return stager.rows


def _assert_same_both_ways(path: Path, tmp_path: Path) -> tuple[bytes, int, int, list]:
    fast = _staged(path, tmp_path / "fast", fast=True)
    per_row = _staged(path, tmp_path / "per_row", fast=False)
    assert fast[1:] == per_row[1:]  # rows read, rows refused, refusals, notices
    assert fast[0] == per_row[0]  # every staged byte
    return fast[:4]


@pytest.mark.parametrize("case", list(CASES))
def test_fast_path_stages_what_the_per_row_path_stages(case, tmp_path):
    path = _file(tmp_path, CASES[case])
    staged, read, refused, refusals = _assert_same_both_ways(path, tmp_path)
    fast_rows = _fast_rows(path, tmp_path / "probe")
    if case == "clean" or case in ("SQL-looking text", "non-ASCII text", "\\N and a backslash"):
        # canonical text: nothing for the per-row path to do
        assert fast_rows == ROWS and read == ROWS and refused == 0
    else:
        # the first two blocks (10k + 20k lines) went fast, the block holding the line did not
        assert fast_rows == 30_000
    if "(refused)" in case:
        assert refused >= 1 and any(line == AWKWARD_AT + 2 for line, *_ in refusals)
    assert len(_records(staged)) == read - refused


def _records(staged: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(staged.decode("utf-8"), newline="")))


def test_every_staged_line_carries_its_physical_line_number(tmp_path):
    path = _file(tmp_path, "AKTU001,R9,17-04-2003,CSE401,2024-02-01,P")  # hands over mid-file
    staged, read, refused, _ = _assert_same_both_ways(path, tmp_path)
    numbers = [int(line.rsplit(b",", 1)[1]) for line in staged.splitlines()]
    assert numbers == list(range(2, ROWS + 2)) and read == ROWS and refused == 0


@pytest.mark.parametrize("variant", ["bom", "no last line break", "header in another order",
                                     "header with spaces and capitals", "extra column",
                                     "CRLF line breaks", "CRLF, no last line break",
                                     "CRLF, one line ending LF", "CRLF, a CR inside a value",
                                     "CRLF, a blank line"])
def test_header_and_file_shape_variants(variant, tmp_path):
    header, bom, last_newline = HEADER, False, True
    if variant == "bom":
        bom = True
    elif variant == "no last line break":
        last_newline = False
    elif variant == "header in another order":
        header = "roll_no,college_code,dob,course_code,date,status"
    elif variant == "header with spaces and capitals":
        header = " College_Code ,ROLL_NO,dob,course_code,date,Status"
    path = _file(tmp_path, None, header=header, bom=bom, last_newline=last_newline)
    if variant == "header in another order":
        text = path.read_text(encoding="utf-8").splitlines()
        swapped = [",".join([f[1], f[0], *f[2:]]) for f in (t.split(",") for t in text[1:])]
        path.write_text("\n".join([header, *swapped]) + "\n", encoding="utf-8")
    elif variant == "extra column":
        text = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([text[0] + ",remarks", *(t + ",ok" for t in text[1:])]) + "\n",
                        encoding="utf-8")
    if variant.startswith("CRLF"):  # a Windows export
        if variant == "CRLF, no last line break":
            last_newline = False
        path = _file(tmp_path, None, last_newline=last_newline)
        body = path.read_bytes().replace(b"\n", b"\r\n")
        # each awkward line sits in the third block (10k, 20k, then 40k lines)
        at = body.index(_clean_line(AWKWARD_AT).encode())
        if variant == "CRLF, one line ending LF":
            body = body[:at] + body[at:].replace(b"\r\n", b"\n", 1)
        elif variant == "CRLF, a CR inside a value":
            body = body[:at] + body[at:].replace(b",CSE", b",C\rSE", 1)
        elif variant == "CRLF, a blank line":
            body = body[:at] + b"\r\n" + body[at:]
        path.write_bytes(body)
    staged, read, refused, _ = _assert_same_both_ways(path, tmp_path)
    # A blank line is no record; a lone CR inside a value is refused, as in an LF file.
    odd = variant == "CRLF, a CR inside a value"
    assert read == ROWS and refused == odd and len(_records(staged)) == ROWS - odd
    fast_rows = _fast_rows(path, tmp_path / "probe")
    if variant in ("bom", "header with spaces and capitals", "CRLF line breaks"):
        assert fast_rows == ROWS
    elif variant in ("no last line break", "CRLF, no last line break"):
        assert fast_rows == ROWS - 1  # the last line goes through the per-row path
    elif variant.startswith("CRLF"):
        assert fast_rows == 30_000  # the block holding the odd line goes per row
    else:
        assert fast_rows == 0  # columns elsewhere than the contract's order: per row


@pytest.mark.parametrize("engine", ("duckdb", "mariadb"))
def test_a_file_that_turns_awkward_mid_way_loads_and_reconciles(engine, make_warehouse, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    lines = [_clean_line(i) for i in range(ROWS)]
    lines[AWKWARD_AT] = "AKTU001,R9,2003-04-17,CSE401,2024-02-01,L"  # refused
    lines[AWKWARD_AT + 1] = "AKTU001,R9,17-04-2003,CSE401,2024-02-01,Present"  # normalised
    (data / "attendance_2024_sem.csv").write_text(HEADER + "\n" + "\n".join(lines) + "\n",
                                                  encoding="utf-8")
    wh = make_warehouse(engine)
    wh.load(data)
    audit = wh.query(f"select * from {wh.relation('raw', '_load_audit')}").iloc[-1]
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_rejected"]) == (ROWS, ROWS - 1, 1)
    raw = wh.query(f"select _source_line, dob, status from {wh.relation('raw', 'attendance')} "
                   "order by _source_line")
    assert list(raw["_source_line"]) == [n for n in range(2, ROWS + 2) if n != AWKWARD_AT + 2]
    normalised = raw[raw["_source_line"] == AWKWARD_AT + 3].iloc[0]
    assert str(normalised["dob"])[:10] == "2003-04-17" and normalised["status"] == "P"
    rejects = wh.query(f"select line_number, column_name from "
                       f"{wh.relation('raw', '_load_rejects')}")
    assert [(int(r.line_number), r.column_name) for r in rejects.itertuples()] == [
        (AWKWARD_AT + 2, "status")]
