-- The notebook's corr_df: one row per (student_hash, course_code) in the exam results of a
-- student in the master, with that pair's attendance (null when no attendance was recorded).
{{ config(post_hook="{{ aktu_index(['student_hash', 'course_code'], unique=true) }}") }}

with

exams as (

    select * from {{ ref('int_exam_results_averaged_to_student_courses') }}

),

attendance as (

    select * from {{ ref('fct_student_course_attendance') }}

),

students as (

    select student_hash from {{ ref('dim_students') }}

),

exams_of_known_students as (

    select exams.*
    from exams
    inner join students
        on exams.student_hash = students.student_hash

),

joined as (

    select
        exams_of_known_students.student_hash,
        exams_of_known_students.course_code,
        attendance.classes_held,
        attendance.classes_attended,
        attendance.attendance_pct,
        exams_of_known_students.exam_rows,
        exams_of_known_students.internal_marks,
        exams_of_known_students.external_marks,
        exams_of_known_students.total_marks

    from exams_of_known_students
    left join attendance
        on exams_of_known_students.student_hash = attendance.student_hash
        and exams_of_known_students.course_code = attendance.course_code

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('classes_held') }} as classes_held,
        {{ as_bigint('classes_attended') }} as classes_attended,
        {{ as_double('attendance_pct') }} as attendance_pct,
        {{ as_bigint('exam_rows') }} as exam_rows,
        {{ as_double('internal_marks') }} as internal_marks,
        {{ as_double('external_marks') }} as external_marks,
        {{ as_double('total_marks') }} as total_marks,
        {{ as_boolean('attendance_pct is not null') }} as has_attendance

    from joined

)

select * from final
