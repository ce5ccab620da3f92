{#
  1 for the row of the latest load among the rows of one key (a resend, an overlapping export, a
  corrected master), counting up for older ones: the one rule every model that keeps "the
  latest row" applies. Loads are strictly ordered; the file and line only make the order total.
#}
{% macro latest_load_rank(partition_by) -%}
row_number() over (
            partition by {{ partition_by | join(', ') }}
            order by loaded_at desc, source_file desc, source_line desc
        )
{%- endmacro %}
