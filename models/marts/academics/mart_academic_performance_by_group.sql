-- Attendance %, pass rate and mean SGPA overall and by college, program, course, gender,
-- category, domicile state and disability, with small-cell suppression: a figure computed from
-- fewer than var('aktu_small_cell_min_students') students is not shown, and where hiding it
-- could be undone by subtraction (overall minus the other groups of the scope), the smallest
-- group still shown in that scope is hidden as well (complementary suppression).
--
-- The groups and their figures: int_academic_groups_measured; the students behind the hidden
-- course groups: int_academic_small_course_students_counted.
with

groups_measured as (

    select * from {{ ref('int_academic_groups_measured') }}

),

course_hidden as (

    select * from {{ ref('int_academic_small_course_students_counted') }}

),

-- Per scope and figure, the groups from the smallest shown (1) up, then the hidden ones; and the
-- students of the groups whose figure is hidden for being small, summed over those groups.
sized as (

    select
        groups_measured.*,
        {{ academics_shown_size_rank('student_count') }} as student_count_size_rank,
        {{ academics_shown_size_rank('attendance_student_count') }} as attendance_size_rank,
        {{ academics_shown_size_rank('result_student_count') }} as pass_rate_size_rank,
        {{ academics_shown_size_rank('sgpa_student_count') }} as sgpa_size_rank,
        {{ academics_small_group_student_count('student_count') }}
            as student_count_small_group_student_count,
        {{ academics_small_group_student_count('attendance_student_count') }}
            as attendance_small_group_student_count,
        {{ academics_small_group_student_count('result_student_count') }}
            as pass_rate_small_group_student_count,
        {{ academics_small_group_student_count('sgpa_student_count') }}
            as sgpa_small_group_student_count

    from groups_measured

),

-- Per scope and figure, the distinct students behind the groups whose figure is hidden for
-- being small. A student is in one group of each scope but course, so there they are the small
-- groups' students summed; a student in several hidden courses counts once (course_hidden, whose
-- one row joins the course scope only).
ranked as (

    select
        sized.*,
        coalesce(
            course_hidden.student_count_hidden_student_count,
            sized.student_count_small_group_student_count
        ) as student_count_hidden_student_count,
        coalesce(
            course_hidden.attendance_hidden_student_count,
            sized.attendance_small_group_student_count
        ) as attendance_hidden_student_count,
        coalesce(
            course_hidden.pass_rate_hidden_student_count,
            sized.pass_rate_small_group_student_count
        ) as pass_rate_hidden_student_count,
        coalesce(
            course_hidden.sgpa_hidden_student_count,
            sized.sgpa_small_group_student_count
        ) as sgpa_hidden_student_count

    from sized
    left join course_hidden
        on sized.scope = course_hidden.scope

),

-- The smallest group still shown in a scope is hidden too when the groups hidden for being small
-- hold between them fewer than k students: otherwise the overall figure minus the shown groups'
-- would give the hidden groups' figure.
protected as (

    select
        ranked.*,
        {{ academics_is_complementary('student_count', 'student_count') }}
            as is_student_count_complementary,
        {{ academics_is_complementary('attendance', 'attendance_student_count') }}
            as is_attendance_complementary,
        {{ academics_is_complementary('pass_rate', 'result_student_count') }}
            as is_pass_rate_complementary,
        {{ academics_is_complementary('sgpa', 'sgpa_student_count') }}
            as is_sgpa_complementary

    from ranked

),

final as (

    select
        {{ as_varchar('scope', 32) }} as scope,
        {{ as_varchar("case when scope = 'overall' then null else scope_value end", 64) }}
            as scope_value,
        {{ as_boolean(is_small_cell('student_count')) }} as is_small_cell,
        {{ as_boolean(
            'is_student_count_complementary + is_attendance_complementary'
            ~ ' + is_pass_rate_complementary + is_sgpa_complementary > 0'
        ) }} as has_complementary_suppression,
        {{ as_bigint(suppress_small_cell(
            'case when is_student_count_complementary = 0 then student_count end',
            'student_count'
        )) }} as student_count,
        {{ as_double(suppress_small_cell(
            'case when is_attendance_complementary = 0 then '
            ~ percentage('classes_attended', 'classes_held') ~ ' end',
            'attendance_student_count'
        )) }} as attendance_pct,
        {{ as_double(suppress_small_cell(
            'case when is_pass_rate_complementary = 0 then '
            ~ percentage('papers_passed', 'papers_graded') ~ ' end',
            'result_student_count'
        )) }} as pass_rate_pct,
        {{ as_double(suppress_small_cell(
            'case when is_sgpa_complementary = 0 then mean_sgpa end',
            'sgpa_student_count'
        )) }} as mean_sgpa

    from protected

)

select * from final
