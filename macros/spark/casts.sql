{#
  Portable casts on Spark (macros/cross_db/casts.sql). Spark has no length-limited text type in
  its data (varchar(n) is a string with a check on write, and only in table schemas): text casts
  to string, which is also what dbt's contract check gets for a declared varchar(n).
#}
{% macro spark__as_bigint(expr) -%} cast({{ expr }} as bigint) {%- endmacro %}
{% macro spark__as_varchar(expr, length) -%} cast({{ expr }} as string) {%- endmacro %}
{% macro spark__as_boolean(expr) -%} cast({{ expr }} as boolean) {%- endmacro %}
