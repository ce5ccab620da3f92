-- One row per attendance load and college: the first and last class date the load holds for the
-- college. Incremental: a run adds the loads that arrived since the last one (a range of the raw
-- table's key on MySQL/MariaDB), so the daily job never re-reads the semester's rows. A load a
-- re-export replaced keeps its row until a full refresh; the overlap list that reads these spans
-- (int_attendance_loads_overlapping) then names one load too many, which costs a ranking of that
-- load's rows and changes no figure.
{{
    config(
        materialized='incremental',
        unique_key=['loaded_at', 'college_code'],
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}
{%- do fail_if_columns_changed() %}
with

attendance as (

    select
        loaded_at,
        college_code,
        class_date

    from {{ ref('stg_aktu__attendance') }}
    {% if is_incremental() %}
    where loaded_at > {{ incremental_watermark('loaded_at') }}
    {% endif %}

),

spans as (

    select
        loaded_at,
        college_code,
        min(class_date) as first_class_date,
        max(class_date) as last_class_date,
        count(*) as source_row_count

    from attendance
    group by loaded_at, college_code

),

final as (

    select
        {{ as_datetime('loaded_at') }} as loaded_at,
        {{ as_varchar('college_code', 32) }} as college_code,
        {{ as_date('first_class_date') }} as first_class_date,
        {{ as_date('last_class_date') }} as last_class_date,
        {{ as_bigint('source_row_count') }} as source_row_count

    from spans

)

select * from final
