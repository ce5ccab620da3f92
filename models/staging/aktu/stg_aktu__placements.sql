with

source as (

    select * from {{ source('aktu', 'placements') }}

),

renamed as (

    select
        {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
        college_code,
        roll_no,
        {{ as_date('dob') }} as dob,
        company as company_name,
        role as job_role,
        {{ as_double('package_lpa') }} as package_lpa,
        {{ as_date('offer_date') }} as offer_date,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at

    from source

)

select * from renamed
