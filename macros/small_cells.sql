{#
  Small-cell suppression, shared by every aggregate mart: a group of fewer than
  var('aktu_small_cell_min_students') students shows no figures, so that no published aggregate
  identifies a student. Use suppress_small_cell() on each figure and is_small_cell() for the flag;
  keep the group's student count itself out of the output too when the cell is suppressed.
#}
{% macro is_small_cell(student_count) -%}
  ({{ student_count }} < {{ var('aktu_small_cell_min_students') }})
{%- endmacro %}

{% macro suppress_small_cell(value, student_count) -%}
  case when {{ student_count }} >= {{ var('aktu_small_cell_min_students') }} then {{ value }} end
{%- endmacro %}
