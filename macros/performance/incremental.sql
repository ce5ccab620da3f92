{#
  Additive incremental aggregates (sums and counts per key, topped up with the rows loaded since
  the last run) are only right while no row they counted has gone. A corrected re-export of a
  file replaces its rows (README, loader), so before each incremental run this pre-hook compares
  what the aggregate counted with what the loader's audit says the raw table holds up to the
  aggregate's watermark: the rows_loaded of each file's current load (its latest `loaded` one)
  started no later than the watermark. Every raw row carries its load's start as loaded_at, so
  the two agree unless rows vanished; then it empties the aggregate and the run rebuilds it from
  all rows. It reads the small audit, never the raw rows: a daily run costs the day, not the
  semester. (Rows deleted from a raw table by hand, outside the loader, need --full-refresh.)

    pre_hook="{{ reset_if_counted_rows_vanished('classes_held', ref('stg_aktu__file_loads'),
                                                'attendance', 'last_loaded_at') }}"
#}
{% macro reset_if_counted_rows_vanished(count_column, file_loads, file_kind, watermark_column) -%}
  {%- if counted_rows_vanished(count_column, file_loads, file_kind, watermark_column) -%}
    {{ log("rows counted by " ~ this ~ " have vanished (a re-export replaced them; the loader's audit no longer adds up to what it counted): rebuilding it in full", info=true) }}
    {{ empty_table(this) }}
  {%- endif -%}
{%- endmacro %}

{# True on an incremental run when the aggregate counted rows that are no longer there. #}
{% macro counted_rows_vanished(count_column, file_loads, file_kind, watermark_column) -%}
  {%- if not (execute and is_incremental()) -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set check -%}
    select
        (select coalesce(sum({{ count_column }}), 0) from {{ this }})
        - (select coalesce(sum(loads.rows_loaded), 0)
           from {{ file_loads }} as loads
           where loads.file_kind = '{{ file_kind }}'
               and loads.load_status = 'loaded'
               and loads.load_started_at <= (select max({{ watermark_column }}) from {{ this }})
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
  The newest load timestamp an incremental aggregate has counted, as a SQL literal: a constant in
  the model's WHERE lets MySQL/MariaDB read only the new rows through the raw tables' clustered
  (_loaded_at, ...) key, where a subquery would not. The floor when the aggregate is empty or
  when its pre-hook is about to empty it (the model is compiled before the hook runs, so the
  same check decides both).
#}
{% macro incremental_watermark(watermark_column, count_column, file_loads, file_kind) -%}
  {%- if execute and is_incremental()
        and not counted_rows_vanished(count_column, file_loads, file_kind, watermark_column) -%}
    {%- set newest = run_query("select max(" ~ watermark_column ~ ") from " ~ this).columns[0].values()[0] -%}
    {%- if newest is not none -%}
      {{ return(as_datetime("'" ~ (newest if newest is string else newest.strftime('%Y-%m-%d %H:%M:%S.%f')) ~ "'")) }}
    {%- endif -%}
  {%- endif -%}
  {{ return(watermark_floor()) }}
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
