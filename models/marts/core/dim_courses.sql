-- One row per course of the catalogue (seed courses): what analysts join a course_code to.
{{ config(post_hook="{{ aktu_index(['course_code'], unique=true) }}") }}

with

courses as (

    select * from {{ ref('courses') }}

),

final as (

    select
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_varchar('course_name', 255) }} as course_name,
        {{ as_varchar('program_code', 64) }} as program_code,
        {{ as_bigint('semester') }} as semester,
        {{ as_bigint('credits') }} as credits,
        {{ as_varchar('course_type', 16) }} as course_type

    from courses

)

select * from final
