{#
  The raw key of a staging model: within one load (loaded_at) each file line (source_line) lands
  at most once. The failing rows are the repeated (load, line) pairs, as
  unique_combination_of_columns lists them; how they are found is the engine's
  (macros/performance/unique_lines.sql).
#}
{% test unique_lines_per_load(model, load_column='loaded_at', line_column='source_line') %}

{{ adapter.dispatch('unique_lines_per_load_rows', 'aktu_dw')(model, load_column, line_column) }}

{% endtest %}
