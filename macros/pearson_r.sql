{#
  Pearson's r as an aggregate, portable to engines without CORR() (MySQL, MariaDB).

  Numerically sound: the caller supplies each group's means (a first pass), and r is computed
  from centred sums, so no catastrophic cancellation from sum(x*x) - n*mean(x)^2. Null when the
  group has fewer than two pairs or either variable is constant, as pandas' corr() returns NaN.
#}
{% macro pearson_r(x, y, x_mean, y_mean) -%}
  {{ pearson_r_from_centred_sums(
      'sum((' ~ x ~ ' - ' ~ x_mean ~ ') * (' ~ y ~ ' - ' ~ y_mean ~ '))',
      'sum((' ~ x ~ ' - ' ~ x_mean ~ ') * (' ~ x ~ ' - ' ~ x_mean ~ '))',
      'sum((' ~ y ~ ' - ' ~ y_mean ~ ') * (' ~ y ~ ' - ' ~ y_mean ~ '))'
  ) }}
{%- endmacro %}

{#
  Pearson's r from a group's centred sums: sum((x - mean x)(y - mean y)), sum((x - mean x)^2)
  and sum((y - mean y)^2), given as SQL expressions (e.g. sums of partial sums). Null when either
  variable is constant.
#}
{% macro pearson_r_from_centred_sums(xy, xx, yy) -%}
  ({{ xy }}) / nullif(sqrt({{ xx }}) * sqrt({{ yy }}), 0)
{%- endmacro %}

{# Divide, giving null instead of an error or infinity when the divisor is zero. #}
{% macro safe_divide(numerator, denominator) -%}
  ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
