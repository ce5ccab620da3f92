-- Every group of every scope (overall, college, program, course, gender, category, domicile
-- state, disability) with its students and summed figures, NOT yet suppressed. A student is in
-- one group of each scope but course, so those groups are their cohorts summed; the course
-- groups come from the student-course facts. A group exists when it has a student with
-- attendance or graded results. Ephemeral: a step of mart_academic_performance_by_group.
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

cohorts as (

    select * from {{ ref('int_academic_cohorts_summed') }}

),

course_groups as (

    select * from {{ ref('int_academic_course_groups_summed') }}

),

scope_list as (

    {{ scope_rows(student_scopes) }}

),

student_scope_groups as (

    select
        scope_list.scope,
        {{ scope_value('scope_list.scope', student_scopes) }} as scope_value,
        sum(cohorts.student_count) as student_count,
        sum(cohorts.attendance_student_count) as attendance_student_count,
        sum(cohorts.classes_attended) as classes_attended,
        sum(cohorts.classes_held) as classes_held,
        sum(cohorts.result_student_count) as result_student_count,
        sum(cohorts.papers_passed) as papers_passed,
        sum(cohorts.papers_graded) as papers_graded,
        sum(cohorts.sgpa_student_count) as sgpa_student_count,
        {{ safe_divide('sum(cohorts.sgpa_total)', 'sum(cohorts.sgpa_count)') }} as mean_sgpa

    from cohorts
    cross join scope_list
    group by scope_list.scope, scope_value

),

scope_groups as (

    select * from student_scope_groups

    union all

    select * from course_groups

),

final as (

    select
        scope,
        scope_value,
        {{ as_bigint('student_count') }} as student_count,
        {{ as_bigint('attendance_student_count') }} as attendance_student_count,
        classes_attended,
        classes_held,
        {{ as_bigint('result_student_count') }} as result_student_count,
        papers_passed,
        {{ as_bigint('papers_graded') }} as papers_graded,
        {{ as_bigint('sgpa_student_count') }} as sgpa_student_count,
        mean_sgpa

    from scope_groups
    where student_count > 0

)

select * from final
