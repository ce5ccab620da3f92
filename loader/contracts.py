"""One declared contract per CSV kind: which files, which columns, which types, which key.

The column lists are the notebook's (`../shared/seed/starter_etl_notebook.txt`), not invented.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | int | float | bool | status
    required: bool = True  # the file is refused whole without it
    nullable: bool = False  # a row may leave it empty
    max_length: int = 255
    allowed: tuple[str, ...] = ()  # for text columns with a closed vocabulary
    synonyms: tuple[tuple[str, str], ...] = ()  # other spellings accepted for an allowed value


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
        Column("admission_year", "int"),
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
        Column("internal", "float", nullable=True),
        Column("external", "float", nullable=True),
        Column("total", "float"),
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
        Column("package_lpa", "float"),
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
