{#
  Pearson's r between x and y as an aggregate over a group, null when the group has fewer than
  two pairs or either variable is constant (as pandas' corr() gives NaN there).

  DuckDB and Spark have corr(). MySQL and MariaDB have none: they get r from centred sums,
  sum((x - mean x)(y - mean y)) / sqrt(sum((x - mean x)^2) * ...), which needs each pair's group
  means (x_mean, y_mean: e.g. a grouped query of avg(x), avg(y) per group joined to the pairs,
  cheaper on MariaDB than avg(x) over (partition by <group>), which sorts every pair) and avoids
  the cancellation of sum(x*x) - n*mean(x)^2. Engines with corr() ignore them.

    {{ corr('pairs.x', 'pairs.y', 'college_means.x_mean', 'college_means.y_mean') }} as pearson_r
#}
{% macro corr(x, y, x_mean, y_mean) -%}
  {{ return(adapter.dispatch('corr', 'aktu_dw')(x, y, x_mean, y_mean)) }}
{%- endmacro %}

{# corr() gives NaN for a constant variable or a single pair; null instead. #}
{% macro default__corr(x, y, x_mean, y_mean) -%}
  case when isnan(corr({{ x }}, {{ y }})) then null else corr({{ x }}, {{ y }}) end
{%- endmacro %}

{% macro mysql__corr(x, y, x_mean, y_mean) -%}
  {%- set dx = '(' ~ x ~ ' - ' ~ x_mean ~ ')' -%}
  {%- set dy = '(' ~ y ~ ' - ' ~ y_mean ~ ')' -%}
  sum({{ dx }} * {{ dy }}) / nullif(sqrt(sum({{ dx }} * {{ dx }})) * sqrt(sum({{ dy }} * {{ dy }})), 0)
{%- endmacro %}

{% macro mariadb__corr(x, y, x_mean, y_mean) -%}
  {{ mysql__corr(x, y, x_mean, y_mean) }}
{%- endmacro %}

{# Divide, giving null instead of an error or infinity when the divisor is zero. #}
{% macro safe_divide(numerator, denominator) -%}
  ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{# part as a percentage of whole (0-100, double), null when whole is 0. #}
{% macro percentage(part, whole) -%}
  {{ safe_divide('100 * ' ~ as_double(part), whole) }}
{%- endmacro %}
