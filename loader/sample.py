"""Realistic sample exports in the notebook's file layout, streamed to disk.

Shape: AKTU-style roll numbers (COLLEGE-BRANCH-YEAR-SERIAL), several colleges and programs,
six courses per student, ~40 class dates per course in the Feb-May 2024 semester, attendance
that drives marks (Pearson r near the notebook's 0.39), some students never placed, and the
rows the notebook silently drops: attendance, exam and placement rows whose roll_no/dob match
no student. Edge cases always present: a student at 0% and one at 100% in a course, exam rows
without attendance and attendance without exam rows.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

COLLEGES = ("AKTU001", "AKTU002", "AKTU003", "AKTU004", "AKTU005")
COLLEGE_WEIGHTS = (5, 3, 4, 2, 1)
# program_code -> (branch used in the roll number, course prefix)
PROGRAMS = {
    "BTECH_CSE": ("CSE", "CSE"),
    "BTECH_EE": ("EE", "EE"),
    "BTECH_ME": ("ME", "ME"),
    "BTECH_ECE": ("ECE", "EC"),
    "MCA": ("MCA", "MCA"),
    "MBA": ("Management", "MBA"),
}
PROGRAM_WEIGHTS = (6, 3, 3, 3, 2, 2)
PROGRAM_YEARS = {"BTECH_CSE": 4, "BTECH_EE": 4, "BTECH_ME": 4, "BTECH_ECE": 4, "MCA": 2, "MBA": 2}
GENDERS, GENDER_WEIGHTS = ("M", "F", "O"), (56, 43, 1)
CATEGORIES, CATEGORY_WEIGHTS = ("GEN", "OBC", "SC", "ST", "EWS"), (38, 34, 18, 2, 8)
STATES, STATE_WEIGHTS = ("UP", "Bihar", "MP", "Rajasthan", "Uttarakhand", "Delhi"), (70, 10, 6, 5, 5, 4)
QUOTAS, QUOTA_WEIGHTS = ("GEN", "Management", "TFW", "Lateral"), (80, 8, 5, 7)
COMPANIES = ("TCS", "Infosys", "Wipro", "HCLTech", "Accenture", "Capgemini", "Cognizant",
             "Tech Mahindra", "L&T", "Amazon", "Deloitte", "Paytm", "Zomato", "HDFC Bank")
ROLES = ("Software Engineer", "Graduate Engineer Trainee", "Analyst", "Associate Consultant",
         "Management Trainee", "Data Analyst")
SEMESTER_START, SEMESTER_END = date(2024, 2, 1), date(2024, 5, 31)
COURSES_PER_STUDENT = 6
CLASSES_PER_COURSE = 40

STUDENT_COLUMNS = ("roll_no", "dob", "gender", "category", "college_code", "program_code",
                   "admission_year", "domicile_state", "quota", "disability_flag")
ATTENDANCE_COLUMNS = ("college_code", "roll_no", "dob", "course_code", "date", "status")
EXAM_COLUMNS = ("college_code", "roll_no", "dob", "course_code", "internal", "external", "total")
PLACEMENT_COLUMNS = ("college_code", "roll_no", "dob", "company", "role", "package_lpa",
                     "offer_date")

FILE_NAMES = {
    "students": "students_master.csv",
    "attendance": "attendance_2024_sem.csv",
    "exams": "exam_results_2024_sem.csv",
    "placements": "placements_2024.csv",
}


@dataclass(frozen=True)
class Student:
    roll_no: str
    dob: str
    college_code: str
    program_code: str
    admission_year: int
    diligence: float  # the student's underlying attendance propensity


def _class_dates(rng: random.Random, n: int) -> list[str]:
    days = [SEMESTER_START + timedelta(d) for d in range((SEMESTER_END - SEMESTER_START).days + 1)]
    weekdays = [d for d in days if d.weekday() < 6]
    return sorted(d.isoformat() for d in rng.sample(weekdays, n))


def _courses(program_code: str) -> list[str]:
    prefix = PROGRAMS[program_code][1]
    return [f"{prefix}{400 + i}" for i in range(1, COURSES_PER_STUDENT + 1)]


def colleges(count: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """College codes with their relative sizes: the five sample colleges, or, at AKTU scale
    (~750 affiliated colleges), AKTU001..AKTUnnn with a long tail of small colleges (Zipf-like)."""
    if count <= len(COLLEGES):
        return COLLEGES[:count], COLLEGE_WEIGHTS[:count]
    codes = tuple(f"AKTU{i:03d}" for i in range(1, count + 1))
    return codes, tuple(1 / (rank ** 0.8) for rank in range(1, count + 1))


class _AttendanceWriter:
    """One attendance file for the semester, or one file per class date (`daily`), as the
    colleges send them a day at a time."""

    def __init__(self, out_dir: Path, daily: bool) -> None:
        self.out_dir, self.daily = out_dir, daily
        self.files: dict[str, tuple[object, object]] = {}

    def _writer(self, day: str):  # noqa: ANN202 - a csv writer
        name = f"attendance_{day}.csv" if self.daily else FILE_NAMES["attendance"]
        if name not in self.files:
            handle = (self.out_dir / name).open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(ATTENDANCE_COLUMNS)
            self.files[name] = (handle, writer)
        return self.files[name][1]

    def writerow(self, row: tuple[object, ...]) -> None:
        self._writer(str(row[4])).writerow(row)

    def paths(self) -> list[Path]:
        return sorted(self.out_dir / name for name in self.files)

    def close(self) -> None:
        for handle, _ in self.files.values():
            handle.close()  # type: ignore[attr-defined]


def _student(rng: random.Random, serial: int,
             college_codes: tuple[tuple[str, ...], tuple[float, ...]] = (COLLEGES, COLLEGE_WEIGHTS)
             ) -> Student:
    college = rng.choices(*college_codes)[0]
    program = rng.choices(list(PROGRAMS), PROGRAM_WEIGHTS)[0]
    year = rng.choice((2021, 2022, 2023))
    dob = date(2001, 1, 1) + timedelta(rng.randrange(5 * 365))
    return Student(
        roll_no=f"{college}-{PROGRAMS[program][0]}-{year}-{serial}",
        dob=dob.isoformat(),
        college_code=college,
        program_code=program,
        admission_year=year,
        diligence=min(0.99, max(0.2, rng.betavariate(6, 2))),
    )


def _marks(rng: random.Random, attendance: float) -> tuple[int, int]:
    ability = rng.gauss(0, 1)
    internal = round(min(30, max(0, 12 + 10 * attendance + 3 * ability + rng.gauss(0, 3))))
    external = round(min(70, max(0, 14 + 30 * attendance + 8 * ability + rng.gauss(0, 12))))
    return internal, external


def generate(out_dir: Path, students: int = 300, seed: int = 42, college_count: int = 5,
             daily: bool = False) -> dict[str, Path]:
    """Write the four files into out_dir, streaming (memory does not grow with the number of
    students); returns their paths by kind (attendance: the first file when `daily`)."""
    rng = random.Random(seed)
    placement_rng = random.Random(seed + 1_000_003)  # its own stream: offers don't move marks
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: out_dir / name for k, name in FILE_NAMES.items() if k != "attendance"}
    handles = {k: p.open("w", encoding="utf-8", newline="") for k, p in paths.items()}
    attendance = _AttendanceWriter(out_dir, daily)
    college_codes = colleges(college_count)
    try:
        w: dict[str, object] = {k: csv.writer(h, lineterminator="\n") for k, h in handles.items()}
        w["attendance"] = attendance
        w["students"].writerow(STUDENT_COLUMNS)
        w["exams"].writerow(EXAM_COLUMNS)
        w["placements"].writerow(PLACEMENT_COLUMNS)
        schedules: dict[str, list[str]] = {}
        for i in range(students):
            s = _student(rng, 1001 + i, college_codes)
            w["students"].writerow((
                s.roll_no, s.dob, rng.choices(GENDERS, GENDER_WEIGHTS)[0],
                rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0], s.college_code, s.program_code,
                s.admission_year, rng.choices(STATES, STATE_WEIGHTS)[0],
                rng.choices(QUOTAS, QUOTA_WEIGHTS)[0], rng.random() < 0.03,
            ))
            ident = (s.college_code, s.roll_no, s.dob)
            for c, course in enumerate(_courses(s.program_code)):
                key = f"{s.college_code}/{course}"
                dates = schedules.setdefault(key, _class_dates(rng, CLASSES_PER_COURSE))
                p = min(1.0, max(0.0, s.diligence + rng.gauss(0, 0.08)))
                if i == 0 and c == 0:
                    p = 0.0  # a student at 0% in a course
                if i == 1 and c == 0:
                    p = 1.0  # a student at 100% in a course
                has_attendance = not (i % 50 == 7 and c == 1)  # exam rows without attendance
                has_exam = not (i % 50 == 11 and c == 2)  # attendance without exam rows
                present = 0
                if has_attendance:
                    for d in dates:
                        status = "P" if rng.random() < p else "A"
                        present += status == "P"
                        w["attendance"].writerow(ident + (course, d, status))
                if has_exam:
                    internal, external = _marks(rng, present / len(dates) if has_attendance else p)
                    w["exams"].writerow(ident + (course, internal, external, internal + external))
            # Placement season: final-year students (passing in 2024 or 2025) get offers between
            # August of the year before they pass and April of their passing year; ~30% get none.
            passing_year = s.admission_year + PROGRAM_YEARS[s.program_code]
            if passing_year in (2024, 2025) and placement_rng.random() < 0.7:
                for _ in range(placement_rng.choices((1, 2, 3), (70, 22, 8))[0]):
                    w["placements"].writerow(ident + (
                        placement_rng.choice(COMPANIES), placement_rng.choice(ROLES),
                        round(placement_rng.lognormvariate(1.6, 0.45), 2),
                        (date(passing_year - 1, 8, 1)
                         + timedelta(placement_rng.randrange(272))).isoformat(),
                    ))
        # Rows whose roll_no/dob match no student: the notebook drops them without a word.
        ghost = ("AKTU001", "AKTU001-CSE-2022-9999", "2003-03-03")
        for d in _class_dates(rng, 5):
            w["attendance"].writerow(ghost + ("CSE401", d, rng.choice("PA")))
        w["exams"].writerow(ghost + ("CSE401", 20, 40, 60))
        w["placements"].writerow(ghost + ("Infosys", "Analyst", 4.5, "2024-01-15"))
    finally:
        for h in handles.values():
            h.close()
        attendance.close()
    paths["attendance"] = attendance.paths()[0]
    return paths
