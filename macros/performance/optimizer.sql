{#
  A MariaDB optimizer_switch setting for the rest of the session: a model's pre-hook sets it and
  its post-hook sets it back to 'default'. Nothing on other engines (MySQL 8 knows no such flags
  as split_materialized; DuckDB has no optimizer_switch).

    {{ config(pre_hook="{{ aktu_optimizer_switch('split_materialized=off') }}",
              post_hook="{{ aktu_optimizer_switch('split_materialized=default') }}") }}
#}
{% macro aktu_optimizer_switch(setting) -%}
  {{ return(adapter.dispatch('aktu_optimizer_switch', 'aktu_dw')(setting)) }}
{%- endmacro %}

{% macro default__aktu_optimizer_switch(setting) -%}
{%- endmacro %}

{% macro mariadb__aktu_optimizer_switch(setting) -%}
  set session optimizer_switch = '{{ setting }}'
{%- endmacro %}
