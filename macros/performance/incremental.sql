{#
  Additive incremental aggregates (sums and counts per key, topped up with the rows loaded since
  the last run) are only right while no row they counted has gone. A corrected re-export of an
  attendance file replaces its rows (loader/README), so before each incremental run this pre-hook
  compares what the aggregate counted with the rows still there up to its watermark; if rows
  vanished it empties the aggregate, and the run rebuilds it from all rows.

    pre_hook="{{ reset_if_counted_rows_vanished('classes_held', ref('stg_aktu__attendance'),
                                                'loaded_at', 'last_loaded_at') }}"
#}
{% macro reset_if_counted_rows_vanished(count_column, source_relation, loaded_at_column, watermark_column) -%}
  {%- if execute and is_incremental() -%}
    {%- set check -%}
      select
          (select coalesce(sum({{ count_column }}), 0) from {{ this }})
          - (select count(*) from {{ source_relation }}
             where {{ loaded_at_column }} <= (select max({{ watermark_column }}) from {{ this }}))
          as vanished
    {%- endset -%}
    {%- set vanished = run_query(check).columns[0].values()[0] -%}
    {%- if vanished != 0 -%}
      {{ log("rows counted by " ~ this ~ " have vanished from " ~ source_relation ~ " (a re-export replaced them): rebuilding it in full", info=true) }}
      {{ empty_table(this) }}
    {%- endif -%}
  {%- endif -%}
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
