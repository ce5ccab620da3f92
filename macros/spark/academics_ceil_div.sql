{#
  Spark variant of academics_ceil_div (macros/academics/academic_rules.sql, owned by academics):
  integer division rounded up, for a non-negative numerator and a positive denominator. Spark's
  `div` is integral division (bigint), as MySQL's.
#}
{% macro spark__academics_ceil_div(numerator, denominator) -%}
  ((({{ numerator }}) + ({{ denominator }}) - 1) div ({{ denominator }}))
{%- endmacro %}
