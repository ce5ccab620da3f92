-- The figures of mart_placement_outcomes broken down by gender and by reservation category,
-- per college, program and passing year: one row per group (breakdown = gender or category,
-- breakdown_value = M, F, GEN, OBC ...). These groups are small, so the small-cell rule matters:
-- fewer than var('aktu_small_cell_min_students') final-year students shows no figures.
with

cohorts as (

    select * from {{ ref('int_placement_outcomes_aggregated') }}
    where breakdown <> 'all'

),

final as (

    select
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_varchar('program_code', 64) }} as program_code,
        {{ as_bigint('passing_year') }} as passing_year,
        {{ as_varchar('breakdown', 16) }} as breakdown,
        {{ as_varchar('breakdown_value', 32) }} as breakdown_value,
        {{ placement_figures() }}

    from cohorts

)

select * from final
