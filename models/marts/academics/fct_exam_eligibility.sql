-- Exam eligibility on attendance, per student and course with attendance: eligible, condonable
-- or detained (macros/academics/academic_rules.sql), and how many further classes, all attended,
-- would bring the student to the minimum. Every comparison is on whole numbers of classes.
{{ config(post_hook="{{ aktu_index(['student_hash', 'course_code'], unique=true) }}") }}
with

attendance as (

    select * from {{ ref('fct_student_course_attendance') }}

),

courses as (

    select * from {{ ref('courses') }}

),

attendance_bands as (

    select * from {{ ref('attendance_bands') }}

),

with_course as (

    select
        attendance.student_hash,
        attendance.course_code,
        courses.semester,
        attendance.classes_held,
        attendance.classes_attended,
        attendance.attendance_pct

    from attendance
    left join courses
        on attendance.course_code = courses.course_code

),

-- Each band with the lower bound of the next one up: the band of an attendance is the one whose
-- [min_pct, next_min_pct) holds it, i.e. the highest whose lower bound it reaches, found by one
-- join instead of ranking every band reached per student and course.
bands as (

    select
        band_code,
        min_pct,
        lead(min_pct) over (
            order by min_pct
        ) as next_min_pct

    from attendance_bands

),

-- The band is the highest whose lower bound the attendance reaches, on whole classes.
banded as (

    select
        with_course.*,
        bands.band_code as attendance_band

    from with_course
    left join bands
        on {{ academics_in_band(
            'with_course.classes_attended', 'with_course.classes_held', 'bands'
        ) }}

),

classified as (

    select
        banded.*,
        {{ academics_eligibility_status('classes_attended', 'classes_held') }}
            as eligibility_status,
        {{ academics_classes_needed('classes_attended', 'classes_held') }} as classes_needed

    from banded

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('semester') }} as semester,
        {{ as_bigint('classes_held') }} as classes_held,
        {{ as_bigint('classes_attended') }} as classes_attended,
        {{ as_double('attendance_pct') }} as attendance_pct,
        {{ as_varchar('attendance_band', 16) }} as attendance_band,
        {{ as_varchar('eligibility_status', 16) }} as eligibility_status,
        {{ as_boolean("eligibility_status = 'eligible'") }} as is_eligible,
        {{ as_bigint('classes_needed') }} as classes_needed

    from classified

)

select * from final
