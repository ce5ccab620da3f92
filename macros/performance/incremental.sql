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
      delete from {{ this }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}

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
