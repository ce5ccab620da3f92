{#
  The model has no rows. The dq_ models list offending rows, so this is their test: configured
  with severity warn and store_failures, a dirty export warns and leaves its rows in the audit
  schema instead of stopping the build.
#}
{% test academics_has_no_rows(model) %}

select * from {{ model }}

{% endtest %}
