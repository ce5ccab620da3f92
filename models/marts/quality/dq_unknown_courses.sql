-- Course codes in the attendance or exam data that the course seed does not know: their
-- attendance gets no semester and their results no grade until the seeds list them (with a
-- marking scheme). One row per file kind and course code.
with

courses as (

    select * from {{ ref('courses') }}

),

attendance as (

    select * from {{ ref('stg_aktu__attendance') }}

),

exam_results as (

    select * from {{ ref('stg_aktu__exam_results') }}

),

source_rows as (

    select
        'attendance' as file_kind,
        course_code,
        student_hash

    from attendance

    union all

    select
        'exam_results' as file_kind,
        course_code,
        student_hash

    from exam_results

),

unknown as (

    select
        source_rows.file_kind,
        source_rows.course_code,
        count(*) as source_rows,
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
