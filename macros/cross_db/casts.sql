{#
  Portable casts. MySQL/MariaDB's CAST accepts a different set of type names from their
  CREATE TABLE (no CAST AS bigint or varchar), and dbt-mysql overrides none of dbt's type macros,
  so the marts cast through these, and mart contracts declare the types named here.
#}

{% macro as_bigint(expr) -%}
  {{ return(adapter.dispatch('as_bigint', 'aktu_dw')(expr)) }}
{%- endmacro %}
{% macro default__as_bigint(expr) -%} cast({{ expr }} as bigint) {%- endmacro %}
{% macro mysql__as_bigint(expr) -%} cast({{ expr }} as signed) {%- endmacro %}
{% macro mariadb__as_bigint(expr) -%} cast({{ expr }} as signed) {%- endmacro %}

{% macro as_double(expr) -%} cast({{ expr }} as double) {%- endmacro %}

{% macro as_date(expr) -%} cast({{ expr }} as date) {%- endmacro %}

{% macro as_varchar(expr, length) -%}
  {{ return(adapter.dispatch('as_varchar', 'aktu_dw')(expr, length)) }}
{%- endmacro %}
{% macro default__as_varchar(expr, length) -%} cast({{ expr }} as varchar({{ length }})) {%- endmacro %}
{% macro mysql__as_varchar(expr, length) -%} cast({{ expr }} as char({{ length }})) {%- endmacro %}
{% macro mariadb__as_varchar(expr, length) -%} cast({{ expr }} as char({{ length }})) {%- endmacro %}

{# Booleans: DuckDB has them; MySQL/MariaDB store tinyint(1) 0/1. #}
{% macro as_boolean(expr) -%}
  {{ return(adapter.dispatch('as_boolean', 'aktu_dw')(expr)) }}
{%- endmacro %}
{% macro default__as_boolean(expr) -%} cast({{ expr }} as boolean) {%- endmacro %}
{% macro mysql__as_boolean(expr) -%} cast({{ expr }} as signed) {%- endmacro %}
{% macro mariadb__as_boolean(expr) -%} cast({{ expr }} as signed) {%- endmacro %}

{#
  Spark. Spark has no length-limited text type in
  its data (varchar(n) is a string with a check on write, and only in table schemas): text casts
  to string, which is also what dbt's contract check gets for a declared varchar(n).
#}
{% macro spark__as_bigint(expr) -%} cast({{ expr }} as bigint) {%- endmacro %}
{% macro spark__as_varchar(expr, length) -%} cast({{ expr }} as string) {%- endmacro %}
{% macro spark__as_boolean(expr) -%} cast({{ expr }} as boolean) {%- endmacro %}
