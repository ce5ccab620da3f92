"""The lead's marts (issue 2) and their keys, compared by several test modules."""

CORE_MARTS: dict[str, list[str]] = {
    "dim_students": ["student_hash"],
    "fct_student_course_attendance": ["student_hash", "course_code"],
    "fct_student_course_performance": ["student_hash", "course_code"],
    "mart_attendance_marks_correlation": ["scope", "scope_value"],
    "rpt_orphan_rows": ["file_kind"],
}
