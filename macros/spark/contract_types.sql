{#
  Model contracts on Spark. dbt checks a contract by selecting `cast(null as <data_type>)` for every
  declared column and comparing the result's column types with the model's. Spark's CAST treats
  varchar(n) and char(n) as string, with a warning per column and model; the declared types are
  mapped to the type Spark gives anyway (string), so the check is the same and the log quiet.
  Every other declared type (bigint, double, date, boolean) is a Spark type as it stands.
#}
{% macro spark_cast_type_for(data_type) -%}
  {%- set t = data_type | lower | trim -%}
  {%- if t.startswith('varchar') or t.startswith('char') -%} string
  {%- else -%} {{ t }}
  {%- endif -%}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) %}
  {{ return(empty_schema_sql_with(columns, spark_cast_type_for)) }}
{% endmacro %}
