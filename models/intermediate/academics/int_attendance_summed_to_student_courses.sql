-- One row per (student_hash, course_code) seen in attendance, orphans included:
-- the marts decide what to keep. present_flag is 0/1, so its sum is the classes attended.
with

attendance as (

    select * from {{ ref('stg_aktu__attendance') }}

),

summed as (

    select
        student_hash,
        course_code,
        count(*) as classes_held,
        sum(present_flag) as classes_attended,
        min(class_date) as first_class_date,
        max(class_date) as last_class_date

    from attendance
    group by student_hash, course_code

)

select * from summed
