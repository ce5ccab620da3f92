-- Attendance and exam rows whose college_code-roll_no-dob matches no student of the master, one
-- row per source row, so a college can find and fix them (rpt_orphan_rows counts them per file
-- kind). No roll_no or dob: the source file and line point at the row.
with

-- One row per student of the master: dim_students, a table with a unique index on student_hash.
students as (

    select student_hash from {{ ref('dim_students') }}

),

attendance as (

    select * from {{ ref('stg_aktu__attendance') }}

),

exam_results as (

    select * from {{ ref('stg_aktu__exam_results') }}

),

-- Each row's student looked up in dim_students.
attendance_orphans as (

    select
        'attendance' as file_kind,
        attendance.student_hash,
        attendance.college_code,
        attendance.course_code,
        attendance.source_file,
        attendance.source_line

    from attendance
    {{ join_master_students('attendance') }}
    where {{ is_orphan() }}

),

exam_orphans as (

    select
        'exam_results' as file_kind,
        exam_results.student_hash,
        exam_results.college_code,
        exam_results.course_code,
        exam_results.source_file,
        exam_results.source_line

    from exam_results
    {{ join_master_students('exam_results') }}
    where {{ is_orphan() }}

),

-- The union holds only orphans.
orphans as (

    select * from attendance_orphans
    union all
    select * from exam_orphans

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
