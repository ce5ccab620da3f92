{#
  The marts that report one metric for several groupings at once (overall, per college, per
  program, …) cross-join their rows with a one-column list of scope names and pick each row's
  group value by scope. `scopes` maps each scope name to the SQL expression of its group value
  (a constant such as "''" for the overall scope).
#}

{#- One row per scope: select '<name>' as scope, unioned. -#}
{% macro scope_rows(scopes) -%}
    {%- for scope in scopes %}
    select '{{ scope }}' as scope
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The group value of a row for the scope named in scope_column. -#}
{% macro scope_value(scope_column, scopes) -%}
    case {{ scope_column }}
        {%- for scope, expression in scopes.items() %}
        when '{{ scope }}' then {{ expression }}
        {%- endfor %}
    end
{%- endmacro %}
