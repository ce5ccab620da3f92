-- Placement outcomes as NIRF and NBA report them, per college, program and passing year: the
-- final-year students (the students expected to pass out that year), how many are placed, the
-- placement rate, the median / mean / max of the placed students' best packages and the offers
-- per placed student. A group of fewer than var('aktu_small_cell_min_students') final-year
-- students shows no figures (macros/small_cells.sql). Definitions: docs/placements.md.
with

cohorts as (

    select * from {{ ref('int_placement_outcomes_aggregated') }}
    where breakdown = 'all'

),

final as (

    select
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_varchar('program_code', 64) }} as program_code,
        {{ as_bigint('passing_year') }} as passing_year,
        {{ placement_figures() }}

    from cohorts

)

select * from final
