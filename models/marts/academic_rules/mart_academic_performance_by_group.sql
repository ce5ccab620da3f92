-- Attendance %, pass rate and mean SGPA overall and by college, program, course, gender,
-- category, domicile state and disability, with small-cell suppression: a figure computed from
-- fewer than var('aktu_small_cell_min_students') students is not shown, and where hiding it
-- could be undone by subtraction (overall minus the other groups of the scope), the smallest
-- group still shown in that scope is hidden as well (complementary suppression).
{%- set scopes = {
    'overall': "''",
    'college': 'college_code',
    'program': 'program_code',
    'course': 'course_code',
    'gender': 'gender',
    'category': 'category',
    'domicile_state': 'domicile_state',
    'disability': 'disability',
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

-- distinct (a no-op: one row per student) makes MariaDB/MySQL materialise this side with a key
-- for the joins instead of comparing every fact row with every student.
students as (

    select distinct
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

scope_list as (

    {% for scope in scopes %}
    select '{{ scope }}' as scope
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- One row per thing measured, of three kinds: a student-course's attendance, a student-course's
-- graded result, a student-semester's SGPA (which belongs to no course).
units as (

    select
        'attendance' as unit_kind,
        students.*,
        attendance.course_code,
        attendance.classes_held,
        attendance.classes_attended,
        {{ as_bigint('null') }} as passed_flag,
        {{ as_double('null') }} as sgpa

    from attendance
    inner join students
        on attendance.student_hash = students.student_hash

    union all

    select
        'result' as unit_kind,
        students.*,
        results.course_code,
        {{ as_bigint('null') }} as classes_held,
        {{ as_bigint('null') }} as classes_attended,
        case when results.result_status = 'pass' then 1 else 0 end as passed_flag,
        {{ as_double('null') }} as sgpa

    from results
    inner join students
        on results.student_hash = students.student_hash
    where results.result_status <> 'not_graded'

    union all

    select
        'sgpa' as unit_kind,
        students.*,
        {{ as_varchar('null', 32) }} as course_code,
        {{ as_bigint('null') }} as classes_held,
        {{ as_bigint('null') }} as classes_attended,
        {{ as_bigint('null') }} as passed_flag,
        semester_results.sgpa

    from semester_results
    inner join students
        on semester_results.student_hash = students.student_hash
    where semester_results.sgpa is not null

),

-- Every unit once per scope, in the group of its attribute. SGPA has no course scope.
scoped as (

    select
        scope_list.scope,
        case scope_list.scope
            {% for scope, column in scopes.items() %}
            when '{{ scope }}' then {{ column }}
            {% endfor %}
        end as scope_value,
        units.unit_kind,
        units.student_hash,
        units.classes_held,
        units.classes_attended,
        units.passed_flag,
        units.sgpa

    from units
    cross join scope_list
    where not (scope_list.scope = 'course' and units.unit_kind = 'sgpa')

),

groups_measured as (

    select
        scope,
        scope_value,
        count(distinct case when unit_kind <> 'sgpa' then student_hash end) as member_students,
        count(distinct case when unit_kind = 'attendance' then student_hash end)
            as attendance_students,
        sum(classes_attended) as classes_attended,
        sum(classes_held) as classes_held,
        count(distinct case when unit_kind = 'result' then student_hash end) as result_students,
        sum(passed_flag) as papers_passed,
        count(passed_flag) as papers_graded,
        count(distinct case when unit_kind = 'sgpa' then student_hash end) as sgpa_students,
        avg(sgpa) as mean_sgpa

    from scoped
    group by scope, scope_value
    -- A group exists when it has a student with attendance or results.
    having count(distinct case when unit_kind <> 'sgpa' then student_hash end) > 0

),

-- Per scope and figure, the distinct students behind the groups whose figure is hidden for
-- being small (a student in several hidden courses counts once).
hidden as (

    select
        scoped.scope,
        count(distinct case
            when {{ academics_is_small_group('groups_measured.member_students') }}
                and scoped.unit_kind <> 'sgpa'
                then scoped.student_hash
        end) as student_count_hidden_students,
        count(distinct case
            when {{ academics_is_small_group('groups_measured.attendance_students') }}
                and scoped.unit_kind = 'attendance'
                then scoped.student_hash
        end) as attendance_hidden_students,
        count(distinct case
            when {{ academics_is_small_group('groups_measured.result_students') }}
                and scoped.unit_kind = 'result'
                then scoped.student_hash
        end) as pass_rate_hidden_students,
        count(distinct case
            when {{ academics_is_small_group('groups_measured.sgpa_students') }}
                and scoped.unit_kind = 'sgpa'
                then scoped.student_hash
        end) as sgpa_hidden_students

    from scoped
    inner join groups_measured
        on scoped.scope = groups_measured.scope
        and scoped.scope_value = groups_measured.scope_value
    group by scoped.scope

),

-- Per scope and figure, the groups from the smallest shown (1) up, then the hidden ones.
sized as (

    select
        groups_measured.*,
        {{ academics_shown_size_rank('member_students') }} as student_count_size_rank,
        {{ academics_shown_size_rank('attendance_students') }} as attendance_size_rank,
        {{ academics_shown_size_rank('result_students') }} as pass_rate_size_rank,
        {{ academics_shown_size_rank('sgpa_students') }} as sgpa_size_rank

    from groups_measured

),

ranked as (

    select
        sized.*,
        hidden.student_count_hidden_students,
        hidden.attendance_hidden_students,
        hidden.pass_rate_hidden_students,
        hidden.sgpa_hidden_students

    from sized
    inner join hidden
        on sized.scope = hidden.scope

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
        {{ as_boolean(is_small_cell('member_students')) }} as is_suppressed,
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
