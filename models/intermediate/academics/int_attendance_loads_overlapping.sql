-- The attendance loads (loaded_at, college_code) that may share a class with another load: those
-- holding a college on dates another load of the same college also covers. A class sent in two
-- loads lies in a span of dates of both, so both are listed; every other load's rows are each
-- their class's only row (a load holds one row per class: the loader settles repeats within a
-- file). Nearly always empty: daily files and per-college exports overlap nowhere. The attendance
-- aggregate ranks, and dq_keys_in_several_files groups, the rows of these loads alone, joining
-- from this small table so that MySQL/MariaDB look its loads up in the raw table's
-- (_loaded_at, ...) key instead of reading every row.
{{ config(materialized='table') }}
with

spans as (

    select * from {{ ref('int_attendance_loads_spanned') }}

),

-- Per college, the loads in order of their first date: a load overlaps another when an earlier
-- one ends on or after its first date, or the next one starts on or before its last date.
spans_in_order as (

    select
        loaded_at,
        college_code,
        first_class_date,
        last_class_date,
        max(last_class_date) over (
            partition by college_code
            order by first_class_date, loaded_at
            rows between unbounded preceding and 1 preceding
        ) as last_class_date_before,
        lead(first_class_date) over (
            partition by college_code
            order by first_class_date, loaded_at
        ) as next_first_class_date

    from spans

),

final as (

    select
        {{ as_datetime('loaded_at') }} as loaded_at,
        {{ as_varchar('college_code', 32) }} as college_code

    from spans_in_order
    where last_class_date_before >= first_class_date
        or next_first_class_date <= last_class_date

)

select * from final
