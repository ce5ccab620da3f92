{#
  What this run's student_hash pseudonyms are made with, as non-secret text: `sha256` in
  compatibility mode, `hmac-sha256:<key id>` in keyed mode (the installer's key id, a one-way
  tag of the key, never the key or its blocks). Incremental models store it beside the rows they
  keep from earlier runs; when it changes (mode switched, or another key installed) those rows
  hold pseudonyms the marts can no longer join, so the model rebuilds in full
  (macros/performance/incremental.sql). At parse time it answers `sha256` (no SQL runs then).
#}
{% macro student_hash_fingerprint() -%}
  {%- if aktu_privacy_student_hash_keyed() -%}
    {%- set key_id = aktu_privacy_student_hash_key_state()['key_id'] | string -%}
    {#- The installer writes 16 hex digits; anything else must not break the SQL literal. -#}
    {{ return('hmac-sha256:' ~ (key_id | replace("'", "") | replace("\\", ""))) }}
  {%- endif -%}
  {{ return('sha256') }}
{%- endmacro %}
