-- One row per (student_hash, course_code) seen in attendance, orphans included. Incremental,
-- and rebuilt in full when topping up would be wrong (its description, and
-- macros/performance/incremental.sql, which also stops a run on a changed column list where
-- dbt-mysql ignores on_schema_change). present_flag is 0/1: its sum is the classes attended.
{{
    config(
        materialized='incremental',
        unique_key=['student_hash', 'course_code'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ reset_if_stale(ref('stg_aktu__file_loads'), 'attendance', attendance_classes_resent) }}"
        ],
        post_hook=[
            "{{ aktu_index(['student_hash', 'course_code'], unique=true) }}"
        ]
    )
}}
{#- Asked once a run, as the model compiles; the note carries the verdict to the pre-hook. -#}
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

-- A class sent in several files (a resend, an overlapping export) counts once, as its latest load
-- has it. Only the rows of the loads that may share a class (nearly always none) are ranked: a
-- window over every row would cost MySQL/MariaDB a sort of them all. Read from the list, so that
-- MySQL/MariaDB look its loads up in the raw table's key.
rows_of_overlapping_loads as (

    select attendance.*

    from {{ ref('int_attendance_loads_overlapping') }} as overlapping_loads
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
        count(*) as superseded_row_count,
        sum(present_flag) as superseded_present

    from ranked_by_load
    where load_recency > 1
    group by college_code, roll_no, dob, course_code

),

-- Per export key, every row read. A load holds a class once (the loader refuses or collapses a
-- repeated key), so the rows a later load sent again, taken off, leave one row per class.
read_by_export_key as (

    select {{ aktu_sort_to_group() }}
        college_code,
        roll_no,
        dob,
        course_code,
        sum(present_flag) as present_rows,
        count(*) as source_row_count,
        min(class_date) as first_class_date,
        max(class_date) as last_class_date,
        max(loaded_at) as last_loaded_at

    from attendance
    group by college_code, roll_no, dob, course_code

),

-- Hashed per export key, so that SHA-256 runs once per student and course, not once per class.
summed_by_student_hash as (

    select
        {{ student_hash('read_by_export_key.college_code', 'read_by_export_key.roll_no',
            'read_by_export_key.dob') }} as student_hash,
        read_by_export_key.course_code,
        read_by_export_key.source_row_count
        - coalesce(superseded_by_export_key.superseded_row_count, 0) as classes_held,
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

{% if top_up %}
-- What the table holds for the pairs the new rows touch. No new row re-sends a counted class
-- (else the run is a full rebuild), so the pair's old and new counts add up.
previous as (

    select
        this_model.student_hash,
        this_model.course_code,
        this_model.classes_held,
        this_model.classes_attended,
        this_model.source_row_count,
        this_model.first_class_date,
        this_model.last_class_date,
        this_model.last_loaded_at

    from {{ this }} as this_model
    inner join (select distinct student_hash, course_code from summed_by_student_hash) as touched
        on this_model.student_hash = touched.student_hash
        and this_model.course_code = touched.course_code

),
{% endif %}

-- One row per pair: two export keys could in principle write the same hashed text, and a top-up
-- adds the new rows' counts to the table's.
combined as (

    select
        student_hash,
        course_code,
        sum(classes_held) as classes_held,
        sum(classes_attended) as classes_attended,
        sum(source_row_count) as source_row_count,
        min(first_class_date) as first_class_date,
        max(last_class_date) as last_class_date,
        max(last_loaded_at) as last_loaded_at

    from (
        select * from summed_by_student_hash
        {% if top_up %}
        union all
        select * from previous
        {% endif %}
    ) as pair_rows
    group by student_hash, course_code

),

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
