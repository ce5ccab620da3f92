with

source as (

    select * from {{ source('aktu', 'students') }}

),

renamed as (

    select
        {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
        college_code,
        roll_no,
        {{ as_date('dob') }} as dob,
        gender,
        category,
        program_code,
        admission_year,
        domicile_state,
        quota,
        disability_flag as has_disability,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at

    from source

)

select * from renamed
