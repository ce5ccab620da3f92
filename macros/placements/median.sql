{#
  A median that DuckDB, MySQL 8.0 and MariaDB 10.6+ all accept. MySQL has no MEDIAN or
  PERCENTILE_CONT at all and MariaDB's PERCENTILE_CONT is a window function only, so the median
  is taken from row numbers, in two steps:

    1. in a CTE, per row:      median_row_rank(value, partition_by) as value_rank,
                               median_row_count(value, partition_by) as value_count
    2. in the aggregate:       median_of_ranked_rows(value, 'value_rank', 'value_count')
                               grouped by the same columns as partition_by.

  Null values are left out (they get their own partition, so they take no rank among the
  values, whichever end an engine sorts nulls to). With n values the middle ranks are those
  with 2 * rank in (n, n + 1, n + 2): rank (n + 1) / 2 for odd n, ranks n / 2 and n / 2 + 1 for
  even n, whose mean is the median. Null when the group has no values.
#}
{% macro median_row_rank(value, partition_by) -%}
  row_number() over (
    partition by {{ partition_by | join(', ') }}, case when {{ value }} is null then 1 else 0 end
    order by {{ value }}
  )
{%- endmacro %}

{% macro median_row_count(value, partition_by) -%}
  count({{ value }}) over (partition by {{ partition_by | join(', ') }})
{%- endmacro %}

{% macro median_of_ranked_rows(value, value_rank, value_count) -%}
  avg(
    case
      when {{ value }} is not null
        and 2 * {{ value_rank }} in ({{ value_count }}, {{ value_count }} + 1, {{ value_count }} + 2)
        then {{ as_double(value) }}
    end
  )
{%- endmacro %}
