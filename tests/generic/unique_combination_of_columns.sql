{#
  The combination of columns is unique: the key of a model whose grain is several columns
  (dbt ships unique for one column only, and no dbt packages can be installed here).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

keyed as (

    select {{ combination_of_columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from keyed
where occurrences > 1

{% endtest %}
