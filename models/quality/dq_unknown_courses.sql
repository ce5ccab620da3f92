-- Course codes in the attendance or exam data that the course seed does not know: their
-- attendance gets no semester and their results no grade until the seeds list them (with a
-- marking scheme). One row per file kind and course code. Both are counted from their per-pair
-- aggregates (rows per pair summed), not re-read row by row.
with

courses as (

    select * from {{ ref('courses') }}

),

attendance_pairs as (

    select * from {{ ref('int_attendance_summed_to_student_courses') }}

),

exam_pairs as (

    select * from {{ ref('int_exam_results_averaged_to_student_courses') }}

),

-- Per file kind, the course codes the seed does not know, found before the two are put together.
unknown_in_attendance as (

    select
        'attendance' as file_kind,
        attendance_pairs.course_code,
        sum(attendance_pairs.classes_held) as source_rows,
        count(distinct attendance_pairs.student_hash) as student_count

    from attendance_pairs
    left join courses
        on attendance_pairs.course_code = courses.course_code
    where courses.course_code is null
    group by attendance_pairs.course_code

),

unknown_in_exam_results as (

    select
        'exam_results' as file_kind,
        exam_pairs.course_code,
        sum(exam_pairs.exam_rows) as source_rows,
        count(distinct exam_pairs.student_hash) as student_count

    from exam_pairs
    left join courses
        on exam_pairs.course_code = courses.course_code
    where courses.course_code is null
    group by exam_pairs.course_code

),

unknown as (

    select * from unknown_in_attendance

    union all

    select * from unknown_in_exam_results

),

final as (

    select
        {{ as_varchar('file_kind', 32) }} as file_kind,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('source_rows') }} as source_rows,
        {{ as_bigint('student_count') }} as student_count

    from unknown

)

select * from final
