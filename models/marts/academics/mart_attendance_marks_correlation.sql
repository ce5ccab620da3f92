-- Pearson r between attendance % and total marks over (student, course) pairs having both,
-- overall and by college, program and course: one grouped query per scope, unioned. r comes
-- from the corr macro (macros/statistics.sql), which on MySQL/MariaDB centres each pair on its
-- group's means: each scope's means are a grouped query joined to the pairs by the group's key
-- (never null: dim_students' and the loader's not-null rules), cheaper on MariaDB than window
-- averages, which sort every pair once per scope. A group of fewer than
-- var('aktu_small_cell_min_students') students shows no figures (macros/small_cells.sql).
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

-- Each scope's group means of x and y: the corr macro centres the pairs on them on MySQL/MariaDB;
-- engines with corr() ignore them.
overall_means as (

    select
        avg(x) as x_mean,
        avg(y) as y_mean

    from pairs

),

college_means as (

    select
        college_code,
        avg(x) as x_mean,
        avg(y) as y_mean

    from pairs
    group by college_code

),

program_means as (

    select
        program_code,
        avg(x) as x_mean,
        avg(y) as y_mean

    from pairs
    group by program_code

),

course_means as (

    select
        course_code,
        avg(x) as x_mean,
        avg(y) as y_mean

    from pairs
    group by course_code

),

overall as (

    select
        'overall' as scope,
        {{ as_varchar('null', 64) }} as scope_value,
        count(distinct pairs.student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('pairs.x', 'pairs.y', 'overall_means.x_mean', 'overall_means.y_mean') }}
            as pearson_r

    from pairs
    cross join overall_means
    having count(*) > 0

),

by_college as (

    select
        'college' as scope,
        pairs.college_code as scope_value,
        count(distinct pairs.student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('pairs.x', 'pairs.y', 'college_means.x_mean', 'college_means.y_mean') }}
            as pearson_r

    from pairs
    inner join college_means
        on pairs.college_code = college_means.college_code
    group by pairs.college_code

),

by_program as (

    select
        'program' as scope,
        pairs.program_code as scope_value,
        count(distinct pairs.student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('pairs.x', 'pairs.y', 'program_means.x_mean', 'program_means.y_mean') }}
            as pearson_r

    from pairs
    inner join program_means
        on pairs.program_code = program_means.program_code
    group by pairs.program_code

),

by_course as (

    select
        'course' as scope,
        pairs.course_code as scope_value,
        count(distinct pairs.student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('pairs.x', 'pairs.y', 'course_means.x_mean', 'course_means.y_mean') }}
            as pearson_r

    from pairs
    inner join course_means
        on pairs.course_code = course_means.course_code
    group by pairs.course_code

),

correlated as (

    select * from overall
    union all
    select * from by_college
    union all
    select * from by_program
    union all
    select * from by_course

),

final as (

    select
        {{ as_varchar('scope', 16) }} as scope,
        {{ as_varchar('scope_value', 64) }} as scope_value,
        {{ as_boolean(is_small_cell('student_count')) }} as is_small_cell,
        {{ as_bigint(suppress_small_cell('student_count', 'student_count')) }} as student_count,
        {{ as_bigint(suppress_small_cell('n_pairs', 'student_count')) }} as n_pairs,
        {{ as_double(suppress_small_cell(
            'case when n_pairs >= 2 then pearson_r end', 'student_count')) }} as pearson_r

    from correlated

)

select * from final
