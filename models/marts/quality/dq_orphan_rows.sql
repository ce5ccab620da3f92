-- Attendance and exam rows whose college_code-roll_no-dob matches no student of the master, one
-- row per source row, so a college can find and fix them (rpt_orphan_rows counts them per file
-- kind). No roll_no or dob: the source file and line point at the row.
with

students as (

    select distinct student_hash from {{ ref('stg_aktu__students') }}

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
        student_hash,
        college_code,
        course_code,
        source_file,
        source_line

    from attendance

    union all

    select
        'exam_results' as file_kind,
        student_hash,
        college_code,
        course_code,
        source_file,
        source_line

    from exam_results

),

orphans as (

    select source_rows.*
    from source_rows
    left join students
        on source_rows.student_hash = students.student_hash
    where students.student_hash is null

),

final as (

    select
        {{ as_varchar('file_kind', 32) }} as file_kind,
        {{ as_varchar('source_file', 255) }} as source_file,
        {{ as_bigint('source_line') }} as source_line,
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_varchar('student_hash', 64) }} as student_hash

    from orphans

)

select * from final
