"""One declared contract per CSV kind: which files, which columns, which types, which key.

The column lists are the notebook's (`../shared/seed/starter_etl_notebook.txt`), not invented.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO


# The raw tables' `integer` (DuckDB INTEGER, MySQL/MariaDB INT): signed 32 bits. A value outside
# it would fail the bulk load of the whole file, so the loader refuses that row instead.
INT_RANGE = (-(2**31), 2**31 - 1)
# Marks of one course: no AKTU mark scheme (seeds/academics/course_mark_schemes.csv) gives more
# than 150; the loader refuses only what no scheme can hold, and leaves marks above the course's
# own scheme to dbt's data-quality checks.
MARKS_RANGE = (0.0, 1000.0)
# An offer's package in lakh rupees per year: at most 1,000 LPA (Rs 10 crore a year) either way.
# A negative package lands and is flagged by dbt (fct_placement_offers: negative_package), as a
# zero one is: it is a data-entry error to show the college, not a value no column can hold.
PACKAGE_LPA_RANGE = (-1000.0, 1000.0)
# Admission years a student of AKTU (founded 2000, formerly UPTU) can have.
ADMISSION_YEAR_RANGE = (1950, 2100)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | int | float | bool | status
    required: bool = True  # the file is refused whole without it
    nullable: bool = False  # a row may leave it empty
    max_length: int = 255
    allowed: tuple[str, ...] = ()  # for text columns with a closed vocabulary
    synonyms: tuple[tuple[str, str], ...] = ()  # other spellings accepted for an allowed value
    # The numeric domain (int and float columns), bounds included. None: the column type's own
    # range (INT_RANGE for int; any finite double for float).
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class FileKind:
    name: str
    patterns: tuple[str, ...]
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # a row's identity inside one file kind
    description: str = ""
    accumulates: bool = field(default=False)  # new files add to what is there (attendance)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def matches(self, file_name: str) -> bool:
        lowered = file_name.lower()
        return any(fnmatch.fnmatchcase(lowered, p) for p in self.patterns)


STUDENTS = FileKind(
    name="students",
    patterns=("students_master*.csv",),
    table="students",
    description="students master: one row per enrolled student",
    columns=(
        Column("roll_no", "text", max_length=64),
        Column("dob", "date"),
        Column("gender", "text", max_length=16, allowed=("M", "F", "O"),
               synonyms=(("Male", "M"), ("Female", "F"), ("Other", "O"),
                         ("Transgender", "O"))),
        Column("category", "text", max_length=32),
        Column("college_code", "text", max_length=32),
        Column("program_code", "text", max_length=64),
        Column("admission_year", "int", minimum=ADMISSION_YEAR_RANGE[0],
               maximum=ADMISSION_YEAR_RANGE[1]),
        Column("domicile_state", "text", nullable=True, max_length=64),
        Column("quota", "text", nullable=True, max_length=64),
        Column("disability_flag", "bool", nullable=True),
    ),
    key=("college_code", "roll_no", "dob"),
)

ATTENDANCE = FileKind(
    name="attendance",
    patterns=("attendance_*.csv",),
    table="attendance",
    description="daily attendance: one row per student, course and class date",
    columns=(
        Column("college_code", "text", max_length=32),
        Column("roll_no", "text", max_length=64),
        Column("dob", "date"),
        Column("course_code", "text", max_length=32),
        Column("date", "date"),
        Column("status", "status"),
    ),
    key=("college_code", "roll_no", "dob", "course_code", "date"),
    accumulates=True,
)

EXAM_RESULTS = FileKind(
    name="exam_results",
    patterns=("exam_results_*.csv",),
    table="exam_results",
    description="exam results: internal, external and total marks per student and course",
    columns=(
        Column("college_code", "text", max_length=32),
        Column("roll_no", "text", max_length=64),
        Column("dob", "date"),
        Column("course_code", "text", max_length=32),
        Column("internal", "float", nullable=True, minimum=MARKS_RANGE[0],
               maximum=MARKS_RANGE[1]),
        Column("external", "float", nullable=True, minimum=MARKS_RANGE[0],
               maximum=MARKS_RANGE[1]),
        Column("total", "float", minimum=MARKS_RANGE[0], maximum=MARKS_RANGE[1]),
    ),
    key=("college_code", "roll_no", "dob", "course_code"),
)

PLACEMENTS = FileKind(
    name="placements",
    patterns=("placements_*.csv",),
    table="placements",
    description="placement offers: one row per offer",
    columns=(
        Column("college_code", "text", max_length=32),
        Column("roll_no", "text", max_length=64),
        Column("dob", "date"),
        Column("company", "text", max_length=255),
        Column("role", "text", nullable=True, max_length=255),
        Column("package_lpa", "float", minimum=PACKAGE_LPA_RANGE[0],
               maximum=PACKAGE_LPA_RANGE[1]),
        Column("offer_date", "date", nullable=True),
    ),
    key=("college_code", "roll_no", "dob", "company", "role", "offer_date"),
)

FILE_KINDS: tuple[FileKind, ...] = (STUDENTS, ATTENDANCE, EXAM_RESULTS, PLACEMENTS)

# Columns every raw table carries besides the contract's own.
METADATA_COLUMNS = ("_source_file", "_source_line", "_loaded_at")


def kind_for(path: Path) -> FileKind | None:
    """The contract a file falls under, by name (case-insensitive), or None."""
    for kind in FILE_KINDS:
        if kind.matches(path.name):
            return kind
    return None


def data_start(kind: FileKind, binary: BinaryIO, encoding: str,
               crlf: bool = False) -> int | None:
    """The byte offset of the first data line when the file's header qualifies it for the fast
    and native paths (UTF-8, an unquoted one-line header naming exactly the contract's columns
    in order; ending in CRLF too when `crlf`), else None."""
    if encoding != "utf-8-sig":
        return None
    binary.seek(0)
    head = binary.read(1 << 16)
    end = head.find(b"\n")
    header = head[:end]
    if crlf and header.endswith(b"\r"):
        header = header[:-1]
    if end < 0 or b'"' in header or b"\r" in header:
        return None
    names = [name.strip().casefold() for name in header.decode(encoding).split(",")]
    return end + 1 if names == kind.column_names else None


def line_ending(binary: BinaryIO) -> bytes:
    """The header's line break: b"\r\n" (a Windows export) or b"\n". The fast and native paths
    check that every line of the file ends the same way."""
    binary.seek(0)
    return b"\r\n" if binary.readline(1 << 16).endswith(b"\r\n") else b"\n"


class LineBreaks:
    """The fast and native paths' rule for line breaks, checked over a file's data fed block by
    block: every line break is `ending` (b"\n", or b"\r\n" throughout as a Windows export
    writes it, and then no other carriage return), and no line is blank. A block may end
    anywhere, even inside a CRLF."""

    def __init__(self, ending: bytes) -> None:
        self.ending = ending
        self.breaks = self._returns = self._pairs = 0
        self._blank = b"\n" + ending  # a line break right after a line break
        self._tail = ending  # what precedes the first block: the header's line break

    def feed(self, block: bytes) -> bool:
        """Count `block`; False at a blank line or, in an LF-file, a carriage return. A CR out
        of place in a CRLF-file is found by `whole`, once the block that may end a split CRLF
        is followed by the next."""
        if self._blank in block or self._blank in self._tail + block[:len(self._blank) - 1]:
            return False
        if self.ending == b"\n":
            if b"\r" in block:
                return False
        else:
            self._returns += block.count(b"\r")
            # A CRLF split across two blocks counts too.
            self._pairs += block.count(b"\r\n") + (self._tail[-1:] == b"\r" and block[:1] == b"\n")
        self.breaks += block.count(b"\n")
        self._tail = (self._tail + block)[-2:]
        return True

    def whole(self) -> bool:
        """Every carriage return fed so far is part of a line break, and every line break has
        one (always so in an LF-file that `feed` accepted)."""
        return self.ending == b"\n" or self._returns == self._pairs == self.breaks

    @property
    def lines(self) -> int:
        """The lines fed: one per line break, and a last line without one."""
        return self.breaks + (self._tail[-1:] != b"\n")
