-- Exam result per student and course (students in the master): the marks against the marking
-- scheme of the student's batch, percentage, pass or fail by the pass rules, letter grade and
-- grade point. Courses missing from the seeds stay, ungraded (see dq_unknown_courses).
{%- set result_status = academics_result_status(
    'external_marks', 'total_marks', 'max_external_marks', 'max_total_marks'
) %}
{%- set reaches_grade = academics_reaches_pct(
    'judged.total_marks', 'judged.max_total_marks', 'grade_scale.min_pct'
) %}
{%- set is_passed = "case when result_status = 'not_graded' then null"
    ~ " else result_status = 'pass' end" %}
with

performance as (

    select * from {{ ref('fct_student_course_performance') }}

),

-- distinct (a no-op: one row per student) makes MariaDB/MySQL materialise this side with a key
-- for the join instead of comparing every exam row with every student.
students as (

    select distinct
        student_hash,
        admission_year

    from {{ ref('dim_students') }}

),

course_schemes as (

    select * from {{ ref('int_courses_joined_to_mark_schemes') }}

),

grade_scale as (

    select * from {{ ref('grade_scale') }}

),

schemed as (

    select
        performance.student_hash,
        performance.course_code,
        course_schemes.semester,
        course_schemes.course_type,
        course_schemes.credits,
        performance.internal_marks,
        performance.external_marks,
        performance.total_marks,
        course_schemes.max_internal_marks,
        course_schemes.max_external_marks,
        course_schemes.max_total_marks

    from performance
    inner join students
        on performance.student_hash = students.student_hash
    left join course_schemes
        on performance.course_code = course_schemes.course_code
        and {{ academics_scheme_applies('course_schemes', 'students.admission_year') }}

),

judged as (

    select
        schemed.*,
        {{ result_status }} as result_status

    from schemed

),

-- Passed papers take the highest band their percentage reaches among the passing grades; every
-- paper not passed takes the fail grade, whatever its percentage; ungraded papers none.
grade_candidates as (

    select
        judged.*,
        grade_scale.grade_letter,
        grade_scale.grade_point,
        row_number() over (
            partition by judged.student_hash, judged.course_code
            order by grade_scale.min_pct desc
        ) as grade_rank

    from judged
    left join grade_scale
        on (
            judged.result_status = 'pass'
            and not grade_scale.is_fail_grade
            and {{ reaches_grade }}
        )
        or (
            judged.result_status not in ('pass', 'not_graded')
            and grade_scale.is_fail_grade
        )

),

with_grades as (

    select * from grade_candidates
    where grade_rank = 1

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('semester') }} as semester,
        {{ as_varchar('course_type', 16) }} as course_type,
        {{ as_bigint('credits') }} as credits,
        {{ as_double('internal_marks') }} as internal_marks,
        {{ as_double('external_marks') }} as external_marks,
        {{ as_double('total_marks') }} as total_marks,
        {{ as_bigint('max_internal_marks') }} as max_internal_marks,
        {{ as_bigint('max_external_marks') }} as max_external_marks,
        {{ as_bigint('max_total_marks') }} as max_total_marks,
        {{ as_double(safe_divide('100 * ' ~ as_double('total_marks'), 'max_total_marks')) }}
            as total_pct,
        {{ as_double(safe_divide('100 * ' ~ as_double('external_marks'), 'max_external_marks')) }}
            as external_pct,
        {{ as_varchar('result_status', 32) }} as result_status,
        {{ as_boolean(is_passed) }} as is_passed,
        {{ as_boolean("result_status <> 'not_graded'") }} as is_graded,
        {{ as_varchar('grade_letter', 8) }} as grade_letter,
        {{ as_double('grade_point') }} as grade_point

    from with_grades

)

select * from final
