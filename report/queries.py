"""The report's SQL: every query aggregates in the warehouse (one row per group), except the
sampled attendance-vs-marks points, which carry a college and two numbers, no identifier.

Written once for DuckDB, MariaDB/MySQL 8 and Spark: lowercase, window functions and plain
aggregates only, numbers cast in pandas rather than in SQL (the engines spell casts apart)."""

from __future__ import annotations

import math

import pandas as pd

from report.source import Marts


def attendance_bins(marts: Marts, threshold: float, width: float) -> pd.DataFrame:
    """Student-course pairs per college and attendance bin; bins are `width` points wide with
    an edge on `threshold`, so no bin straddles the eligibility line; 100 % is in the top bin."""
    top_bin = math.ceil((100 - threshold) / width) - 1
    sql = f"""
with

attendance as (
    select student_hash, attendance_pct
    from {marts.relation('fct_student_course_attendance')}
),

students as (
    select student_hash, college_code
    from {marts.relation('dim_students')}
),

binned as (
    select
        students.college_code,
        attendance.student_hash,
        least(
            floor((attendance.attendance_pct - {threshold!r}) / {width!r}), {top_bin}
        ) as bin_index
    from attendance
    inner join students on attendance.student_hash = students.student_hash
)

select
    college_code,
    bin_index,
    count(*) as pairs,
    count(distinct student_hash) as students
from binned
group by college_code, bin_index
"""
    return marts.frame(sql, ["college_code", "bin_index", "pairs", "students"])


def college_sizes(marts: Marts) -> pd.DataFrame:
    """Students with attendance, and their student-course pairs, per college."""
    sql = f"""
with

attendance as (
    select student_hash
    from {marts.relation('fct_student_course_attendance')}
),

students as (
    select student_hash, college_code
    from {marts.relation('dim_students')}
)

select
    students.college_code,
    count(*) as pairs,
    count(distinct attendance.student_hash) as students
from attendance
inner join students on attendance.student_hash = students.student_hash
group by students.college_code
"""
    return marts.frame(sql, ["college_code", "pairs", "students"])


def eligibility_by_course(marts: Marts) -> pd.DataFrame:
    """Per course: students with attendance, how many are condonable or detained, and the
    further classes the short students need altogether."""
    sql = f"""
with

eligibility as (
    select student_hash, course_code, eligibility_status, classes_needed
    from {marts.relation('fct_exam_eligibility')}
)

select
    course_code,
    count(distinct student_hash) as students,
    sum(case when eligibility_status = 'condonable' then 1 else 0 end) as condonable,
    sum(case when eligibility_status = 'detained' then 1 else 0 end) as detained,
    sum(case when eligibility_status <> 'eligible' then classes_needed else 0 end)
        as classes_needed_total
from eligibility
group by course_code
"""
    return marts.frame(sql, ["course_code", "students", "condonable", "detained",
                             "classes_needed_total"])


_PAIRS = """
with

performance as (
    select student_hash, course_code, attendance_pct, total_marks
    from {performance}
    where attendance_pct is not null and total_marks is not null
),

students as (
    select student_hash, college_code
    from {students}
),

paired as (
    select
        students.college_code,
        performance.student_hash,
        performance.course_code,
        performance.attendance_pct,
        performance.total_marks
    from performance
    inner join students on performance.student_hash = students.student_hash
)
"""


def attendance_marks_fit(marts: Marts) -> pd.DataFrame:
    """Moments per college for the least-squares line of total marks on attendance %, over
    every pair (not the sample)."""
    sql = _PAIRS.format(performance=marts.relation("fct_student_course_performance"),
                        students=marts.relation("dim_students")) + """
select
    college_code,
    count(*) as n_pairs,
    avg(attendance_pct) as mean_x,
    avg(total_marks) as mean_y,
    avg(attendance_pct * attendance_pct) as mean_xx,
    avg(attendance_pct * total_marks) as mean_xy
from paired
group by college_code
"""
    return marts.frame(sql, ["college_code", "n_pairs", "mean_x", "mean_y", "mean_xx", "mean_xy"])


