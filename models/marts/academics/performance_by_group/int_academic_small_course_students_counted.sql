-- Per figure, the distinct students behind the courses whose figure is hidden for being small
-- (a student in several hidden courses counts once): what the complementary suppression of the
-- course scope protects. One row. Ephemeral: a step of mart_academic_performance_by_group.
with

course_groups as (

    select * from {{ ref('int_academic_course_groups_summed') }}

),

attendance as (

    select * from {{ ref('fct_student_course_attendance') }}

),

graded_results as (

    select * from {{ ref('int_exam_results_graded') }}

),

-- The courses with a figure hidden for being small (few or none), and which figures.
small_courses as (

    select
        scope_value as course_code,
        case
            when {{ academics_is_small_group('student_count') }} then 1 else 0
        end as is_student_count_hidden,
        case
            when {{ academics_is_small_group('attendance_student_count') }} then 1 else 0
        end as is_attendance_hidden,
        case
            when {{ academics_is_small_group('result_student_count') }} then 1 else 0
        end as is_pass_rate_hidden

    from course_groups
    where
        {{ academics_is_small_group('student_count') }}
        or {{ academics_is_small_group('attendance_student_count') }}
        or {{ academics_is_small_group('result_student_count') }}

),

-- The two kinds of student-course fact a course group counts.
unit_kinds as (

    select 'attendance' as unit_kind
    union all
    select 'result' as unit_kind

),

-- The student-courses in those courses, once per kind of fact, and per figure whether the
-- figure of its course is hidden: attendance counts in the attendance figure, a graded result
-- in the pass rate.
hidden_course_units as (

    select
        coalesce(attendance.student_hash, graded_results.student_hash) as student_hash,
        small_courses.is_student_count_hidden,
        case
            when unit_kinds.unit_kind = 'attendance' then small_courses.is_attendance_hidden
            else 0
        end as is_attendance_hidden,
        case
            when unit_kinds.unit_kind = 'result' then small_courses.is_pass_rate_hidden
            else 0
        end as is_pass_rate_hidden

    from small_courses
    cross join unit_kinds
    left join attendance
        on unit_kinds.unit_kind = 'attendance'
        and small_courses.course_code = attendance.course_code
    left join graded_results
        on unit_kinds.unit_kind = 'result'
        and small_courses.course_code = graded_results.course_code
    where attendance.student_hash is not null
        or graded_results.student_hash is not null

),

final as (

    select
        'course' as scope,
        count(distinct case when is_student_count_hidden = 1 then student_hash end)
            as student_count_hidden_student_count,
        count(distinct case when is_attendance_hidden = 1 then student_hash end)
            as attendance_hidden_student_count,
        count(distinct case when is_pass_rate_hidden = 1 then student_hash end)
            as pass_rate_hidden_student_count,
        0 as sgpa_hidden_student_count

    from hidden_course_units

)

select * from final
