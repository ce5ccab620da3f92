-- One row per student pseudonym. roll_no and dob stop at staging: they are not carried here.
-- A student listed in several master files keeps the attributes of the most recent load.
{{ config(post_hook="{{ aktu_index(['student_hash'], unique=true) }}") }}

with

students as (

    select * from {{ ref('stg_aktu__students') }}

),

ranked as (

    select
        students.*,
        {{ latest_load_rank(['student_hash']) }} as recency_rank

    from students

),

latest as (

    select * from ranked
    where recency_rank = 1

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_varchar('program_code', 64) }} as program_code,
        {{ as_bigint('admission_year') }} as admission_year,
        {{ as_varchar('gender', 16) }} as gender,
        {{ as_varchar('category', 32) }} as category,
        {{ as_varchar('domicile_state', 64) }} as domicile_state,
        {{ as_varchar('quota', 64) }} as quota,
        {{ as_boolean('has_disability') }} as has_disability

    from latest

)

select * from final
