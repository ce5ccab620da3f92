-- One row per distinct offer: the same student, company and role on the same offer date is one
-- offer however many rows repeat it (an offer re-sent in a later or overlapping export). Company
-- and role compare case-insensitively; the most recently loaded row is kept, and source_row_count
-- says how many rows it stands for. Orphans included: the marts decide whom to keep.
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

ranked as (

    select
        keyed.*,
        row_number() over (
            partition by student_hash, company_key, role_key, offer_date
            order by loaded_at desc, source_file desc, source_line desc
        ) as recency_rank,
        count(*) over (
            partition by student_hash, company_key, role_key, offer_date
        ) as source_row_count

    from keyed

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
        source_file,
        source_line,
        loaded_at

    from ranked
    where recency_rank = 1

)

select * from deduplicated
