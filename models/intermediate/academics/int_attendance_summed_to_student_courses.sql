-- One row per (student_hash, course_code) seen in attendance, orphans included: the marts decide
-- what to keep. Incremental: each run adds the rows loaded since the last one (a day's file) to
-- the pairs they touch; a re-export that replaced counted rows triggers a full rebuild
-- (macros/performance/incremental.sql). present_flag is 0/1, so its sum is the classes attended.
{{
    config(
        materialized='incremental',
        unique_key=['student_hash', 'course_code'],
        incremental_strategy='delete+insert',
        pre_hook=[
            "{{ aktu_session_tmp_tables('model') }}",
            "{{ reset_if_counted_rows_vanished('classes_held', ref('stg_aktu__file_loads'), 'attendance', 'last_loaded_at') }}"
        ],
        post_hook=[
            "{{ aktu_session_tmp_tables('default') }}",
            "{{ aktu_index(['student_hash', 'course_code'], unique=true) }}"
        ]
    )
}}

with

attendance as (

    select
        college_code,
        roll_no,
        dob,
        course_code,
        class_date,
        present_flag,
        loaded_at

    from {{ ref('stg_aktu__attendance') }}
    {% if is_incremental() %}
    -- A literal, so MySQL/MariaDB read only the new rows (a range of the raw table's key).
    where loaded_at > {{ incremental_watermark(
        'last_loaded_at', 'classes_held', ref('stg_aktu__file_loads'), 'attendance'
    ) }}
    {% endif %}

),

-- Summed per student as exported first, so the SHA-256 of the student is computed once per
-- student and course rather than once per class (the same value: student_hash is a function of
-- college_code, roll_no and dob).
summed_by_export_key as (

    select
        college_code,
        roll_no,
        dob,
        course_code,
        count(*) as classes_held,
        sum(present_flag) as classes_attended,
        min(class_date) as first_class_date,
        max(class_date) as last_class_date,
        max(loaded_at) as last_loaded_at

    from attendance
    group by college_code, roll_no, dob, course_code

),

hashed as (

    select
        {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
        course_code,
        classes_held,
        classes_attended,
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
        min(first_class_date) as first_class_date,
        max(last_class_date) as last_class_date,
        max(last_loaded_at) as last_loaded_at

    from hashed
    group by student_hash, course_code

),

{% if is_incremental() %}
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
        {{ as_date('first_class_date') }} as first_class_date,
        {{ as_date('last_class_date') }} as last_class_date,
        {{ as_datetime('last_loaded_at') }} as last_loaded_at

    from combined

)

select * from final
