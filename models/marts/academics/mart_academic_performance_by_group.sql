-- Attendance %, pass rate and mean SGPA overall and by college, program, course, gender,
-- category, domicile state and disability, with small-cell suppression: a figure computed from
-- fewer than var('aktu_small_cell_min_students') students is not shown, and where hiding it
-- could be undone by subtraction (overall minus the other groups of the scope), the smallest
-- group still shown in that scope is hidden as well (complementary suppression).
--
-- A student is in one group of each scope but course, so those groups are summed from the
-- students' figures (per combination of their attributes first), and the students behind a
-- scope's hidden groups are those groups' students summed. A student is in several course groups,
-- so those are counted from the student-course facts, and the students behind hidden courses are
-- counted distinct. Nothing is fanned out per fact row and scope, and of the CTEs that aggregate
-- the facts only course_groups is read twice: MariaDB builds a CTE again for every reference.
-- MariaDB would sum each student's facts by one lookup per student ("split materialized"), which
-- costs more than summing them all at once: it is switched off for this model (the hooks).
{{
    config(
        pre_hook="{{ aktu_optimizer_switch('split_materialized=off') }}",
        post_hook="{{ aktu_optimizer_switch('split_materialized=default') }}"
    )
}}
{%- set student_scopes = {
    'overall': "''",
    'college': 'cohorts.college_code',
    'program': 'cohorts.program_code',
    'gender': 'cohorts.gender',
    'category': 'cohorts.category',
    'domicile_state': 'cohorts.domicile_state',
    'disability': 'cohorts.disability',
} %}
with

attendance as (

    select * from {{ ref('fct_student_course_attendance') }}

),

results as (

    select * from {{ ref('fct_exam_results') }}

),

semester_results as (

    select * from {{ ref('fct_semester_results') }}

),

students as (

    select
        student_hash,
        college_code,
        program_code,
        coalesce(gender, 'unknown') as gender,
        coalesce(category, 'unknown') as category,
        coalesce(domicile_state, 'unknown') as domicile_state,
        case
            when has_disability then 'yes'
            when not has_disability then 'no'
            else 'unknown'
        end as disability

    from {{ ref('dim_students') }}

),

-- The scopes whose group is an attribute of the student (all but course).
scope_list as (

    {{ scope_rows(student_scopes) }}

),

-- Results that count for the pass rate (absent counts as not passed).
graded_results as (

    select
        student_hash,
        course_code,
        case when result_status = 'pass' then 1 else 0 end as passed_flag

    from results
    where result_status <> 'not_graded'

),

-- Per student: their attendance, graded results and SGPAs (a row in each where they have any).
attendance_by_student as (

    select
        student_hash,
        sum(classes_held) as classes_held,
        sum(classes_attended) as classes_attended

    from attendance
    group by student_hash

),

results_by_student as (

    select
        student_hash,
        sum(passed_flag) as papers_passed,
        count(*) as papers_graded

    from graded_results
    group by student_hash

),

sgpa_by_student as (

    select
        student_hash,
        sum(sgpa) as sgpa_total,
        count(*) as sgpa_count

    from semester_results
    where sgpa is not null
    group by student_hash

),

-- Students of the master with the same attributes (the groups they fall in), with their figures
-- summed. A member has attendance or graded results; a student with SGPAs only is none.
cohorts as (

    select
        students.college_code,
        students.program_code,
        students.gender,
        students.category,
        students.domicile_state,
        students.disability,
        sum(case
            when attendance_by_student.student_hash is not null
                or results_by_student.student_hash is not null
                then 1
            else 0
        end) as member_students,
        count(attendance_by_student.student_hash) as attendance_students,
        sum(attendance_by_student.classes_attended) as classes_attended,
        sum(attendance_by_student.classes_held) as classes_held,
        count(results_by_student.student_hash) as result_students,
        sum(results_by_student.papers_passed) as papers_passed,
        sum(results_by_student.papers_graded) as papers_graded,
        count(sgpa_by_student.student_hash) as sgpa_students,
        sum(sgpa_by_student.sgpa_total) as sgpa_total,
        sum(sgpa_by_student.sgpa_count) as sgpa_count

    from students
    left join attendance_by_student
        on students.student_hash = attendance_by_student.student_hash
    left join results_by_student
        on students.student_hash = results_by_student.student_hash
    left join sgpa_by_student
        on students.student_hash = sgpa_by_student.student_hash
    group by
        students.college_code,
        students.program_code,
        students.gender,
        students.category,
        students.domicile_state,
        students.disability

),

