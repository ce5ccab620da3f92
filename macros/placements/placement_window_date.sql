{#
  A date in a given year from a 'MM-DD' var (the placement offer window's bounds, see
  docs/placements.md): placement_window_date('passing_year - 1', '07-01') is 1 July of the year
  before passing. Null when the year is null. The month-day is checked at compile time
  (02-29 is refused: not every year has one).
#}
{% macro placement_window_date(year_expr, month_day) -%}
  {%- set parts = (month_day | string).split('-') -%}
  {%- set days_in_month = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
  {%- if parts | length != 2 or not parts[0].isdigit() or not parts[1].isdigit()
        or (parts[0] | int) < 1 or (parts[0] | int) > 12 or (parts[1] | int) < 1
        or (parts[1] | int) > days_in_month[(parts[0] | int) - 1] -%}
    {{ exceptions.raise_compiler_error("placement_window_date: expected a month-day as 'MM-DD', got '" ~ month_day ~ "'") }}
  {%- endif -%}
  {{ return(adapter.dispatch('placement_window_date', 'aktu_dw')(year_expr, parts[0] | int, parts[1] | int)) }}
{%- endmacro %}

{% macro duckdb__placement_window_date(year_expr, month, day) -%}
  make_date(cast({{ year_expr }} as bigint), {{ month }}, {{ day }})
{%- endmacro %}

{# MAKEDATE(year, 1) is 1 January; whole-month and whole-day intervals keep it a DATE. #}
{% macro mysql__placement_window_date(year_expr, month, day) -%}
  (makedate({{ year_expr }}, 1) + interval {{ month - 1 }} month + interval {{ day - 1 }} day)
{%- endmacro %}

{% macro mariadb__placement_window_date(year_expr, month, day) -%}
  {{ mysql__placement_window_date(year_expr, month, day) }}
{%- endmacro %}

{% macro default__placement_window_date(year_expr, month, day) -%}
  {{ exceptions.raise_compiler_error("placement_window_date has no implementation for adapter '" ~ adapter.type() ~ "'; add " ~ adapter.type() ~ "__placement_window_date in macros/placements/placement_window_date.sql") }}
{%- endmacro %}

{#
  Spark: make_date takes ints.
#}
{% macro spark__placement_window_date(year_expr, month, day) -%}
  make_date(cast({{ year_expr }} as int), {{ month }}, {{ day }})
{%- endmacro %}
