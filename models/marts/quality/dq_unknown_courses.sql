-- Course codes in the attendance or exam data that the course seed does not know: their
-- attendance gets no semester and their results no grade until the seeds list them (with a
-- marking scheme). One row per file kind and course code. Attendance is counted from its
-- per-pair aggregate, not re-read row by row.
with

courses as (

    select * from {{ ref('courses') }}

),

attendance_pairs as (

    select * from {{ ref('int_attendance_summed_to_student_courses') }}

),

exam_results as (

    select * from {{ ref('stg_aktu__exam_results') }}

),

source_rows as (

    select
        'attendance' as file_kind,
        course_code,
        student_hash,
        classes_held as counted_rows

    from attendance_pairs

    union all

    select
        'exam_results' as file_kind,
        course_code,
        student_hash,
        1 as counted_rows

    from exam_results

),

unknown as (

    select
        source_rows.file_kind,
        source_rows.course_code,
        sum(source_rows.counted_rows) as source_rows,
        count(distinct source_rows.student_hash) as students

    from source_rows
    left join courses
        on source_rows.course_code = courses.course_code
    where courses.course_code is null
    group by source_rows.file_kind, source_rows.course_code

),

final as (

    select
        {{ as_varchar('file_kind', 32) }} as file_kind,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('source_rows') }} as source_rows,
        {{ as_bigint('students') }} as students

    from unknown

)

select * from final
