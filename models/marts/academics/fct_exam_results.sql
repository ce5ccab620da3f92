-- Exam result per student and course (students in the master): the marks against the marking
-- scheme of the student's batch, percentage, pass or fail by the pass rules, letter grade and
-- grade point. Courses missing from the seeds stay, ungraded (see dq_unknown_courses).
-- Reads the exam aggregate, not fct_student_course_performance: nothing here comes from
-- attendance, so the daily job (selectors.yml) leaves it, and fct_semester_results, alone.
{{ config(post_hook="{{ aktu_index(['student_hash', 'course_code'], unique=true) }}") }}
{%- set result_status = academics_result_status(
    'external_marks', 'total_marks', 'max_external_marks', 'max_total_marks'
) %}
{%- set is_passed = "case when result_status = 'not_graded' then null"
    ~ " else result_status = 'pass' end" %}
with

exams as (

    select * from {{ ref('int_exam_results_averaged_to_student_courses') }}

),

students as (

    select * from {{ ref('dim_students') }}

),

course_schemes as (

    select * from {{ ref('int_courses_joined_to_mark_schemes') }}

),

grade_scale as (

    select * from {{ ref('grade_scale') }}

),

-- Each grade with the lower bound of the next grade of its kind (passing or fail): a passed
-- paper's grade is the one whose band [min_pct, next_min_pct) holds its percentage, i.e. the
-- highest it reaches, found by one join instead of ranking every reached grade per paper.
grade_bands as (

    select
        grade_letter,
        grade_point,
        is_fail_grade,
        min_pct,
        lead(min_pct) over (
            partition by is_fail_grade
            order by min_pct
        ) as next_min_pct

    from grade_scale

),

schemed as (

    select
        exams.student_hash,
        exams.course_code,
        course_schemes.semester,
        course_schemes.course_type,
        course_schemes.credits,
        exams.internal_marks,
        exams.external_marks,
        exams.total_marks,
        course_schemes.max_internal_marks,
        course_schemes.max_external_marks,
        course_schemes.max_total_marks

    from exams
    inner join students
        on exams.student_hash = students.student_hash
    left join course_schemes
        on exams.course_code = course_schemes.course_code
        and {{ academics_scheme_applies('course_schemes', 'students.admission_year') }}

),

judged as (

    select
        schemed.*,
        {{ result_status }} as result_status

    from schemed

),

-- Passed papers take the highest band their percentage reaches among the passing grades; every
-- paper not passed takes the fail grade (the highest, should there be several), whatever its
-- percentage; ungraded papers none.
with_grades as (

    select
        judged.*,
        grade_bands.grade_letter,
        grade_bands.grade_point

    from judged
    left join grade_bands
        on (
            judged.result_status = 'pass'
            and not grade_bands.is_fail_grade
            and {{ academics_in_band(
                'judged.total_marks', 'judged.max_total_marks', 'grade_bands'
            ) }}
        )
        or (
            judged.result_status not in ('pass', 'not_graded')
            and grade_bands.is_fail_grade
            and grade_bands.next_min_pct is null
        )

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
        {{ as_double(percentage('total_marks', 'max_total_marks')) }}
            as total_pct,
        {{ as_double(percentage('external_marks', 'max_external_marks')) }}
            as external_pct,
        {{ as_varchar('result_status', 32) }} as result_status,
        {{ as_boolean(is_passed) }} as is_passed,
        {{ as_boolean("result_status <> 'not_graded'") }} as is_graded,
        {{ as_varchar('grade_letter', 8) }} as grade_letter,
        {{ as_double('grade_point') }} as grade_point

    from with_grades

)

select * from final
