{#
  Secondary indexes on MySQL/MariaDB tables, created after the table is built (a post-hook), not
  during a bulk load. Idempotent: an index that exists is left alone, so the hook can run on
  every incremental run. DuckDB needs none (its zone maps and hash joins do the work).

    {{ config(post_hook="{{ aktu_index(['student_hash', 'course_code'], unique=true) }}") }}
#}
{% macro aktu_index(columns, unique=false) -%}
  {{ return(adapter.dispatch('aktu_index', 'aktu_dw')(columns, unique)) }}
{%- endmacro %}

{% macro default__aktu_index(columns, unique=false) -%}
{%- endmacro %}

{% macro mysql__aktu_index(columns, unique=false) -%}
  {%- set name = ('ix_' ~ (columns | join('_')))[:64] -%}
  {%- if execute -%}
    {%- set existing = run_query(
        "select count(*) from information_schema.statistics where table_schema = '"
        ~ this.schema ~ "' and table_name = '" ~ this.identifier ~ "' and index_name = '" ~ name ~ "'"
    ).columns[0].values()[0] -%}
    {%- if existing == 0 -%}
      create {{ 'unique ' if unique }}index {{ name }} on {{ this }} ({{ columns | join(', ') }})
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}

{% macro mariadb__aktu_index(columns, unique=false) -%}
  {{ mysql__aktu_index(columns, unique) }}
{%- endmacro %}
