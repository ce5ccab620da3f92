{#
  The rows of the test unique_lines_per_load (tests/generic/): the (load, line) pairs that occur
  more than once.
#}
{% macro default__unique_lines_per_load_rows(model, load_column, line_column) %}

select
    {{ load_column }},
    {{ line_column }},
    count(*) as occurrences

from {{ model }}
group by {{ load_column }}, {{ line_column }}
having count(*) > 1

{% endmacro %}

{#
  DuckDB: a load's lines as a bitmap (bitstring_agg, a bit per line between the load's first and
  last), whose set bits are as many as its lines unless a line repeats. Grouping every (load,
  line) pair was the slowest node of `dbt build` at 12M attendance rows (2.8-4.1 s, and a hash
  table of every row); the bitmaps take 0.2-0.3 s. Only the rows of a load that fails are then
  grouped, so the failing rows are those of the default. Line numbers are a file's physical
  lines, so a bitmap is a bit per line of the file.
#}
{% macro duckdb__unique_lines_per_load_rows(model, load_column, line_column) %}

with

line_bitmaps as (

    select
        {{ load_column }},
        count({{ line_column }}) as line_count,
        bit_count(bitstring_agg({{ line_column }})) as distinct_line_count

    from {{ model }}
    group by {{ load_column }}

),

loads_with_a_repeated_line as (

    select {{ load_column }}
    from line_bitmaps
    where line_count <> distinct_line_count

)

select
    load_rows.{{ load_column }},
    load_rows.{{ line_column }},
    count(*) as occurrences

from {{ model }} as load_rows
inner join loads_with_a_repeated_line
    on load_rows.{{ load_column }} = loads_with_a_repeated_line.{{ load_column }}
group by load_rows.{{ load_column }}, load_rows.{{ line_column }}
having count(*) > 1

{% endmacro %}
