-- One row per (student_hash, course_code) seen in attendance, orphans included: the marts decide
-- what to keep. A class (student, course, date) sent in several files counts once, as its latest
-- load has it. Incremental: each run adds the rows loaded since the last one (a day's file) to the
-- pairs they touch; it rebuilds in full instead when that would be wrong - new rows re-send a
-- class it has counted, a re-export replaced counted rows, or student_hash changed mode or key
-- (macros/performance/incremental.sql). present_flag is 0/1, so its sum is the classes attended.
-- No on_schema_change: dbt-mysql ignores it, so a changed column list needs --full-refresh.
{{
    config(
        materialized='incremental',
        unique_key=['student_hash', 'course_code'],
        incremental_strategy='delete+insert',
        pre_hook=[
            "{{ reset_if_stale(ref('stg_aktu__file_loads'), 'attendance', attendance_classes_resent) }}"
        ],
        post_hook=[
            "{{ aktu_index(['student_hash', 'course_code'], unique=true) }}"
        ]
    )
}}
{#- Decided once a run, as the model compiles; the note carries the verdict to the pre-hook,
    which empties the table when it gives a reason. -#}
{%- set stale = aggregate_stale_reason(
    ref('stg_aktu__file_loads'), 'attendance', attendance_classes_resent) -%}
{%- set top_up = is_incremental() and not stale %}
{{ stale_check_note(stale) }}
with

attendance as (

    select
        college_code,
        roll_no,
        dob,
        course_code,
        class_date,
        present_flag,
        source_file,
        source_line,
        loaded_at

    from {{ ref('stg_aktu__attendance') }}
    {% if top_up %}
    -- A literal, so MySQL/MariaDB read only the new rows (a range of the raw table's key).
    where loaded_at > {{ incremental_watermark('last_loaded_at') }}
    {% endif %}

),

-- The loads that may share a class with another (nearly always none).
overlapping_loads as (

    select * from {{ ref('int_attendance_loads_overlapping') }}

),

-- A class sent in several files (a resend, an overlapping export) counts once, as its latest load
-- has it. Only the rows of loads that may share a class are ranked: a window over every row would
-- cost MySQL/MariaDB a sort of them all. Read from the list, so that MySQL/MariaDB look its
-- loads up in the raw table's key.
rows_of_overlapping_loads as (

    select attendance.*

    from overlapping_loads
    inner join attendance
        on overlapping_loads.loaded_at = attendance.loaded_at
        and overlapping_loads.college_code = attendance.college_code

),

ranked_by_load as (

    select
        rows_of_overlapping_loads.*,
        {{ latest_load_rank(['college_code', 'roll_no', 'dob', 'course_code', 'class_date']) }}
            as load_recency

    from rows_of_overlapping_loads

),

-- Rows a later load sent again: read, not counted.
superseded_by_export_key as (

    select
        college_code,
        roll_no,
        dob,
        course_code,
        sum(present_flag) as superseded_present

    from ranked_by_load
    where load_recency > 1
    group by college_code, roll_no, dob, course_code

),

-- Per export key, every row read: a class counts once however many loads sent it, and the rows
-- a later load sent again are taken off the present ones.
read_by_export_key as (

    select
        college_code,
        roll_no,
        dob,
        course_code,
        count(distinct class_date) as classes_held,
        sum(present_flag) as present_rows,
        count(*) as source_row_count,
        min(class_date) as first_class_date,
        max(class_date) as last_class_date,
        max(loaded_at) as last_loaded_at

    from attendance
    group by college_code, roll_no, dob, course_code

),

summed_by_export_key as (

    select
        read_by_export_key.college_code,
        read_by_export_key.roll_no,
        read_by_export_key.dob,
        read_by_export_key.course_code,
        read_by_export_key.classes_held,
        read_by_export_key.present_rows
        - coalesce(superseded_by_export_key.superseded_present, 0) as classes_attended,
        read_by_export_key.source_row_count,
        read_by_export_key.first_class_date,
        read_by_export_key.last_class_date,
        read_by_export_key.last_loaded_at

    from read_by_export_key
    left join superseded_by_export_key
        on read_by_export_key.college_code = superseded_by_export_key.college_code
        and read_by_export_key.roll_no = superseded_by_export_key.roll_no
        and read_by_export_key.dob = superseded_by_export_key.dob
        and read_by_export_key.course_code = superseded_by_export_key.course_code

),

hashed as (

    select
        {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
        course_code,
        classes_held,
        classes_attended,
        source_row_count,
        first_class_date,
        last_class_date,
        last_loaded_at

    from summed_by_export_key

),

-- Summed again by hash: two export keys could in principle write the same hashed text.
new_rows_summed as (

    select
        student_hash,
        course_code,
        sum(classes_held) as classes_held,
        sum(classes_attended) as classes_attended,
        sum(source_row_count) as source_row_count,
        min(first_class_date) as first_class_date,
        max(last_class_date) as last_class_date,
        max(last_loaded_at) as last_loaded_at

    from hashed
    group by student_hash, course_code

),

{% if top_up %}
-- No new row re-sends a counted class (else the run is a full rebuild): the pair's counts add.
previous as (

    select this_model.*
    from {{ this }} as this_model
    inner join new_rows_summed
        on this_model.student_hash = new_rows_summed.student_hash
        and this_model.course_code = new_rows_summed.course_code

),

combined as (

    select
        new_rows_summed.student_hash,
        new_rows_summed.course_code,
        new_rows_summed.classes_held + coalesce(previous.classes_held, 0) as classes_held,
        new_rows_summed.classes_attended + coalesce(previous.classes_attended, 0)
            as classes_attended,
        new_rows_summed.source_row_count + coalesce(previous.source_row_count, 0)
            as source_row_count,
        case
            when previous.first_class_date < new_rows_summed.first_class_date
                then previous.first_class_date
            else new_rows_summed.first_class_date
        end as first_class_date,
        case
            when previous.last_class_date > new_rows_summed.last_class_date
                then previous.last_class_date
            else new_rows_summed.last_class_date
        end as last_class_date,
        new_rows_summed.last_loaded_at

    from new_rows_summed
    left join previous
        on new_rows_summed.student_hash = previous.student_hash
        and new_rows_summed.course_code = previous.course_code

),
{% else %}
combined as (

    select * from new_rows_summed

),
{% endif %}

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_bigint('classes_held') }} as classes_held,
        {{ as_bigint('classes_attended') }} as classes_attended,
        {{ as_bigint('source_row_count') }} as source_row_count,
        {{ as_date('first_class_date') }} as first_class_date,
        {{ as_date('last_class_date') }} as last_class_date,
        {{ as_datetime('last_loaded_at') }} as last_loaded_at,
        {{ as_varchar("'" ~ student_hash_fingerprint() ~ "'", 80) }} as student_hash_fingerprint

    from combined

)

select * from final
