-- Pearson r between attendance % and total marks over (student, course) pairs having both,
-- overall and by college, program and course. Two passes (means, then centred sums): see
-- macros/pearson_r.sql. A group of fewer than var('aktu_small_cell_min_students') students shows
-- no figures (macros/small_cells.sql).
--
-- Every group of every scope is a union of cells (college, program, course): both passes sum
-- the pairs per cell, once, and the scopes' groups add up their cells' sums. MariaDB builds a
-- CTE again for every reference, so the pairs are read by three CTEs, once each, and nothing is
-- fanned out per pair and scope.
{%- set scope_keys = {
    'overall': "''",
    'college': 'college_code',
    'program': 'program_code',
    'course': 'course_code',
} %}
{#- Per part of r, the cells' sums of that part for the row's scope, added up. #}
{%- set scope_sums = {} %}
{%- for part in ['xy', 'xx', 'yy'] %}
{%- set whens = [] %}
{%- for scope in scope_keys %}
{%- do whens.append("when '" ~ scope ~ "' then cell_students." ~ scope ~ '_' ~ part) %}
{%- endfor %}
{%- do scope_sums.update({part: 'sum(case scope_list.scope ' ~ whens | join(' ') ~ ' end)'}) %}
{%- endfor %}
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

scope_list as (

    {{ scope_rows(scope_keys) }}

),

-- First pass: per cell, the pairs and the sums of x and y.
cells as (

    select
        college_code,
        program_code,
        course_code,
        count(*) as n_pairs,
        sum(x) as x_sum,
        sum(y) as y_sum

    from pairs
    group by college_code, program_code, course_code

),

-- Per cell, the means of x and y in each scope's group that holds the cell.
cell_means as (

    select
        {% for scope, key in scope_keys.items() %}
        {%- set group = '(partition by ' ~ key ~ ')' if scope != 'overall' else '()' %}
        sum(x_sum) over {{ group }} / sum(n_pairs) over {{ group }} as {{ scope }}_x_mean,
        sum(y_sum) over {{ group }} / sum(n_pairs) over {{ group }} as {{ scope }}_y_mean,
        {% endfor %}
        college_code,
        program_code,
        course_code

    from cells

),

-- Second pass: per cell, the sums of the pairs' deviations from each scope's means.
centred_cells as (

    select
        {% for scope in scope_keys %}
        {%- set dx = '(pairs.x - cell_means.' ~ scope ~ '_x_mean)' %}
        {%- set dy = '(pairs.y - cell_means.' ~ scope ~ '_y_mean)' %}
        sum({{ dx }} * {{ dy }}) as {{ scope }}_xy,
        sum({{ dx }} * {{ dx }}) as {{ scope }}_xx,
        sum({{ dy }} * {{ dy }}) as {{ scope }}_yy,
        {% endfor %}
        pairs.college_code,
        pairs.program_code,
        pairs.course_code,
        count(*) as n_pairs

    from pairs
    inner join cell_means
        on pairs.college_code = cell_means.college_code
        and pairs.program_code = cell_means.program_code
        and pairs.course_code = cell_means.course_code
    group by pairs.college_code, pairs.program_code, pairs.course_code

),

-- Students with pairs per college and program (a student is in one of each), for the student
-- counts of every scope but course; in a course each student has one pair. dim_students holds
-- each student once, so they are counted there, each looked up in the pairs by its index.
student_counts as (

    select
        students.college_code,
        students.program_code,
        count(*) as n_students

    from students
    where exists (
            select 1
            from performance
            where
                performance.student_hash = students.student_hash
                and performance.attendance_pct is not null
                and performance.total_marks is not null
        )
    group by students.college_code, students.program_code

),

-- The first cell of each college and program carries its students, so that they count once.
cell_students as (

    select
        centred_cells.*,
        student_counts.n_students,
        row_number() over (
            partition by centred_cells.college_code, centred_cells.program_code
            order by centred_cells.course_code
        ) as cell_rank

    from centred_cells
    inner join student_counts
        on centred_cells.college_code = student_counts.college_code
        and centred_cells.program_code = student_counts.program_code

),

-- Each scope's groups from their cells.
correlated as (

    select
        scope_list.scope,
        {{ scope_value('scope_list.scope', scope_keys) }} as scope_key,
        sum(cell_students.n_pairs) as n_pairs,
        case
            when scope_list.scope = 'course' then sum(cell_students.n_pairs)
            else sum(case when cell_students.cell_rank = 1 then cell_students.n_students else 0 end)
        end as n_students,
        {{ pearson_r_from_centred_sums(scope_sums['xy'], scope_sums['xx'], scope_sums['yy']) }}
            as pearson_r

    from cell_students
    cross join scope_list
    group by scope_list.scope, scope_key

),

final as (

    select
        {{ as_varchar('scope', 16) }} as scope,
        {{ as_varchar("case when scope = 'overall' then null else scope_key end", 64) }}
            as scope_value,
        {{ as_boolean(is_small_cell('n_students')) }} as is_small_cell,
        {{ as_bigint(suppress_small_cell('n_students', 'n_students')) }} as student_count,
        {{ as_bigint(suppress_small_cell('n_pairs', 'n_students')) }} as n_pairs,
        {{ as_double(suppress_small_cell(
            'case when n_pairs >= 2 then pearson_r end', 'n_students')) }} as pearson_r

    from correlated

)

select * from final
