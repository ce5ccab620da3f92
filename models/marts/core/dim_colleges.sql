-- One row per affiliated college, from the colleges seed: what analysts join a college_code to.
{{ config(post_hook="{{ aktu_index(['college_code'], unique=true) }}") }}

with

colleges as (

    select * from {{ ref('colleges') }}

),

final as (

    select
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_varchar('college_name', 255) }} as college_name,
        {{ as_varchar('district', 64) }} as district,
        {{ as_varchar('ownership', 32) }} as ownership_type

    from colleges

)

select * from final
