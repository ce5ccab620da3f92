{#
  Every non-null value of from_model.from_column is a value of this column: a relationships test
  written on the parent's side, so a dimension lists in its own yml the facts that must join to it.
  Fails with one row per missing value and the number of rows that carry it.
#}
{% test holds_every_value_of(model, column_name, from_model, from_column) %}

with

child_values as (

    select
        {{ from_column }} as missing_value,
        count(*) as n_rows

    from {{ from_model }}
    where {{ from_column }} is not null
    group by {{ from_column }}

),

parent_values as (

    select distinct {{ column_name }} as parent_value
    from {{ model }}

)

select
    child_values.missing_value,
    child_values.n_rows

from child_values
left join parent_values
    on child_values.missing_value = parent_values.parent_value
where parent_values.parent_value is null

{% endtest %}
