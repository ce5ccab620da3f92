-- Placement figures of final-year students per college, program and passing year, for everyone
-- (breakdown = 'all') and by gender and by category: one row per group, NOT yet suppressed.
-- Only the marts publish them, through the small-cell rule
-- (macros/placements/placement_figures.sql).
with

students as (

    select * from {{ ref('dim_students') }}

),

passing_years as (

    select * from {{ ref('dim_student_passing_years') }}

),

placements as (

    select * from {{ ref('fct_student_placements') }}

),

final_year_students as (

    select
        students.college_code,
        students.program_code,
        students.gender,
        students.category,
        passing_years.passing_year,
        passing_years.offer_window_opens_date,
        passing_years.offer_window_closes_date,
        placements.is_placed,
        placements.offer_count,
        placements.best_package_lpa

    from placements
    inner join students
        on placements.student_hash = students.student_hash
    inner join passing_years
        on placements.student_hash = passing_years.student_hash
    where passing_years.passing_year is not null

),

{% set breakdowns = {'all': "''", 'gender': 'gender', 'category': 'category'} %}
grouped as (

    {% for breakdown, value in breakdowns.items() %}
    select
        college_code,
        program_code,
        passing_year,
        '{{ breakdown }}' as breakdown,
        {{ value }} as breakdown_value,
        offer_window_opens_date,
        offer_window_closes_date,
        is_placed,
        offer_count,
        best_package_lpa

    from final_year_students
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

{% set group_by = [
    'college_code', 'program_code', 'passing_year', 'breakdown', 'breakdown_value'] %}
ranked as (

    select
        grouped.*,
        {{ median_row_rank('best_package_lpa', group_by) }} as package_rank,
        {{ median_row_count('best_package_lpa', group_by) }} as package_count

    from grouped

),

aggregated as (

    select
        {{ group_by | join(', ') }},
        min(offer_window_opens_date) as offer_window_opens_date,
        min(offer_window_closes_date) as offer_window_closes_date,
        count(*) as final_year_student_count,
        sum(case when is_placed then 1 else 0 end) as placed_student_count,
        sum(offer_count) as offers_counted,
        {{ median_of_ranked_rows('best_package_lpa', 'package_rank', 'package_count') }}
            as median_package_lpa,
        avg({{ as_double('best_package_lpa') }}) as mean_package_lpa,
        max(best_package_lpa) as max_package_lpa

    from ranked
    group by {{ group_by | join(', ') }}

)

select * from aggregated
