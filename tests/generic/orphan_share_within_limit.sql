{#
  Fails on every row (one per file kind) whose orphans are more than max_pct percent of its rows:
  100 * orphan_rows > max_pct * total_rows, compared without a division so that a share exactly at
  the limit passes on every engine. Returns the kind with its counts, which store_failures keeps.
#}
{% test orphan_share_within_limit(model, max_pct, kind_column='file_kind', orphans_column='orphan_rows', total_column='total_rows') %}

select
    {{ kind_column }},
    {{ total_column }},
    {{ orphans_column }}
from {{ model }}
where {{ orphans_column }} > 0
    and 100 * {{ orphans_column }} > {{ max_pct }} * {{ total_column }}

{% endtest %}
