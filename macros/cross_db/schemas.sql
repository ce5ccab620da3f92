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

{#
  The same rule for the text the SQL computes: sha2()'s student_hash, CAST AS CHAR and literals
  take the connection's collation, which is utf8mb4_general_ci (MariaDB) or utf8mb4_0900_ai_ci
  (MySQL 8) unless the profile sets `collation: utf8mb4_bin`. Without it, a table built from
  computed text (the attendance aggregate's unique key, for one) would fold case where the raw
  tables and the marts do not. Called by on-run-start: refuses to run with any other collation.
#}
{% macro aktu_check_connection_collation() -%}
  {{ return(adapter.dispatch('aktu_check_connection_collation', 'aktu_dw')()) }}
{%- endmacro %}

{% macro default__aktu_check_connection_collation() -%}{%- endmacro %}

{% macro mysql__aktu_check_connection_collation() -%}
  {%- if execute -%}
    {%- set collation = run_query("select @@collation_connection").columns[0].values()[0] -%}
    {%- if collation != 'utf8mb4_bin' -%}
      {#- A compiler error in a hook is recorded and every node still runs (dbt 1.7); this one
          stops the command (macros/guards/raw_tables.sql says why it is this exception). -#}
      {{ exceptions.raise_not_implemented("this connection's collation is " ~ collation ~ ", not utf8mb4_bin: add `charset: utf8mb4` and `collation: utf8mb4_bin` to the " ~ target.name ~ " target in profiles.yml (as in profiles.example.yml), or text computed in SQL would compare differently from the raw tables and the marts") }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}

{% macro mariadb__aktu_check_connection_collation() -%}
  {{ mysql__aktu_check_connection_collation() }}
{%- endmacro %}
