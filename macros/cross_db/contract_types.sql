{#
  Model contracts on MySQL/MariaDB. dbt checks a contract by selecting
  `cast(null as <data_type>)` for every declared column and comparing the driver's column types
  with the model's. MySQL's CAST knows neither bigint, varchar(n) nor boolean, so the declared
  (CREATE TABLE) types are mapped to the CAST type that yields the same driver type as the
  model's casts in macros/cross_db/casts.sql.
#}

{% macro mysql_cast_type_for(data_type) -%}
  {%- set t = data_type | lower | trim -%}
  {%- if t in ('bigint', 'integer', 'int', 'boolean', 'bool', 'smallint', 'tinyint') -%} signed
  {%- elif t.startswith('varchar') -%} char{{ t[7:] }}
  {%- else -%} {{ t }}
  {%- endif -%}
{%- endmacro %}

{#
  dbt's empty-schema select with each declared type passed through an engine's mapping to the
  type its CAST accepts (mysql_cast_type_for here, spark_cast_type_for below).
#}
{% macro empty_schema_sql_with(columns, cast_type_for) %}
    {%- set col_err = [] -%}
    select
    {% for i in columns %}
      {%- set col = columns[i] -%}
      {%- if col['data_type'] is not defined -%}
        {%- do col_err.append(col['name']) -%}
      {%- endif -%}
      {% set col_name = adapter.quote(col['name']) if col.get('quote') else col['name'] %}
      cast(null as {{ cast_type_for(col.get('data_type', '')) }}) as {{ col_name }}{{ ", " if not loop.last }}
    {%- endfor -%}
    {%- if (col_err | length) > 0 -%}
      {{ exceptions.column_type_missing(column_names=col_err) }}
    {%- endif -%}
{% endmacro %}

{% macro mysql__get_empty_schema_sql(columns) %}
  {{ return(empty_schema_sql_with(columns, mysql_cast_type_for)) }}
{% endmacro %}

{% macro mariadb__get_empty_schema_sql(columns) %}
  {{ return(mysql__get_empty_schema_sql(columns)) }}
{% endmacro %}

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
