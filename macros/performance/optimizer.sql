{#
  A MariaDB optimizer_switch setting for the rest of the session: a model's pre-hook sets it and
  its post-hook sets it back to 'default'. Nothing on other engines (MySQL 8 knows no such flags
  as split_materialized; DuckDB has no optimizer_switch).

    {{ config(pre_hook="{{ aktu_optimizer_switch('split_materialized=off') }}",
              post_hook="{{ aktu_optimizer_switch('split_materialized=default') }}") }}
#}
{% macro aktu_optimizer_switch(setting) -%}
  {{ return(adapter.dispatch('aktu_optimizer_switch', 'aktu_dw')(setting)) }}
{%- endmacro %}

{% macro default__aktu_optimizer_switch(setting) -%}
{%- endmacro %}

{% macro mariadb__aktu_optimizer_switch(setting) -%}
  set session optimizer_switch = '{{ setting }}'
{%- endmacro %}

{#
  The in-memory size of this session's temporary tables on MySQL/MariaDB, for one model: its
  pre-hook raises it to var('aktu_model_tmp_table_bytes'), its post-hook puts the server's
  setting back. A GROUP BY whose groups outgrow the server default (16 MiB) goes to disk: the
  attendance aggregate at 5M rows took 47 s so, 12-18 s in memory (docs/benchmarks.md).
  Nothing on DuckDB, which spills by itself within its memory limit.

    {{ config(pre_hook="{{ aktu_session_tmp_tables('model') }}",
              post_hook="{{ aktu_session_tmp_tables('default') }}") }}
#}
{% macro aktu_session_tmp_tables(size) -%}
  {{ return(adapter.dispatch('aktu_session_tmp_tables', 'aktu_dw')(size)) }}
{%- endmacro %}

{% macro default__aktu_session_tmp_tables(size) -%}
{%- endmacro %}

{% macro mysql__aktu_session_tmp_tables(size) -%}
  {%- set value = 'default' if size == 'default' else var('aktu_model_tmp_table_bytes') | int -%}
  set session tmp_table_size = {{ value }}, max_heap_table_size = {{ value }}
{%- endmacro %}

{% macro mariadb__aktu_session_tmp_tables(size) -%}
  {{ mysql__aktu_session_tmp_tables(size) }}
{%- endmacro %}

{#
  `select {{ aktu_compute_once() }} ...`: on MySQL/MariaDB `distinct`, a no-op on rows that are
  unique already, which makes the server materialise the CTE, computing each row (e.g. a view's
  student_hash) once, instead of merging a view into the join and computing it again for every
  row it is compared with. Nothing on other engines. Use only where the rows are unique.
#}
{% macro aktu_compute_once() -%}
  {{ return(adapter.dispatch('aktu_compute_once', 'aktu_dw')()) }}
{%- endmacro %}

{% macro default__aktu_compute_once() -%}
{%- endmacro %}

{% macro mysql__aktu_compute_once() -%}
  distinct
{%- endmacro %}

{% macro mariadb__aktu_compute_once() -%}
  distinct
{%- endmacro %}

{#
  `select {{ aktu_sort_to_group() }} ... group by ...` for a GROUP BY of many groups (one per
  student and course over every attendance row): `sql_big_result` on MySQL/MariaDB, which then
  sort the rows and group them in one pass instead of probing an in-memory temporary table keyed
  on the wide group columns for every row (measured in docs/benchmarks.md, "The attendance
  aggregate without a distinct count"). Nothing on other engines.
#}
{% macro aktu_sort_to_group() -%}
  {{ return(adapter.dispatch('aktu_sort_to_group', 'aktu_dw')()) }}
{%- endmacro %}

{% macro default__aktu_sort_to_group() -%}
{%- endmacro %}

{% macro mysql__aktu_sort_to_group() -%}
  sql_big_result
{%- endmacro %}

{% macro mariadb__aktu_sort_to_group() -%}
  {{ mysql__aktu_sort_to_group() }}
{%- endmacro %}
