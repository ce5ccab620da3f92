{#
  on-run-start hook: before a command that reads the loader's raw tables, check that the ones this
  run reads exist, and stop with one line saying what to do when they do not. Without it, a
  `dbt build` before the first load fails deep inside the first staging view with the engine's
  own error (DuckDB: `Table with name attendance does not exist! Did you mean
  "pg_catalog.pg_attrdef"?`).

  Only commands that read tables check (build, run, test, show); `dbt parse`, `compile`,
  `docs generate`, `seed`, `ls` and `debug` work on an empty warehouse (`dbt source freshness`
  runs no on-run-start hook). Only the sources the selected nodes read, directly or through their
  parents, are checked: `dbt run --select stg_aktu__placements` needs only the placements table.
  One `adapter.get_relation` per source (the catalog, not the data). Renders no SQL.

  dbt 1.7 records a hook's compilation or database error and goes on running every node, which
  would print the engine's errors after ours. A dbt exception that is not a runtime error stops
  the command instead: `raise_not_implemented` is the one the Jinja context can raise, and dbt
  prints it as "Encountered an error: ERROR: <message>" and exits 2.
#}
{% macro aktu_check_raw_tables() -%}
  {%- if not execute or (flags.WHICH | string) not in ['build', 'run', 'test', 'show'] -%}
    {{ return('') }}
  {%- endif -%}
  {%- set missing = [] -%}
  {%- for source in aktu_sources_read_by_selection() -%}
    {%- set found = adapter.get_relation(database=source.database, schema=source.schema,
                                         identifier=source.identifier) -%}
    {%- if found is none -%}
      {%- do missing.append(source) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if missing -%}
    {%- set by_schema = {} -%}
    {%- for source in missing -%}
      {%- do by_schema.setdefault(source.schema, []).append(source.identifier) -%}
    {%- endfor -%}
    {%- set parts = [] -%}
    {%- for schema, tables in by_schema.items() -%}
      {%- do parts.append(schema ~ ' (' ~ tables | join(', ') ~ ')') -%}
    {%- endfor -%}
    {{ exceptions.raise_not_implemented("raw tables missing in " ~ parts | join(', ') ~ ", so there is nothing to build from: load the colleges' exports first with `python -m loader load DATA_DIR --target " ~ target.name ~ "`, then run dbt again") }}
  {%- endif -%}
{%- endmacro %}

{#
  The project's sources that the selected nodes read, directly or through their parents, in the
  order of the graph. `dbt source freshness` selects sources themselves.
#}
{% macro aktu_sources_read_by_selection() -%}
  {%- set selected = selected_resources | list -%}
  {%- set seen = {} -%}
  {%- set queue = [] -%}
  {%- for unique_id in selected -%}
    {%- do seen.update({unique_id: true}) -%}
    {%- do queue.append(unique_id) -%}
  {%- endfor -%}
  {#- Jinja has no while: the loop walks a list it appends the parents to, which a Python list
      iterator follows to the end. -#}
  {%- for unique_id in queue -%}
    {%- set node = graph.nodes.get(unique_id) -%}
    {%- if node is not none -%}
      {%- for parent in node.depends_on.nodes if parent not in seen -%}
        {%- do seen.update({parent: true}) -%}
        {%- do queue.append(parent) -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set sources = [] -%}
  {%- for unique_id, source in graph.sources.items() if unique_id in seen and source.package_name == project_name -%}
    {%- do sources.append(source) -%}
  {%- endfor -%}
  {{ return(sources) }}
{%- endmacro %}
