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

{#
  The loads (loaded_at, college_code) of `rows` that may share a record with another load: those
  holding a college on dates another load of the same college also covers. A record sent in two
  loads lies in a span of dates of both, so both are listed; the rows of every other load are
  records no other load sent, each its record's only row (a load holds one row per record: the
  loader settles repeats within a file). Nearly always none is listed, and a model ranks or
  groups the listed loads' rows alone instead of every row (a sort or a temporary table of them
  all on MySQL/MariaDB). One pass over the rows, grouped per load and college; per college, the
  loads in order of their first date: a load overlaps another when an earlier one ends on or
  after its first date, or the next one starts on or before its last date.
#}
{% macro loads_overlapping_in_dates(rows, date_column) -%}
    select
        loaded_at,
        college_code

    from (
        select
            spans.*,
            max(last_date) over (
                partition by college_code
                order by first_date, loaded_at
                rows between unbounded preceding and 1 preceding
            ) as last_date_before,
            lead(first_date) over (
                partition by college_code
                order by first_date, loaded_at
            ) as next_first_date

        from (
            select
                loaded_at,
                college_code,
                min({{ date_column }}) as first_date,
                max({{ date_column }}) as last_date

            from {{ rows }}
            group by loaded_at, college_code
        ) as spans
    ) as spans_in_order

    where last_date_before >= first_date
        or next_first_date <= last_date
{%- endmacro %}

{#
  The rows of `rows` whose load is listed by loads_overlapping_in_dates: the only rows that can
  share a record with another load. A semi-join: MariaDB materialises the short list once, with
  a unique key, and probes it per row, cheaper than a join of every row to it.

    rows_of_overlapping_loads as ({{ rows_of_overlapping_loads('attendance', 'class_date') }})
#}
{% macro rows_of_overlapping_loads(rows, date_column) -%}
    select {{ rows }}.*

    from {{ rows }}
    where ({{ rows }}.loaded_at, {{ rows }}.college_code) in (
        {{ loads_overlapping_in_dates(rows, date_column) | indent(4) }}
    )
{%- endmacro %}
