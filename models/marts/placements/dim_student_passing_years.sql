-- One row per student: the year the student is expected to pass out (admission year + the
-- program's normal duration, a year less for lateral entrants) and the window of offer dates that
-- counts towards that passing year. Definitions and assumptions: docs/placements.md.
{{ config(post_hook="{{ aktu_index(['student_hash'], unique=true) }}") }}

with

students as (

    select * from {{ ref('dim_students') }}

),

programs as (

    select * from {{ ref('programs') }}

),

with_program_length as (

    select
        students.student_hash,
        students.admission_year,
        programs.duration_years,
        case
            when programs.program_code is null then null
            when {{ placement_value_in(
                    'students.quota', var('aktu_placements_lateral_entry_quotas')) }}
                and {{ placement_value_in(
                    'programs.degree', var('aktu_placements_lateral_entry_degrees')) }}
                then 1
            else 0
        end as lateral_entry_flag

    from students
    left join programs
        on students.program_code = programs.program_code

),

assigned as (

    select
        student_hash,
        admission_year,
        duration_years,
        lateral_entry_flag,
        admission_year + duration_years
        - lateral_entry_flag * {{ var('aktu_placements_lateral_entry_years_skipped') }}
            as passing_year

    from with_program_length

),

windowed as (

    select
        assigned.*,
        {{ placement_window_date(
            'passing_year - ' ~ var('aktu_placements_window_opens_years_before_passing'),
            var('aktu_placements_window_opens_month_day')) }} as offer_window_opens_date,
        {{ placement_window_date(
            'passing_year + ' ~ var('aktu_placements_window_closes_years_after_passing'),
            var('aktu_placements_window_closes_month_day')) }} as offer_window_closes_date

    from assigned

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_bigint('admission_year') }} as admission_year,
        {{ as_bigint('duration_years') }} as program_duration_years,
        {{ as_boolean('lateral_entry_flag') }} as is_lateral_entry,
        {{ as_bigint('passing_year') }} as passing_year,
        {{ as_date('offer_window_opens_date') }} as offer_window_opens_date,
        {{ as_date('offer_window_closes_date') }} as offer_window_closes_date

    from windowed

)

select * from final
