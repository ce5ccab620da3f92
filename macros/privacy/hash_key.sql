{#
  Where student_hash finds its key, and whether it is keyed (docs/privacy.md).

  The key itself never reaches dbt. `python scripts/privacy/hash_key.py install` derives HMAC's two
  64-byte blocks (K xor ipad, K xor opad) from the operator's key and writes them, with a
  non-secret key id, into <target schema><aktu_privacy_key_schema_suffix>.student_hash_key, sending
  them by LOAD DATA LOCAL INFILE (MySQL/MariaDB: the data is not part of any statement text, so not
  in the general query log) or a bound parameter (DuckDB). dbt only ever writes the table's *name*
  into SQL, so target/, logs/ and the docs site hold no secret.
#}

{% macro aktu_privacy_key_schema() -%}
  {{ return(target.schema ~ var('aktu_privacy_key_schema_suffix', '_private')) }}
{%- endmacro %}

{#
  Spark's targets have no database (target.database is undefined there, and SparkRelation refuses
  an undefined one): target.get() gives none, which every adapter accepts.
#}
{% macro aktu_privacy_key_relation() -%}
  {{ return(api.Relation.create(database=target.get('database'), schema=aktu_privacy_key_schema(),
                                identifier='student_hash_key', type='table')) }}
{%- endmacro %}

{#
  {'installed': bool, 'key_id': str|none, 'installed_at': str|none}. Queries the warehouse, so
  only at execution time; at parse time it answers 'not installed' (the SQL is not run then).
#}
{% macro aktu_privacy_student_hash_key_state() -%}
  {%- set state = {'installed': false, 'key_id': none, 'installed_at': none} -%}
  {%- if not execute -%}
    {{ return(state) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=target.get('database'), schema=aktu_privacy_key_schema(),
                                       identifier='student_hash_key') -%}
  {%- if found is none -%}
    {{ return(state) }}
  {%- endif -%}
  {%- set rows = run_query("select count(*), max(key_id), max(installed_at) from " ~ aktu_privacy_key_relation()) -%}
  {%- set n = rows.columns[0].values()[0] | int -%}
  {%- if n == 0 -%}
    {{ return(state) }}
  {%- endif -%}
  {%- if n != 1 -%}
    {{ exceptions.raise_compiler_error(aktu_privacy_key_relation() ~ " holds " ~ n ~ " rows; it must hold exactly one key. Re-install it: python scripts/privacy/hash_key.py install (docs/privacy.md)") }}
  {%- endif -%}
  {%- do state.update({'installed': true, 'key_id': rows.columns[1].values()[0],
                       'installed_at': rows.columns[2].values()[0]}) -%}
  {{ return(state) }}
{%- endmacro %}

{# The mode student_hash uses: var aktu_privacy_student_hash_mode = auto | keyed | compat. #}
{% macro aktu_privacy_student_hash_keyed() -%}
  {%- set mode = var('aktu_privacy_student_hash_mode', 'auto') | string | lower | trim -%}
  {%- if mode not in ('auto', 'keyed', 'compat') -%}
    {{ exceptions.raise_compiler_error("var aktu_privacy_student_hash_mode is '" ~ mode ~ "'; use auto, keyed or compat") }}
  {%- endif -%}
  {%- if mode == 'compat' or not execute -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set state = aktu_privacy_student_hash_key_state() -%}
  {%- if mode == 'keyed' and not state['installed'] -%}
    {{ exceptions.raise_compiler_error("aktu_privacy_student_hash_mode is 'keyed' but no key is installed in " ~ aktu_privacy_key_relation() ~ ": run python scripts/privacy/hash_key.py install (docs/privacy.md)") }}
  {%- endif -%}
  {{ return(state['installed']) }}
{%- endmacro %}

{#
  on-run-start hook: say which mode this run's pseudonyms are in; warn in compatibility mode.
  Renders no SQL.
#}
{% macro aktu_privacy_check_student_hash_key() -%}
  {%- if execute -%}
    {%- set mode = var('aktu_privacy_student_hash_mode', 'auto') | string | lower | trim -%}
    {%- set keyed = aktu_privacy_student_hash_keyed() -%}
    {%- if keyed -%}
      {%- set state = aktu_privacy_student_hash_key_state() -%}
      {{ log("student_hash: keyed mode (HMAC-SHA256), key id " ~ state['key_id'] ~ " installed " ~ state['installed_at'] ~ " UTC", info=true) }}
    {%- else -%}
      {%- set why = "var aktu_privacy_student_hash_mode is 'compat'" if mode == 'compat'
                    else "no key is installed in " ~ aktu_privacy_key_relation() -%}
      {%- do exceptions.warn("student_hash is in COMPATIBILITY MODE (" ~ why ~ "): pseudonyms are plain SHA-256 of college_code-roll_no-dob, identical to the notebook's, and can be reversed by enumerating roll numbers and birth dates. Install a key with `python scripts/privacy/hash_key.py install` (docs/privacy.md).") -%}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