-- The groups of every scope but course: each cohort in the group of its attribute.
student_scope_groups as (

    select
        scope_list.scope,
        {{ scope_value('scope_list.scope', student_scopes) }} as scope_value,
        sum(cohorts.member_students) as member_students,
        sum(cohorts.attendance_students) as attendance_students,
        sum(cohorts.classes_attended) as classes_attended,
        sum(cohorts.classes_held) as classes_held,
        sum(cohorts.result_students) as result_students,
        sum(cohorts.papers_passed) as papers_passed,
        sum(cohorts.papers_graded) as papers_graded,
        sum(cohorts.sgpa_students) as sgpa_students,
        {{ safe_divide('sum(cohorts.sgpa_total)', 'sum(cohorts.sgpa_count)') }} as mean_sgpa

    from cohorts
    cross join scope_list
    group by scope_list.scope, scope_value

),

-- Per course, its students with attendance (one attendance row each). Both facts hold students
-- of the master only (their models inner-join dim_students), so the course figures need no join
-- to the students: each would cost a lookup per fact row.
attendance_by_course as (

    select
        attendance.course_code,
        count(*) as attendance_students,
        sum(attendance.classes_attended) as classes_attended,
        sum(attendance.classes_held) as classes_held

    from attendance
    group by attendance.course_code

),

-- Per course, its students with a graded result (one result row each), and how
-- many of them have no attendance in the course (members not counted by attendance_by_course).
results_by_course as (

    select
        graded_results.course_code,
        count(*) as result_students,
        sum(graded_results.passed_flag) as papers_passed,
        count(*) as papers_graded,
        sum(case when attendance.student_hash is null then 1 else 0 end)
            as students_without_attendance

    from graded_results
    left join attendance
        on graded_results.student_hash = attendance.student_hash
        and graded_results.course_code = attendance.course_code
    group by graded_results.course_code

),

-- Per course, its figures from attendance and from results side by side.
course_figures as (

    select
        course_code,
        attendance_students,
        classes_attended,
        classes_held,
        0 as result_students,
        {{ as_bigint('null') }} as papers_passed,
        0 as papers_graded,
        0 as students_without_attendance

    from attendance_by_course

    union all

    select
        course_code,
        0 as attendance_students,
        {{ as_bigint('null') }} as classes_attended,
        {{ as_bigint('null') }} as classes_held,
        result_students,
        papers_passed,
        papers_graded,
        students_without_attendance

    from results_by_course

),

-- The groups of the course scope. SGPA belongs to no course.
course_groups as (

    select
        'course' as scope,
        course_code as scope_value,
        sum(attendance_students + students_without_attendance) as member_students,
        sum(attendance_students) as attendance_students,
        sum(classes_attended) as classes_attended,
        sum(classes_held) as classes_held,
        sum(result_students) as result_students,
        sum(papers_passed) as papers_passed,
        sum(papers_graded) as papers_graded,
        0 as sgpa_students,
        {{ as_double('null') }} as mean_sgpa

    from course_figures
    group by course_code

),

-- Every group of every scope.
scope_groups as (

    select * from student_scope_groups

    union all

    select * from course_groups

),

groups_measured as (

    select
        scope,
        scope_value,
        {{ as_bigint('member_students') }} as member_students,
        {{ as_bigint('attendance_students') }} as attendance_students,
        classes_attended,
        classes_held,
        {{ as_bigint('result_students') }} as result_students,
        papers_passed,
        {{ as_bigint('papers_graded') }} as papers_graded,
        {{ as_bigint('sgpa_students') }} as sgpa_students,
        mean_sgpa

    from scope_groups
    -- A group exists when it has a student with attendance or results.
    where member_students > 0

),

-- The courses with a figure hidden for being small (few or none), and which figures.
small_courses as (

    select
        scope_value as course_code,
        case
            when {{ academics_is_small_group('member_students') }} then 1 else 0
        end as is_student_count_hidden,
        case
            when {{ academics_is_small_group('attendance_students') }} then 1 else 0
        end as is_attendance_hidden,
        case
            when {{ academics_is_small_group('result_students') }} then 1 else 0
        end as is_pass_rate_hidden

    from course_groups
    where
        {{ academics_is_small_group('member_students') }}
        or {{ academics_is_small_group('attendance_students') }}
        or {{ academics_is_small_group('result_students') }}

),

