-- One row per course and marking scheme: the course (seed courses) with the maximum internal,
-- external and total marks that apply to students admitted in the scheme's batches (seed
-- course_mark_schemes). A student's scheme is the row whose admission-year range holds the
-- student's admission_year; empty range ends are open.
with

courses as (

    select * from {{ ref('courses') }}

),

mark_schemes as (

    select * from {{ ref('course_mark_schemes') }}

),

joined as (

    select
        courses.course_code,
        courses.program_code,
        courses.semester,
        courses.credits,
        courses.course_type,
        mark_schemes.first_admission_year,
        mark_schemes.last_admission_year,
        mark_schemes.max_internal_marks,
        mark_schemes.max_external_marks,
        mark_schemes.max_internal_marks + mark_schemes.max_external_marks as max_total_marks

    from courses
    inner join mark_schemes
        on courses.course_code = mark_schemes.course_code

)

select * from joined
