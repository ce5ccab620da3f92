{#
  `expr in ('a', 'b')` from a list var, quoting each value; false for an empty list (SQL has no
  empty IN list). A single string is taken as a list of one.
#}
{% macro placement_value_in(expr, values) -%}
  {%- if values is string -%}{%- set values = [values] -%}{%- endif -%}
  {%- if values | length == 0 -%}
    (1 = 0)
  {%- else -%}
    ({{ expr }} in ({% for v in values %}'{{ v | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %}))
  {%- endif -%}
{%- endmacro %}
