"""The notebook's own computation (../shared/seed/starter_etl_notebook.txt), as a function.

Kept line for line with the notebook so that a test failure points at the warehouse, not at a
re-interpretation: read the four CSVs, hash college_code-roll_no-dob with hashlib.sha256, map the
hash into the other tables on (roll_no, dob), present_flag = status == 'P', then corr_df and the
Pearson correlation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass
class NotebookResult:
    students: pd.DataFrame
    attendance: pd.DataFrame
    exams: pd.DataFrame
    placements: pd.DataFrame
    corr_df: pd.DataFrame
    corr: float


def run_notebook(data_dir: Path) -> NotebookResult:
    students = pd.read_csv(data_dir / "students_master.csv")
    attendance = pd.read_csv(data_dir / "attendance_2024_sem.csv")
    exams = pd.read_csv(data_dir / "exam_results_2024_sem.csv")
    placements = pd.read_csv(data_dir / "placements_2024.csv")

    def hash_student(row: pd.Series) -> str:
        key = f"{row['college_code']}-{row['roll_no']}-{row['dob']}"
        return hashlib.sha256(key.encode()).hexdigest()

    students["student_hash"] = students.apply(hash_student, axis=1)
    keys = students[["roll_no", "dob", "student_hash"]]
    attendance = attendance.merge(keys, on=["roll_no", "dob"], how="left")
    exams = exams.merge(keys, on=["roll_no", "dob"], how="left")
    placements = placements.merge(keys, on=["roll_no", "dob"], how="left")

    attendance["present_flag"] = (attendance["status"] == "P").astype(int)
    exams.rename(columns={"internal": "internal_marks", "external": "external_marks",
                          "total": "total_marks"}, inplace=True)

    merged = exams.merge(attendance[["student_hash", "course_code", "present_flag"]],
                         on=["student_hash", "course_code"], how="left")
    att_course = (merged.groupby(["student_hash", "course_code"])["present_flag"].mean()
                  .reset_index().rename(columns={"present_flag": "attendance_pct"}))
    score_course = merged.groupby(["student_hash", "course_code"])["total_marks"].mean().reset_index()
    corr_df = att_course.merge(score_course, on=["student_hash", "course_code"], how="inner")
    corr = corr_df[["attendance_pct", "total_marks"]].corr().iloc[0, 1]
    return NotebookResult(students, attendance, exams, placements, corr_df, float(corr))
