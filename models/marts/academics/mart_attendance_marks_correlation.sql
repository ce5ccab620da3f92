-- Pearson r between attendance % and total marks over (student, course) pairs having both,
-- overall and by college, program and course: one grouped query per scope, unioned. r comes
-- from the corr macro (macros/statistics.sql), which on MySQL/MariaDB centres each pair on its
-- group's means (pairs_with_means). A group of fewer than var('aktu_small_cell_min_students')
-- students shows no figures (macros/small_cells.sql).
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

pairs_with_means as (

    select
        pairs.*,
        avg(x) over () as overall_x_mean,
        avg(y) over () as overall_y_mean,
        avg(x) over (partition by college_code) as college_x_mean,
        avg(y) over (partition by college_code) as college_y_mean,
        avg(x) over (partition by program_code) as program_x_mean,
        avg(y) over (partition by program_code) as program_y_mean,
        avg(x) over (partition by course_code) as course_x_mean,
        avg(y) over (partition by course_code) as course_y_mean

    from pairs

),

overall as (

    select
        'overall' as scope,
        {{ as_varchar('null', 64) }} as scope_value,
        count(distinct student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('x', 'y', 'overall_x_mean', 'overall_y_mean') }} as pearson_r

    from pairs_with_means
    having count(*) > 0

),

by_college as (

    select
        'college' as scope,
        college_code as scope_value,
        count(distinct student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('x', 'y', 'college_x_mean', 'college_y_mean') }} as pearson_r

    from pairs_with_means
    group by college_code

),

by_program as (

    select
        'program' as scope,
        program_code as scope_value,
        count(distinct student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('x', 'y', 'program_x_mean', 'program_y_mean') }} as pearson_r

    from pairs_with_means
    group by program_code

),

by_course as (

    select
        'course' as scope,
        course_code as scope_value,
        count(distinct student_hash) as student_count,
        count(*) as n_pairs,
        {{ corr('x', 'y', 'course_x_mean', 'course_y_mean') }} as pearson_r

    from pairs_with_means
    group by course_code

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
