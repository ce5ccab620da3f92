-- One row per distinct placement offer of a student in the master (duplicates already counted
-- once; offers of unknown students are in rpt_placement_offer_reconciliation instead), with the
-- student's passing year, the package check, the offer-window check and whether the offer counts.
-- An offer counts when none of the exclusion reasons applies (docs/placements.md).
with

offers as (

    select * from {{ ref('int_placement_offers_deduplicated') }}

),

passing_years as (

    select * from {{ ref('dim_student_passing_years') }}

),

offers_of_known_students as (

    select
        offers.*,
        passing_years.passing_year,
        passing_years.offer_window_opens_date,
        passing_years.offer_window_closes_date

    from offers
    inner join passing_years
        on offers.student_hash = passing_years.student_hash

),

package_checked as (

    select
        offers_of_known_students.*,
        case
            when package_lpa is null then 'missing_package'
            when package_lpa = 0 then 'zero_package'
            when package_lpa < 0 then 'negative_package'
            when package_lpa < {{ var('aktu_placements_min_package_lpa') }}
                then 'package_below_minimum'
            when package_lpa > {{ var('aktu_placements_max_package_lpa') }}
                then 'package_above_maximum'
        end as package_issue

    from offers_of_known_students

),

window_checked as (

    select
        package_checked.*,
        case
            when offer_date is null or passing_year is null then null
            when offer_date < offer_window_opens_date then 'before'
            when offer_date > offer_window_closes_date then 'after'
            else 'within'
        end as offer_window_position

    from package_checked

),

classified as (

    select
        window_checked.*,
        case
            when passing_year is null then 'no_passing_year'
            when package_issue is not null then package_issue
            when offer_date is null then 'missing_offer_date'
            when offer_window_position = 'before' then 'before_offer_window'
            when offer_window_position = 'after' then 'after_offer_window'
        end as exclusion_reason

    from window_checked

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('company_name', 255) }} as company_name,
        {{ as_varchar('job_role', 255) }} as job_role,
        {{ as_double('package_lpa') }} as package_lpa,
        {{ as_date('offer_date') }} as offer_date,
        {{ as_bigint('passing_year') }} as passing_year,
        {{ as_boolean('case when package_issue is null then 1 else 0 end') }} as has_valid_package,
        {{ as_varchar('package_issue', 32) }} as package_issue,
        {{ as_boolean(
            "case when offer_window_position is null then null"
            ~ " when offer_window_position = 'within' then 1 else 0 end") }}
            as is_in_offer_window,
        {{ as_varchar('exclusion_reason', 32) }} as exclusion_reason,
        {{ as_boolean('case when exclusion_reason is null then 1 else 0 end') }} as is_counted,
        {{ as_bigint('source_row_count') }} as source_row_count,
        {{ as_varchar('source_file', 255) }} as source_file,
        {{ as_bigint('source_line') }} as source_line

    from classified

)

select * from final
