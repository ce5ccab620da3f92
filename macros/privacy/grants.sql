{#
  Least privilege on MySQL/MariaDB (docs/privacy.md). dbt-mysql ignores the `grants` config, so
  the analyst role's read access to the marts is granted here, by the on-run-end hook (and on
  demand: dbt run-operation aktu_privacy_apply_grants).

  The accounts and the role themselves are created by a DBA with scripts/privacy/accounts.py,
  which gives the dbt account SELECT on the raw schema, all privileges on the schemas dbt writes,
  and GRANT OPTION on the marts schema only: so dbt can grant the marts, and nothing else.

  The analyst role comes from var aktu_privacy_analyst_role, else env var AKTU_PRIVACY_ANALYST_ROLE;
  with neither, nothing is granted (the default on a developer's machine). One schema-level grant
  covers every mart, including tables dbt drops and re-creates on each run, and it is idempotent.
  Nothing to do on DuckDB, which has no accounts: whoever can read the file reads everything.
#}
{% macro aktu_privacy_analyst_role() -%}
  {%- set role = var('aktu_privacy_analyst_role', '') or env_var('AKTU_PRIVACY_ANALYST_ROLE', '') -%}
  {%- set role = role | string | trim -%}
  {%- if role and not modules.re.match('^[A-Za-z0-9_]{1,64}$', role) -%}
    {{ exceptions.raise_compiler_error("analyst role '" ~ role ~ "' must be letters, digits and underscores") }}
  {%- endif -%}
  {{ return(role) }}
{%- endmacro %}

{# The schemas the analyst role may read: the marts only. #}
{% macro aktu_privacy_analyst_schemas() -%}
  {{ return([generate_schema_name('marts', none) | trim]) }}
{%- endmacro %}

{% macro aktu_privacy_apply_grants() -%}
  {%- if execute -%}
    {{ return(adapter.dispatch('aktu_privacy_apply_grants', 'aktu_dw')()) }}
  {%- endif -%}
{%- endmacro %}

{% macro default__aktu_privacy_apply_grants() -%}
  {{ log("privacy grants: nothing to grant on " ~ target.type ~ " (no accounts)") }}
{%- endmacro %}

{% macro mysql__aktu_privacy_apply_grants() -%}
  {%- set role = aktu_privacy_analyst_role() -%}
  {%- if not role -%}
    {{ log("privacy grants: no analyst role configured (var aktu_privacy_analyst_role or env AKTU_PRIVACY_ANALYST_ROLE); no grants applied") }}
    {{ return('') }}
  {%- endif -%}
  {%- for schema in aktu_privacy_analyst_schemas() -%}
    {#- A schema-level grant names the schema with LIKE wildcards: escape _ and %. -#}
    {%- set pattern = schema | replace('\\', '\\\\') | replace('_', '\\_') | replace('%', '\\%') -%}
    {%- do run_query("grant select on `" ~ pattern ~ "`.* to `" ~ role ~ "`") -%}
    {{ log("privacy grants: role " ~ role ~ " may select from " ~ schema, info=true) }}
  {%- endfor -%}
{%- endmacro %}

{% macro mariadb__aktu_privacy_apply_grants() -%}
  {{ return(mysql__aktu_privacy_apply_grants()) }}
{%- endmacro %}
