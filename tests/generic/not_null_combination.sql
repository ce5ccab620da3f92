{#
  None of the columns is null on any row: the not_null half of a composite key.
#}
{% test not_null_combination(model, combination_of_columns) %}

select {{ combination_of_columns | join(', ') }}
from {{ model }}
where
    {% for column in combination_of_columns %}
    {{ column }} is null {% if not loop.last %}or{% endif %}
    {% endfor %}

{% endtest %}
