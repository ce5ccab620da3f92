-- Pearson r between attendance % and total marks over (student, course) pairs having both,
-- overall and by college, program and course. Two passes (means, then centred sums): see
-- macros/pearson_r.sql. A group of fewer than var('aktu_small_cell_min_students') students shows
-- no figures (macros/small_cells.sql).
with

performance as (

    select * from {{ ref('fct_student_course_performance') }}

),

students as (

    select * from {{ ref('dim_students') }}

),

pairs as (

    select
        students.student_hash,
        students.college_code,
        students.program_code,
        performance.course_code,
        performance.attendance_pct as x,
        performance.total_marks as y

    from performance
    inner join students
        on performance.student_hash = students.student_hash
    where performance.attendance_pct is not null
        and performance.total_marks is not null

),

scoped as (

    select
        'overall' as scope,
        '' as scope_key,
        student_hash,
        x,
        y
    from pairs

    union all

    select
        'college' as scope,
        college_code as scope_key,
        student_hash,
        x,
        y
    from pairs

    union all

    select
        'program' as scope,
        program_code as scope_key,
        student_hash,
        x,
        y
    from pairs

    union all

    select
        'course' as scope,
        course_code as scope_key,
        student_hash,
        x,
        y
    from pairs

),

means as (

    select
        scope,
        scope_key,
        count(*) as n_pairs,
        count(distinct student_hash) as n_students,
        avg(x) as x_mean,
        avg(y) as y_mean

    from scoped
    group by scope, scope_key

),

correlated as (

    select
        scoped.scope,
        scoped.scope_key,
        means.n_pairs,
        means.n_students,
        {{ pearson_r('scoped.x', 'scoped.y', 'means.x_mean', 'means.y_mean') }} as pearson_r

    from scoped
    inner join means
        on scoped.scope = means.scope
        and scoped.scope_key = means.scope_key
    group by scoped.scope, scoped.scope_key, means.n_pairs, means.n_students

),

final as (

    select
        {{ as_varchar('scope', 16) }} as scope,
        {{ as_varchar("case when scope = 'overall' then null else scope_key end", 64) }}
            as scope_value,
        {{ as_boolean(is_small_cell('n_students')) }} as is_small_cell,
        {{ as_bigint(suppress_small_cell('n_students', 'n_students')) }} as n_students,
        {{ as_bigint(suppress_small_cell('n_pairs', 'n_students')) }} as n_pairs,
        {{ as_double(suppress_small_cell(
            'case when n_pairs >= 2 then pearson_r end', 'n_students')) }} as pearson_r

    from correlated

)

select * from final
