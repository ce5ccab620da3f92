-- Every placement row accounted for, one row per outcome (zero included): counted towards a
-- passing year, or excluded and why. A repeated offer is one offer (`offers`); the extra rows it
-- stands for are `duplicate_rows`. Over all outcomes, offers + duplicate_rows is the number of
-- rows in stg_aktu__placements. Offers of students missing from the master are `unknown_student`
-- and appear in no rate.
with

offers as (

    select * from {{ ref('int_placement_offers_deduplicated') }}

),

students as (

    select student_hash from {{ ref('dim_students') }}

),

offers_of_known_students as (

    select * from {{ ref('fct_placement_offers') }}

),

orphan_offers as (

    select offers.*
    from offers
    {{ join_master_students('offers') }}
    where {{ is_orphan() }}

),

classified as (

    select
        'unknown_student' as outcome,
        student_hash,
        source_row_count

    from orphan_offers

    union all

    select
        coalesce(exclusion_reason, 'counted') as outcome,
        student_hash,
        source_row_count

    from offers_of_known_students

),

{% set outcomes = [
    'counted', 'unknown_student', 'no_passing_year', 'missing_package', 'zero_package',
    'negative_package', 'package_below_minimum', 'package_above_maximum', 'missing_offer_date',
    'before_offer_window', 'after_offer_window'] %}
outcomes as (

    {% for outcome in outcomes %}
    select {{ loop.index }} as outcome_order, '{{ outcome }}' as outcome
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

counted as (

    select
        outcome,
        count(*) as offers,
        sum(source_row_count - 1) as duplicate_rows,
        count(distinct student_hash) as student_count

    from classified
    group by outcome

),

totals as (

    select sum(source_row_count) as source_rows
    from offers

),

joined as (

    select
        outcomes.outcome_order,
        outcomes.outcome,
        coalesce(counted.offers, 0) as offers,
        coalesce(counted.duplicate_rows, 0) as duplicate_rows,
        coalesce(counted.student_count, 0) as student_count,
        totals.source_rows as all_source_rows

    from outcomes
    cross join totals
    left join counted
        on outcomes.outcome = counted.outcome

),

final as (

    select
        {{ as_varchar('outcome', 32) }} as outcome,
        {{ as_bigint('outcome_order') }} as outcome_order,
        {{ as_boolean("case when outcome = 'counted' then 1 else 0 end") }} as is_counted,
        {{ as_bigint('offers') }} as offers,
        {{ as_bigint('duplicate_rows') }} as duplicate_rows,
        {{ as_bigint('offers + duplicate_rows') }} as source_rows,
        {{ as_bigint('student_count') }} as student_count,
        {{ as_double(percentage('offers + duplicate_rows', 'all_source_rows')) }}
            as pct_of_source_rows

    from joined

)

select * from final
