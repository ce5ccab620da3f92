{#
  Spark variant of placement_window_date (macros/placements/placement_window_date.sql, owned by
  placements): a DATE from a year expression and a checked month and day. make_date takes ints.
#}
{% macro spark__placement_window_date(year_expr, month, day) -%}
  make_date(cast({{ year_expr }} as int), {{ month }}, {{ day }})
{%- endmacro %}
