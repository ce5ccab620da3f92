{#
  The published placement figures of one group row of int_placement_outcomes_aggregated, each
  through the small-cell rule (macros/small_cells.sql): the select list shared by
  mart_placement_outcomes and mart_placement_outcomes_by_student_group.
#}
{% macro placement_figures(students='final_year_student_count') -%}
        {{ as_date('offer_window_opens_date') }} as offer_window_opens_date,
        {{ as_date('offer_window_closes_date') }} as offer_window_closes_date,
        {{ as_boolean(is_small_cell(students)) }} as is_small_cell,
        {{ as_bigint(suppress_small_cell(students, students)) }} as final_year_student_count,
        {{ as_bigint(suppress_small_cell('placed_student_count', students)) }} as placed_student_count,
        {{ as_double(suppress_small_cell(percentage('placed_student_count', students), students)) }}
            as placement_rate_pct,
        {{ as_double(suppress_small_cell('median_package_lpa', students)) }} as median_package_lpa,
        {{ as_double(suppress_small_cell('mean_package_lpa', students)) }} as mean_package_lpa,
        {{ as_double(suppress_small_cell('max_package_lpa', students)) }} as max_package_lpa,
        {{ as_bigint(suppress_small_cell('offers_counted', students)) }} as offers_counted,
        {{ as_double(suppress_small_cell(
            safe_divide(as_double('offers_counted'), 'placed_student_count'), students)) }}
            as offers_per_placed_student
{%- endmacro %}
