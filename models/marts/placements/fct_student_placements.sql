-- One row per student in the master: the passing year, the offers that count for it (distinct,
-- valid package, dated within the passing year's offer window), whether the student is placed,
-- and the best counted offer (highest package; ties go to the earliest, then by company and role).
{{ config(post_hook="{{ aktu_index(['student_hash'], unique=true) }}") }}

with

passing_years as (

    select * from {{ ref('dim_student_passing_years') }}

),

offers as (

    select * from {{ ref('fct_placement_offers') }}

),

counted_offers as (

    select * from offers
    where exclusion_reason is null

),

offers_summed as (

    select
        student_hash,
        count(*) as offer_count,
        max(package_lpa) as best_package_lpa

    from counted_offers
    group by student_hash

),

excluded_offers_summed as (

    select
        student_hash,
        count(*) as excluded_offer_count

    from offers
    where exclusion_reason is not null
    group by student_hash

),

offers_ranked as (

    select
        counted_offers.*,
        row_number() over (
            partition by student_hash
            order by package_lpa desc, offer_date asc, company_name asc, coalesce(job_role, '') asc
        ) as package_rank

    from counted_offers

),

best_offers as (

    select * from offers_ranked
    where package_rank = 1

),

joined as (

    select
        passing_years.student_hash,
        passing_years.passing_year,
        coalesce(offers_summed.offer_count, 0) as offer_count,
        coalesce(excluded_offers_summed.excluded_offer_count, 0) as excluded_offer_count,
        offers_summed.best_package_lpa,
        best_offers.company_name as best_offer_company_name,
        best_offers.job_role as best_offer_job_role,
        best_offers.offer_date as best_offer_date

    from passing_years
    left join offers_summed
        on passing_years.student_hash = offers_summed.student_hash
    left join excluded_offers_summed
        on passing_years.student_hash = excluded_offers_summed.student_hash
    left join best_offers
        on passing_years.student_hash = best_offers.student_hash

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_bigint('passing_year') }} as passing_year,
        {{ as_boolean('case when offer_count > 0 then 1 else 0 end') }} as is_placed,
        {{ as_bigint('offer_count') }} as offer_count,
        {{ as_bigint('excluded_offer_count') }} as excluded_offer_count,
        {{ as_double('best_package_lpa') }} as best_package_lpa,
        {{ as_varchar('best_offer_company_name', 255) }} as best_offer_company_name,
        {{ as_varchar('best_offer_job_role', 255) }} as best_offer_job_role,
        {{ as_date('best_offer_date') }} as best_offer_date

    from joined

)

select * from final
