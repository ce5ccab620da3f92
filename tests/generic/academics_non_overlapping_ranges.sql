{#
  No two rows of the same key have overlapping [from_column, to_column] ranges (null = open end).
  Used on course_mark_schemes: a student's batch must select exactly one marking scheme.
#}
{% test academics_non_overlapping_ranges(model, key_column, from_column, to_column) %}

with

ranges as (

    select
        {{ key_column }} as range_key,
        {{ from_column }} as range_from,
        {{ to_column }} as range_to,
        row_number() over (
            partition by {{ key_column }}
            order by {{ from_column }}, {{ to_column }}
        ) as range_number

    from {{ model }}

)

select
    earlier.range_key,
    earlier.range_from as earlier_from,
    earlier.range_to as earlier_to,
    later.range_from as later_from,
    later.range_to as later_to

from ranges as earlier
inner join ranges as later
    on earlier.range_key = later.range_key
    and earlier.range_number < later.range_number
where (earlier.range_to is null or later.range_from is null or later.range_from <= earlier.range_to)
    and (later.range_to is null or earlier.range_from is null or earlier.range_from <= later.range_to)

{% endtest %}
