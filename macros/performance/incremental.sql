{#
  Incremental aggregates (sums and counts per key, topped up with the rows loaded since the last
  run) are right only while adding the new rows to what was counted gives what counting everything
  would. Before each incremental run aggregate_stale_reason checks, cheapest first, the three ways
  that breaks, and reset_if_stale (a pre-hook) then empties the aggregate, so the run rebuilds it
  from all rows. The model asks once, as it compiles: it reads everything when there is a reason,
  and writes the verdict into its compiled SQL (stale_check_note), where the pre-hook, rendered
  after the compilation in the same run, reads it back instead of querying the warehouse again.
  The check reads the small audit, the aggregate and the new rows, never the older raw rows: a
  daily run costs the day, not the semester.

  1. student_hash changed mode or key (macros/privacy/hash_fingerprint.sql): the kept rows hold
     pseudonyms nothing else uses any more.
  2. Counted rows vanished: a corrected re-export of a file replaces its rows (README, loader).
     The aggregate's source_row_count (raw rows read, resent ones included) must equal the
     rows_loaded, in the loader's audit, of each file's current load (its latest `loaded` one)
     started no later than the watermark; every raw row carries its load's start as loaded_at, so
     the two agree unless rows vanished. (Rows deleted by hand outside the loader need
     --full-refresh.)
  3. New rows re-send a record already counted (an overlapping export): the later load must
     replace the counted value, not add to it. `resent_check` is a macro (passed by name, unquoted) that renders a query
     counting them from the rows loaded after a watermark; resends are rare, so a rebuild is
     cheaper to get right than a per-record correction.

    pre_hook="{{ reset_if_stale(ref('stg_aktu__file_loads'), 'attendance', attendance_classes_resent) }}"
    ...
    {%- set stale = aggregate_stale_reason(ref('stg_aktu__file_loads'), 'attendance', attendance_classes_resent) %}
    {{ stale_check_note(stale) }}

  The aggregate has the columns source_row_count, last_loaded_at (the watermark) and
  student_hash_fingerprint, and documents every column it has: a table whose columns differ from
  the documented ones stops the run (on_schema_change='fail', which dbt-mysql ignores).
#}
{% macro reset_if_stale(file_loads, file_kind, resent_check) -%}
  {%- set reason = compiled_stale_reason(file_loads, file_kind, resent_check) -%}
  {%- if reason -%}
    {{ log(this ~ ": " ~ reason ~ ": rebuilding it in full", info=true) }}
    {{ empty_table(this) }}
  {%- endif -%}
{%- endmacro %}

{#
  The verdict of aggregate_stale_reason as one SQL comment line of the model's compiled SQL, on
  incremental runs: "-- aktu_dw stale check: none" or "-- aktu_dw stale check: <reason>".
#}
{% macro stale_check_note(reason) -%}
  {%- if execute and is_incremental() -%}
    -- {{ stale_check_note_prefix() }}{{ (reason or 'none') | replace('\n', ' ') }}
  {%- endif -%}
{%- endmacro %}

{% macro stale_check_note_prefix() -%}
  {{ return('aktu_dw stale check: ') }}
{%- endmacro %}

{#
  The pre-hook's verdict: the note the model's compiled SQL carries (compiled this run, just
  before the hook renders), so the warehouse is asked once a run. A model without the note is
  checked again here, so the pre-hook stays right on any incremental aggregate.
#}
{% macro compiled_stale_reason(file_loads, file_kind, resent_check) -%}
  {%- if not (execute and is_incremental()) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set prefix = '-- ' ~ stale_check_note_prefix() -%}
  {%- for line in (model.get('compiled_code') or '').splitlines() if line.strip().startswith(prefix) -%}
    {%- set verdict = line.strip()[prefix | length:] -%}
    {{ return(none if verdict == 'none' else verdict) }}
  {%- endfor -%}
  {{ return(aggregate_stale_reason(file_loads, file_kind, resent_check)) }}
{%- endmacro %}

{# Why topping the aggregate up would be wrong on this run, as a sentence; none when it is right. #}
{% macro aggregate_stale_reason(file_loads, file_kind, resent_check) -%}
  {%- if not (execute and is_incremental()) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
  {%- for needed in ('source_row_count', 'last_loaded_at', 'student_hash_fingerprint') -%}
    {%- if needed not in columns -%}
      {{ exceptions.raise_compiler_error(this ~ " has no column " ~ needed ~ " (an older version of the project built it): rebuild it once with `dbt build --full-refresh --select " ~ this.identifier ~ "+`") }}
    {%- endif -%}
  {%- endfor -%}
  {%- do fail_if_columns_changed(columns) -%}
  {%- set state = run_query("select count(*), min(student_hash_fingerprint), max(student_hash_fingerprint), max(last_loaded_at) from " ~ this).rows[0] -%}
  {%- if state[0] | int == 0 -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set fingerprint = student_hash_fingerprint() -%}
  {%- if state[1] != fingerprint or state[2] != fingerprint -%}
    {{ return("its student_hash pseudonyms were made with " ~ state[1] ~ ", this run's with " ~ fingerprint) }}
  {%- endif -%}
  {%- if counted_rows_vanished(file_loads, file_kind) -%}
    {{ return("rows it counted have vanished (a re-export replaced them; the loader's audit no longer adds up to what it counted)") }}
  {%- endif -%}
  {%- set resent = run_query(resent_check(watermark_literal(state[3]))).columns[0].values()[0] -%}
  {%- if resent | int > 0 -%}
    {{ return("rows loaded since " ~ state[3] ~ " re-send records it has counted (" ~ resent ~ " of its keys touched)") }}
  {%- endif -%}
  {{ return(none) }}
{%- endmacro %}

{# True when the aggregate counted more (or fewer) raw rows than the audit says are there. #}
{% macro counted_rows_vanished(file_loads, file_kind) -%}
  {%- set check -%}
    select
        (select coalesce(sum(source_row_count), 0) from {{ this }})
        - (select coalesce(sum(loads.rows_loaded), 0)
           from {{ file_loads }} as loads
           where loads.file_kind = '{{ file_kind }}'
               and loads.load_status = 'loaded'
               and loads.load_started_at <= (select max(last_loaded_at) from {{ this }})
               and not exists (
                   select 1
                   from {{ file_loads }} as later
                   where later.file_name = loads.file_name
                       and later.load_status = 'loaded'
                       and later.load_started_at > loads.load_started_at
               ))
        as vanished
  {%- endset -%}
  {{ return(run_query(check).columns[0].values()[0] != 0) }}
{%- endmacro %}

{#
  Attendance rows loaded after the watermark whose (student, course) pair the aggregate holds
  with a class date on or after the new row's: only those can re-send a counted class (a day's
  new file brings later dates). A late day sent out of order also matches, and costs a rebuild
  that gives the same figures. Reads the new rows only (a range of the raw table's key on
  MySQL/MariaDB) and the aggregate through its unique (student_hash, course_code) index.
#}
{% macro attendance_classes_resent(watermark) -%}
    with

    new_rows as (

        select
            college_code,
            roll_no,
            dob,
            course_code,
            min(class_date) as first_class_date

        from {{ ref('stg_aktu__attendance') }}
        where loaded_at > {{ watermark }}
        group by college_code, roll_no, dob, course_code

    ),

    hashed as (

        select
            {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
            course_code,
            first_class_date

        from new_rows

    )

    select count(*) as resent_pairs
    from hashed
    inner join {{ this }} as counted
        on hashed.student_hash = counted.student_hash
        and hashed.course_code = counted.course_code
    where hashed.first_class_date <= counted.last_class_date
{%- endmacro %}

{#
  The newest load timestamp an incremental aggregate has counted, as a SQL literal: a constant in
  the model's WHERE lets MySQL/MariaDB read only the new rows through the raw tables' clustered
  (_loaded_at, ...) key, where a subquery would not. The floor when the aggregate is empty.
#}
{% macro incremental_watermark(watermark_column) -%}
  {%- if execute and is_incremental() -%}
    {{ return(watermark_literal(run_query("select max(" ~ watermark_column ~ ") from " ~ this).columns[0].values()[0])) }}
  {%- endif -%}
  {{ return(watermark_floor()) }}
{%- endmacro %}

{# A timestamp read back from the warehouse as a SQL literal; the floor for none. #}
{% macro watermark_literal(value) -%}
  {%- if value is none -%}
    {{ return(watermark_floor()) }}
  {%- endif -%}
  {{ return(as_datetime("'" ~ (value if value is string else value.strftime('%Y-%m-%d %H:%M:%S.%f')) ~ "'")) }}
{%- endmacro %}

{# Every row out of a table, in the run's transaction where the engine has one. #}
{% macro empty_table(relation) -%}
  {{ return(adapter.dispatch('empty_table', 'aktu_dw')(relation)) }}
{%- endmacro %}
{% macro default__empty_table(relation) -%} delete from {{ relation }} {%- endmacro %}
{# Spark's Parquet tables take no DELETE. #}
{% macro spark__empty_table(relation) -%} truncate table {{ relation }} {%- endmacro %}

{# The earliest timestamp every engine accepts: the watermark of an empty aggregate. #}
{% macro watermark_floor() -%}
  {{ as_datetime("'1970-01-02 00:00:00'") }}
{%- endmacro %}

{% macro as_datetime(expr) -%}
  {{ return(adapter.dispatch('as_datetime', 'aktu_dw')(expr)) }}
{%- endmacro %}
{% macro default__as_datetime(expr) -%} cast({{ expr }} as timestamp) {%- endmacro %}
{% macro mysql__as_datetime(expr) -%} cast({{ expr }} as datetime(6)) {%- endmacro %}
{% macro mariadb__as_datetime(expr) -%} cast({{ expr }} as datetime(6)) {%- endmacro %}

{#
  dbt-mysql's incremental delete+insert deletes with `where (key) in (select key from tmp)`, which
  MariaDB (before 11.1) cannot turn into a semi-join in a single-table DELETE: it re-reads the
  temporary table for every row of the target. This override (root-project macros take precedence
  over the adapter's) deletes through a join instead, which uses the target's key index
  (aktu_index). Same rows deleted, on MySQL 8 and MariaDB.
#}
{% macro incremental_delete(tmp_relation, target_relation, unique_key=none, statement_name="pre_main") %}
    {%- if unique_key is not none and unique_key | length -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    delete {{ target_relation }}
    from {{ target_relation }}
    inner join (select distinct {{ keys | join(', ') }} from {{ tmp_relation }}) as new_keys
        on {% for key in keys %}{{ target_relation }}.{{ key }} = new_keys.{{ key }}
        {%- if not loop.last %}
        and {% endif %}{% endfor %}
    {%- endif %}
{%- endmacro %}

{#
  on_schema_change='fail' on every adapter, for the incremental models (dbt-mysql ignores the
  config): on an incremental run, a table whose columns are not the model's documented ones stops
  the run with the command that rebuilds it. Without it, delete+insert on MySQL/MariaDB inserts
  the table's old column list and leaves a column the model gained out without a word. Called as
  the model compiles; `columns` when the caller has already read them.
#}
{% macro fail_if_columns_changed(columns=none) -%}
  {%- if not (execute and is_incremental()) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- if columns is none -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
  {%- endif -%}
  {%- set documented = model.columns.keys() | map('lower') | sort | list -%}
  {%- if documented != columns | sort | list -%}
    {{ exceptions.raise_compiler_error(this ~ " has the columns " ~ (columns | sort | join(', ')) ~ "; the model now documents " ~ (documented | join(', ')) ~ ": rebuild it once with `dbt build --full-refresh --select " ~ this.identifier ~ "+`") }}
  {%- endif -%}
{%- endmacro %}
