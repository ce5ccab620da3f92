-- The loader's audit: one row per file load. Its rows_loaded per current load (the latest
-- `loaded` load of each file name) add up to what the raw tables hold, which lets incremental
-- models see a re-export without counting the raw rows (macros/performance/incremental.sql).
with

source as (

    select * from {{ source('aktu', '_load_audit') }}

),

renamed as (

    select
        load_id,
        file_name,
        file_kind,
        file_sha256,
        encoding as file_encoding,
        rows_read,
        rows_loaded,
        rows_rejected,
        rows_duplicate,
        status as load_status,
        message as load_message,
        source_folder,
        -- Every raw row of a load carries this same value as _loaded_at.
        started_at as load_started_at,
        finished_at as load_finished_at

    from source

)

select * from renamed
