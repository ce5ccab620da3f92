-- Rows the notebook drops without a word: attendance, exam and placement rows whose
-- college_code-roll_no-dob matches no student in the master. One row per file kind, zero included.
with

students as (

    select student_hash from {{ ref('stg_aktu__students') }}

),

attendance as (

    select student_hash from {{ ref('stg_aktu__attendance') }}

),

exam_results as (

    select student_hash from {{ ref('stg_aktu__exam_results') }}

),

placements as (

    select student_hash from {{ ref('stg_aktu__placements') }}

),

{% set kinds = ['attendance', 'exam_results', 'placements'] %}
{% for kind in kinds %}
{{ kind }}_counted as (

    select
        '{{ kind }}' as file_kind,
        count(*) as total_rows,
        sum(case when students.student_hash is null then 1 else 0 end) as orphan_rows

    from {{ kind }}
    left join (select distinct student_hash from students) as students
        on {{ kind }}.student_hash = students.student_hash

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
        {{ as_bigint('total_rows') }} as total_rows,
        {{ as_bigint('coalesce(orphan_rows, 0)') }} as orphan_rows,
        {{ as_double(safe_divide('100 * ' ~ as_double('coalesce(orphan_rows, 0)'), 'total_rows')) }}
            as orphan_pct

    from unioned

)

select * from final