-- The two kinds of student-course fact a course group counts.
unit_kinds as (

    select 'attendance' as unit_kind
    union all
    select 'result' as unit_kind

),

-- The student-courses in those courses, once per fact (twice with both), per figure whether
-- the figure of its course is hidden: attendance counts in the attendance figure, a graded
-- result in the pass rate. Each small course is paired with each kind and joined to that kind's
-- facts only, so that small_courses is read once (each read would aggregate the facts again)
-- and nothing is read when no course is small.
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

-- Per figure, the distinct students behind the courses whose figure is hidden for being small
-- (a student in several hidden courses counts once). No SGPA in the course scope.
course_hidden as (

    select
        'course' as scope,
        count(distinct case when is_student_count_hidden = 1 then student_hash end)
            as student_count_hidden_students,
        count(distinct case when is_attendance_hidden = 1 then student_hash end)
            as attendance_hidden_students,
        count(distinct case when is_pass_rate_hidden = 1 then student_hash end)
            as pass_rate_hidden_students,
        0 as sgpa_hidden_students

    from hidden_course_units

),

-- Per scope and figure, the groups from the smallest shown (1) up, then the hidden ones; and the
-- students of the groups whose figure is hidden for being small, summed over those groups.
sized as (

    select
        groups_measured.*,
        {{ academics_shown_size_rank('member_students') }} as student_count_size_rank,
        {{ academics_shown_size_rank('attendance_students') }} as attendance_size_rank,
        {{ academics_shown_size_rank('result_students') }} as pass_rate_size_rank,
        {{ academics_shown_size_rank('sgpa_students') }} as sgpa_size_rank,
        {{ academics_small_groups_students('member_students') }}
            as student_count_small_groups_students,
        {{ academics_small_groups_students('attendance_students') }}
            as attendance_small_groups_students,
        {{ academics_small_groups_students('result_students') }}
            as pass_rate_small_groups_students,
        {{ academics_small_groups_students('sgpa_students') }} as sgpa_small_groups_students

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
            course_hidden.student_count_hidden_students, sized.student_count_small_groups_students
        ) as student_count_hidden_students,
        coalesce(
            course_hidden.attendance_hidden_students, sized.attendance_small_groups_students
        ) as attendance_hidden_students,
        coalesce(
            course_hidden.pass_rate_hidden_students, sized.pass_rate_small_groups_students
        ) as pass_rate_hidden_students,
        coalesce(
            course_hidden.sgpa_hidden_students, sized.sgpa_small_groups_students
        ) as sgpa_hidden_students

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
        {{ academics_is_complementary('student_count', 'member_students') }}
            as is_student_count_complementary,
        {{ academics_is_complementary('attendance', 'attendance_students') }}
            as is_attendance_complementary,
        {{ academics_is_complementary('pass_rate', 'result_students') }}
            as is_pass_rate_complementary,
        {{ academics_is_complementary('sgpa', 'sgpa_students') }}
            as is_sgpa_complementary

    from ranked

),

final as (

    select
        {{ as_varchar('scope', 32) }} as scope,
        {{ as_varchar("case when scope = 'overall' then null else scope_value end", 64) }}
            as scope_value,
        {{ as_boolean(is_small_cell('member_students')) }} as is_small_cell,
        {{ as_boolean(
            'is_student_count_complementary + is_attendance_complementary'
            ~ ' + is_pass_rate_complementary + is_sgpa_complementary > 0'
        ) }} as has_complementary_suppression,
        {{ as_bigint(suppress_small_cell(
            'case when is_student_count_complementary = 0 then member_students end',
            'member_students'
        )) }} as student_count,
        {{ as_double(suppress_small_cell(
            'case when is_attendance_complementary = 0 then '
            ~ safe_divide('100 * ' ~ as_double('classes_attended'), as_double('classes_held'))
            ~ ' end',
            'attendance_students'
        )) }} as attendance_pct,
        {{ as_double(suppress_small_cell(
            'case when is_pass_rate_complementary = 0 then '
            ~ safe_divide('100 * ' ~ as_double('papers_passed'), as_double('papers_graded'))
            ~ ' end',
            'result_students'
        )) }} as pass_rate_pct,
        {{ as_double(suppress_small_cell(
            'case when is_sgpa_complementary = 0 then mean_sgpa end',
            'sgpa_students'
        )) }} as mean_sgpa

    from protected

)

select * from final