def attendance_marks_sample(marts: Marts, points_per_college: int) -> pd.DataFrame:
    """Every k-th pair of each college in student_hash order (a pseudo-random order), about
    `points_per_college` per college: the college and the two numbers, nothing else."""
    sql = _PAIRS.format(performance=marts.relation("fct_student_course_performance"),
                        students=marts.relation("dim_students")) + f""",

numbered as (
    select
        college_code,
        attendance_pct,
        total_marks,
        row_number() over (
            partition by college_code order by student_hash, course_code
        ) as pair_number,
        count(*) over (partition by college_code) as college_pairs
    from paired
)

select college_code, attendance_pct, total_marks
from numbered
where mod(pair_number, ceil(college_pairs / {int(points_per_college)})) = 0
"""
    return marts.frame(sql, ["college_code", "attendance_pct", "total_marks"])


def correlation_by_college(marts: Marts) -> pd.DataFrame:
    sql = f"""
select scope_value, is_small_cell, student_count, n_pairs, pearson_r
from {marts.relation('mart_attendance_marks_correlation')}
where scope = 'college'
"""
    return marts.frame(sql, ["college_code", "is_small_cell", "student_count", "n_pairs",
                             "pearson_r"])


def sgpa_bands(marts: Marts) -> pd.DataFrame:
    """Students per whole-point SGPA band and result of their latest semester."""
    sql = f"""
with

latest as (
    select student_hash, sgpa, result_status
    from {marts.relation('fct_semester_results')}
    where is_latest_semester and sgpa is not null
)

select
    floor(sgpa) as sgpa_band,
    result_status,
    count(distinct student_hash) as students
from latest
group by floor(sgpa), result_status
"""
    return marts.frame(sql, ["sgpa_band", "result_status", "students"])


def placement_outcomes(marts: Marts) -> pd.DataFrame:
    sql = f"""
select
    college_code, program_code, passing_year, is_small_cell, final_year_student_count,
    placed_student_count, placement_rate_pct, median_package_lpa
from {marts.relation('mart_placement_outcomes')}
"""
    return marts.frame(sql, ["college_code", "program_code", "passing_year", "is_small_cell",
                             "final_year_student_count", "placed_student_count", "placement_rate_pct",
                             "median_package_lpa"])


def file_loads(marts: Marts) -> pd.DataFrame:
    """Each file's latest completed load: rows read, rejected and exactly duplicated. From the
    loader audit's staging view: counts and file names only (no mart carries them)."""
    sql = f"""
with

loads as (
    select file_name, file_kind, rows_read, rows_rejected, rows_duplicate, load_started_at
    from {marts.relation('stg_aktu__file_loads', 'staging')}
    where load_status = 'loaded'
),

latest as (
    select file_name, max(load_started_at) as load_started_at
    from loads
    group by file_name
)

select
    loads.file_name,
    loads.file_kind,
    loads.rows_read,
    loads.rows_rejected,
    loads.rows_duplicate,
    loads.load_started_at
from loads
inner join latest
    on loads.file_name = latest.file_name
    and loads.load_started_at = latest.load_started_at
"""
    return marts.frame(sql, ["file_name", "file_kind", "rows_read", "rows_rejected",
                             "rows_duplicate", "load_started_at"])


def orphan_rows(marts: Marts) -> pd.DataFrame:
    sql = f"""
select file_kind, total_rows, orphan_rows, orphan_pct
from {marts.relation('rpt_orphan_rows')}
"""
    return marts.frame(sql, ["file_kind", "total_rows", "orphan_rows", "orphan_pct"])


def attendance_period(marts: Marts) -> pd.DataFrame:
    sql = f"""
select min(first_class_date) as first_class_date, max(last_class_date) as last_class_date
from {marts.relation('fct_student_course_attendance')}
"""
    return marts.frame(sql, ["first_class_date", "last_class_date"])
