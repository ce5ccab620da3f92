-- Attendance per student and course, for students in the master only (the notebook's inner
-- effect: rows whose roll_no/dob match no student get no hash and drop out; see rpt_orphan_rows).
-- Rebuilt each run from the compact per-pair aggregate, never from the daily attendance rows.
{{ config(post_hook="{{ aktu_index(['student_hash', 'course_code'], unique=true) }}") }}

with

attendance as (

    select * from {{ ref('int_attendance_summed_to_student_courses') }}

),

students as (

    select student_hash from {{ ref('dim_students') }}

),

matched as (

    select attendance.*
    from attendance
    inner join students
        on attendance.student_hash = students.student_hash

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('classes_held') }} as classes_held,
        {{ as_bigint('classes_attended') }} as classes_attended,
        {{ as_double(percentage('classes_attended', 'classes_held')) }}
            as attendance_pct,
        {{ as_date('first_class_date') }} as first_class_date,
        {{ as_date('last_class_date') }} as last_class_date

    from matched

)

select * from final
