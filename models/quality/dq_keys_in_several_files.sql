-- Records sent in more than one file: every row whose natural key (attendance: student, course,
-- class date; exam results: student, course; placements: student, company, offer date;
-- students: college, roll_no, dob) another file of the same kind also sent. One row per such row,
-- with how many files sent its key, whether it is the one counted (its latest load) and whether
-- the files disagree on the values. The models count each key once, from its latest load.
-- Attendance keys are grouped and listed only in the loads that may share one
-- (int_attendance_loads_overlapping): grouping all of its rows by key cost MariaDB a temporary
-- table of every row.
{% set kinds = {
    'attendance': {
        'relation': 'stg_aktu__attendance',
        'course_code': 'course_code', 'class_date': 'class_date',
        'company_name': none, 'offer_date': none,
        'keys': ['course_code', 'class_date'],
        'values': ['attendance_status'],
        'in_overlapping_loads': true},
    'exam_results': {
        'relation': 'stg_aktu__exam_results',
        'course_code': 'course_code', 'class_date': none,
        'company_name': none, 'offer_date': none,
        'keys': ['course_code', "''"],
        'values': ['internal_marks', 'external_marks', 'total_marks'],
        'in_overlapping_loads': false},
    'placements': {
        'relation': 'stg_aktu__placements',
        'course_code': none, 'class_date': none,
        'company_name': 'company_name', 'offer_date': 'offer_date',
        'keys': ['lower(company_name)', "coalesce(" ~ as_varchar('offer_date', 10) ~ ", '')"],
        'values': ["lower(coalesce(job_role, ''))", 'package_lpa'],
        'in_overlapping_loads': false},
    'students': {
        'relation': 'stg_aktu__students',
        'course_code': none, 'class_date': none,
        'company_name': none, 'offer_date': none,
        'keys': ["''", "''"],
        'values': ['gender', 'category', 'program_code', 'admission_year', 'domicile_state',
                   'quota', 'has_disability'],
        'in_overlapping_loads': false}
} %}

with

attendance_overlapping_loads as (

    select * from {{ ref('int_attendance_loads_overlapping') }}

),

{% for kind, spec in kinds.items() %}
{#- A key repeated across files lies in the rows of loads that overlap in dates, where the kind
    has dates: both the grouping and the listing read those rows alone. -#}
{%- set source = 'candidates' if spec['in_overlapping_loads'] else 'rows' %}
{{ kind }}_rows as (

    select
        college_code,
        roll_no,
        dob,
        {{ spec['course_code'] or 'null' }} as course_code,
        {{ spec['class_date'] or 'null' }} as class_date,
        {{ spec['company_name'] or 'null' }} as company_name,
        {{ spec['offer_date'] or 'null' }} as offer_date,
        {{ spec['keys'][0] }} as key_1,
        {{ spec['keys'][1] }} as key_2,
        {% for value in spec['values'] -%}
        {{ value }} as value_{{ loop.index }},
        {% endfor -%}
        source_file,
        source_line,
        loaded_at

    from {{ ref(spec['relation']) }}

),

{% if spec['in_overlapping_loads'] %}
-- Read from the list, so that MySQL/MariaDB look its loads up in the raw table's key; then
-- materialised (aktu_compute_once: the rows are unique, each has its file and line), so that
-- the key's grouping sorts these rows only.
{{ kind }}_candidates as (

    select {{ aktu_compute_once() }} {{ kind }}_rows.*

    from {{ kind }}_overlapping_loads
    inner join {{ kind }}_rows
        on {{ kind }}_overlapping_loads.loaded_at = {{ kind }}_rows.loaded_at
        and {{ kind }}_overlapping_loads.college_code = {{ kind }}_rows.college_code

),

{% endif %}
-- Keys of more than one file; a value differs when its min and max differ or it is null in some
-- files only.
{{ kind }}_repeated as (

    select
        college_code,
        roll_no,
        dob,
        key_1,
        key_2,
        count(distinct source_file) as file_count,
        max(loaded_at) as latest_loaded_at,
        case
            {% for value in spec['values'] -%}
            when min(value_{{ loop.index }}) <> max(value_{{ loop.index }}) then 1
            when count(value_{{ loop.index }}) not in (0, count(*)) then 1
            {% endfor -%}
            else 0
        end as has_differing_values

    from {{ kind }}_{{ source }}
    group by college_code, roll_no, dob, key_1, key_2
    having count(distinct source_file) > 1

),

{{ kind }}_listed as (

    select
        '{{ kind }}' as file_kind,
        key_rows.college_code,
        key_rows.roll_no,
        key_rows.dob,
        key_rows.course_code,
        key_rows.class_date,
        key_rows.company_name,
        key_rows.offer_date,
        key_rows.source_file,
        key_rows.source_line,
        {{ kind }}_repeated.file_count,
        case
            when key_rows.loaded_at = {{ kind }}_repeated.latest_loaded_at then 1
            else 0
        end as is_latest_load,
        {{ kind }}_repeated.has_differing_values

    from {{ kind }}_{{ source }} as key_rows
    inner join {{ kind }}_repeated
        on key_rows.college_code = {{ kind }}_repeated.college_code
        and key_rows.roll_no = {{ kind }}_repeated.roll_no
        and key_rows.dob = {{ kind }}_repeated.dob
        and key_rows.key_1 = {{ kind }}_repeated.key_1
        and key_rows.key_2 = {{ kind }}_repeated.key_2

),

{% endfor %}
unioned as (

    {% for kind in kinds %}
    select * from {{ kind }}_listed
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ as_varchar('file_kind', 32) }} as file_kind,
        {{ as_varchar(student_hash('college_code', 'roll_no', 'dob'), 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_date('class_date') }} as class_date,
        {{ as_varchar('company_name', 255) }} as company_name,
        {{ as_date('offer_date') }} as offer_date,
        {{ as_varchar('source_file', 255) }} as source_file,
        {{ as_bigint('source_line') }} as source_line,
        {{ as_bigint('file_count') }} as file_count,
        {{ as_boolean('is_latest_load') }} as is_latest_load,
        {{ as_boolean('has_differing_values') }} as has_differing_values

    from unioned

)

select * from final
