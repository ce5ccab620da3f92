-- Rows the notebook drops without a word: attendance, exam and placement rows whose
-- college_code-roll_no-dob matches no student in the master. One row per file kind, zero included.
-- Attendance and exam rows are counted from their per-pair aggregates (orphans included there),
-- not re-read row by row; like them, a record sent in several files counts once.
with

-- One row per student of the master (a student listed in several master files must not
-- multiply the join): dim_students, a table with a unique index on student_hash.
students as (

    select student_hash from {{ ref('dim_students') }}

),

attendance_pairs as (

    select
        student_hash,
        classes_held as source_rows
    from {{ ref('int_attendance_summed_to_student_courses') }}

),

-- Exam rows counted from their per-pair aggregate, not hashed again row by row.
exam_results as (

    select
        student_hash,
        exam_rows as source_rows
    from {{ ref('int_exam_results_averaged_to_student_courses') }}

),

-- Placement rows counted once across files: those of the latest load that sent each offer.
placements as (

    select
        student_hash,
        latest_load_row_count as source_rows
    from {{ ref('int_placement_offers_deduplicated') }}

),

{% set kinds = {
    'attendance': 'attendance_pairs',
    'exam_results': 'exam_results',
    'placements': 'placements'} %}
{% for kind, relation in kinds.items() %}
{{ kind }}_counted as (

    select
        '{{ kind }}' as file_kind,
        sum({{ relation }}.source_rows) as total_rows,
        sum(case when {{ is_orphan() }} then {{ relation }}.source_rows else 0 end)
            as orphan_rows

    from {{ relation }}
    {{ join_master_students(relation) }}

),
{% endfor %}

unioned as (

    {% for kind in kinds %}
    select * from {{ kind }}_counted
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ as_varchar('file_kind', 32) }} as file_kind,
        {{ as_bigint('coalesce(total_rows, 0)') }} as total_rows,
        {{ as_bigint('coalesce(orphan_rows, 0)') }} as orphan_rows,
        {{ as_double(percentage('coalesce(orphan_rows, 0)', 'total_rows')) }}
            as orphan_pct

    from unioned

)

select * from final
