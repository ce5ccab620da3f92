-- One row per distinct offer: the same student, company and role on the same offer date is one
-- offer however many rows repeat it. Company and role compare case-insensitively; the most
-- recently loaded row is kept, and source_row_count says how many rows it stands for. A student's
-- offers from one company on one date sent in several files (a resend, a corrected export) are
-- taken from the latest of those loads only: a role corrected in a later file replaces the
-- earlier one instead of adding an offer. latest_load_row_count is how many rows of that load
-- it stands for. Orphans included: the marts decide whom to keep.
with

placements as (

    select * from {{ ref('stg_aktu__placements') }}

),

keyed as (

    select
        student_hash,
        company_name,
        job_role,
        package_lpa,
        offer_date,
        source_file,
        source_line,
        loaded_at,
        lower(company_name) as company_key,
        lower(coalesce(job_role, '')) as role_key

    from placements

),

-- Loads are strictly ordered: the newest loaded_at of (student, company, offer date) is the
-- latest load that sent it.
latest_load as (

    select
        keyed.*,
        max(loaded_at) over (partition by student_hash, company_key, offer_date)
            as latest_loaded_at

    from keyed

),

ranked as (

    select
        latest_load.*,
        {{ latest_load_rank(['student_hash', 'company_key', 'role_key', 'offer_date']) }}
            as recency_rank,
        count(*) over (
            partition by student_hash, company_key, role_key, offer_date
        ) as source_row_count,
        sum(case when loaded_at = latest_loaded_at then 1 else 0 end) over (
            partition by student_hash, company_key, role_key, offer_date
        ) as latest_load_row_count

    from latest_load

),

deduplicated as (

    select
        student_hash,
        company_key,
        role_key,
        company_name,
        job_role,
        package_lpa,
        offer_date,
        source_row_count,
        latest_load_row_count,
        source_file,
        source_line,
        loaded_at

    from ranked
    where recency_rank = 1
        -- an offer (role) that only earlier loads of its company and date sent is superseded
        and latest_load_row_count > 0

)

select * from deduplicated
