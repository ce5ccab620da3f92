-- Early warning, before the end-semester results: the (student, course) pairs where attendance
-- is below aktu_academics_early_warning_attendance_pct AND internal (sessional) marks are below
-- aktu_academics_early_warning_internal_pct of their maximum. Needs attendance and internal marks
-- only; end-semester marks, if already in, are not used.
{% set attendance_pct = academics_pct_var('aktu_academics_early_warning_attendance_pct') %}
{% set internal_pct = academics_pct_var('aktu_academics_early_warning_internal_pct') %}
with

eligibility as (

    select * from {{ ref('fct_exam_eligibility') }}

),

-- Both are joined through their unique indexes (student_hash, course_code / student_hash).
results as (

    select * from {{ ref('fct_exam_results') }}

),

students as (

    select * from {{ ref('dim_students') }}

),

joined as (

    select
        eligibility.student_hash,
        students.college_code,
        students.program_code,
        eligibility.course_code,
        eligibility.semester,
        eligibility.classes_held,
        eligibility.classes_attended,
        eligibility.attendance_pct,
        eligibility.eligibility_status,
        eligibility.classes_needed,
        results.internal_marks,
        results.max_internal_marks,
        results.external_marks

    from eligibility
    inner join results
        on eligibility.student_hash = results.student_hash
        and eligibility.course_code = results.course_code
    inner join students
        on eligibility.student_hash = students.student_hash

),

flagged as (

    select * from joined
    where not {{ academics_reaches_pct('classes_attended', 'classes_held', attendance_pct) }}
        and internal_marks is not null
        and max_internal_marks is not null
        and not {{ academics_reaches_pct('internal_marks', 'max_internal_marks', internal_pct) }}

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_varchar('program_code', 64) }} as program_code,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('semester') }} as semester,
        {{ as_bigint('classes_held') }} as classes_held,
        {{ as_bigint('classes_attended') }} as classes_attended,
        {{ as_double('attendance_pct') }} as attendance_pct,
        {{ as_varchar('eligibility_status', 16) }} as eligibility_status,
        {{ as_bigint('classes_needed') }} as classes_needed,
        {{ as_double('internal_marks') }} as internal_marks,
        {{ as_bigint('max_internal_marks') }} as max_internal_marks,
        {{ as_double(percentage('internal_marks', 'max_internal_marks')) }}
            as internal_pct,
        {{ as_boolean('external_marks is not null') }} as has_end_semester_marks

    from flagged

)

select * from final
