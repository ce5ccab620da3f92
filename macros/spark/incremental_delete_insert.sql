{#
  The `delete+insert` incremental strategy on Spark (dbt-spark 1.7 knows only append, merge and
  insert_overwrite; merge needs Delta/Iceberg/Hudi). The project's incremental models use
  delete+insert with a unique_key (DuckDB and MySQL/MariaDB run it natively); on Spark's Parquet
  tables, which have no DELETE, the same result is produced by a rewrite:

    1. stage  = the target's rows whose key is not among the new rows  (left anti join)
                union all the new rows                                   (a Parquet table)
    2. insert overwrite table target select ... from stage
    3. drop stage

  Spark cannot overwrite a table in a statement that also reads it, hence the staged copy. The
  whole aggregate is rewritten on each run; the incremental saving is in reading only the new
  source rows (for the attendance aggregate: one row per student and course, far smaller than
  the attendance it sums). Not atomic for a reader during step 2, as dbt-spark's insert_overwrite.

  These two macros replace dbt-spark 1.7.1's own (the root project's macros take precedence);
  every other strategy is passed on unchanged to what dbt-spark does.
#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
  {%- if raw_strategy == 'delete+insert' -%}
    {% do return(raw_strategy) %}
  {%- endif -%}
  {#-- dbt-spark 1.7.1's validation, unchanged, for every other strategy --#}
  {% set invalid_strategy_msg -%}
    Invalid incremental strategy provided: {{ raw_strategy }}
    Expected one of: 'append', 'merge', 'insert_overwrite', 'delete+insert'
  {%- endset %}
  {% set invalid_merge_msg -%}
    Invalid incremental strategy provided: {{ raw_strategy }}
    You can only choose this strategy when file_format is set to 'delta' or 'iceberg' or 'hudi'
  {%- endset %}
  {% set invalid_insert_overwrite_endpoint_msg -%}
    Invalid incremental strategy provided: {{ raw_strategy }}
    You cannot use this strategy when connecting via endpoint
    Use the 'append' or 'merge' strategy instead
  {%- endset %}
  {% if raw_strategy not in ['append', 'merge', 'insert_overwrite'] %}
    {% do exceptions.raise_compiler_error(invalid_strategy_msg) %}
  {%- else %}
    {% if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] %}
      {% do exceptions.raise_compiler_error(invalid_merge_msg) %}
    {% endif %}
    {% if raw_strategy == 'insert_overwrite' and target.endpoint %}
      {% do exceptions.raise_compiler_error(invalid_insert_overwrite_endpoint_msg) %}
    {% endif %}
  {% endif %}
  {% do return(raw_strategy) %}
{% endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
  {%- if strategy == 'delete+insert' -%}
    {{ spark_delete_insert_sql(source, target, unique_key) }}
  {%- elif strategy == 'append' -%}
    {{ get_insert_into_sql(source, target) }}
  {%- elif strategy == 'insert_overwrite' -%}
    {{ get_insert_overwrite_sql(source, target, existing) }}
  {%- elif strategy == 'merge' -%}
    {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
  {%- else -%}
    {%- do exceptions.raise_compiler_error("No known SQL for the incremental strategy provided: " ~ strategy) -%}
  {%- endif -%}
{% endmacro %}


{#
  Steps 1 and 2 run here as statements; the SQL returned (run by the materialization as its
  `main` statement) is step 3, dropping the staged copy.
#}
{% macro spark_delete_insert_sql(source, target, unique_key) %}
  {%- set keys = [unique_key] if unique_key is string else (unique_key or []) -%}
  {%- if keys | length == 0 -%}
    {%- do exceptions.raise_compiler_error("delete+insert on Spark needs a unique_key (model " ~ target ~ ")") -%}
  {%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | list -%}
  {%- set staged = api.Relation.create(database=target.database, schema=target.schema,
                                       identifier=target.identifier ~ '__dbt_delete_insert',
                                       type='table') -%}
  {% call statement('spark_delete_insert_clear') -%}
    drop table if exists {{ staged }}
  {%- endcall %}
  {% call statement('spark_delete_insert_stage') -%}
    create table {{ staged }} using parquet as
    select {% for c in columns %}dbt_internal_dest.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ target }} as dbt_internal_dest
    left anti join {{ source }} as dbt_internal_source
        on {% for k in keys %}dbt_internal_source.{{ k }} = dbt_internal_dest.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    union all
    select {{ columns | join(', ') }} from {{ source }}
  {%- endcall %}
  {% call statement('spark_delete_insert_overwrite') -%}
    insert overwrite table {{ target }} select {{ columns | join(', ') }} from {{ staged }}
  {%- endcall %}
  drop table if exists {{ staged }}
{% endmacro %}
