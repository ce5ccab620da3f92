-- Exam rows whose internal, external or total marks are negative or above the maximum of the
-- marking scheme that applies to the student's batch (seed course_mark_schemes). Rows of unknown
-- students or courses are not checked here (dq_orphan_rows, dq_unknown_courses).
with

exam_results as (

    select {{ aktu_compute_once() }}
        source_file,
        source_line,
        student_hash,
        course_code,
        internal_marks,
        external_marks,
        total_marks

    from {{ ref('stg_aktu__exam_results') }}

),

students as (

    select {{ aktu_compute_once() }}
        student_hash,
        admission_year

    from {{ ref('dim_students') }}

),

course_schemes as (

    select * from {{ ref('int_courses_joined_to_mark_schemes') }}

),

schemed as (

    select
        exam_results.source_file,
        exam_results.source_line,
        exam_results.student_hash,
        exam_results.course_code,
        exam_results.internal_marks,
        exam_results.external_marks,
        exam_results.total_marks,
        course_schemes.max_internal_marks,
        course_schemes.max_external_marks,
        course_schemes.max_total_marks

    from exam_results
    inner join students
        on exam_results.student_hash = students.student_hash
    inner join course_schemes
        on exam_results.course_code = course_schemes.course_code
        and {{ academics_scheme_applies('course_schemes', 'students.admission_year') }}

),

checked as (

    select
        schemed.*,
        case
            when internal_marks < 0 or internal_marks > max_internal_marks then 1 else 0
        end as internal_flag,
        case
            when external_marks < 0 or external_marks > max_external_marks then 1 else 0
        end as external_flag,
        case
            when total_marks < 0 or total_marks > max_total_marks then 1 else 0
        end as total_flag

    from schemed

),

final as (

    select
        {{ as_varchar('source_file', 255) }} as source_file,
        {{ as_bigint('source_line') }} as source_line,
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_double('internal_marks') }} as internal_marks,
        {{ as_double('external_marks') }} as external_marks,
        {{ as_double('total_marks') }} as total_marks,
        {{ as_bigint('max_internal_marks') }} as max_internal_marks,
        {{ as_bigint('max_external_marks') }} as max_external_marks,
        {{ as_bigint('max_total_marks') }} as max_total_marks,
        {{ as_boolean('internal_flag = 1') }} as is_internal_out_of_range,
        {{ as_boolean('external_flag = 1') }} as is_external_out_of_range,
        {{ as_boolean('total_flag = 1') }} as is_total_out_of_range

    from checked
    where internal_flag + external_flag + total_flag > 0

)

select * from final
