{#
  dbt's schemas on MySQL/MariaDB are created with a binary utf8mb4 collation, as the loader's raw
  schema is: text compares and groups byte for byte ('cse401' <> 'CSE401', trailing spaces count),
  exactly as on DuckDB, so the engines agree row for row. The server default (often
  utf8mb4_general_ci or latin1) would fold case and accents.
#}
{% macro mysql__create_schema(relation) -%}
  {%- call statement('create_schema') -%}
    create schema if not exists {{ relation.without_identifier() }}
      character set utf8mb4 collate utf8mb4_bin
  {%- endcall -%}
{% endmacro %}

{% macro mariadb__create_schema(relation) -%}
  {{ mysql__create_schema(relation) }}
{%- endmacro %}
