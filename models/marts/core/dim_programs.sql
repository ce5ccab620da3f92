-- One row per program, from the programs seed: what analysts join a program_code to.
{{ config(post_hook="{{ aktu_index(['program_code'], unique=true) }}") }}

with

programs as (

    select * from {{ ref('programs') }}

),

final as (

    select
        {{ as_varchar('program_code', 64) }} as program_code,
        {{ as_varchar('program_name', 255) }} as program_name,
        {{ as_varchar('degree', 32) }} as degree_name,
        {{ as_varchar('branch_code', 32) }} as branch_code,
        {{ as_bigint('duration_years') }} as duration_years

    from programs

)

select * from final
