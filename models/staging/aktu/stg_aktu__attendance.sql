with

source as (

    select * from {{ source('aktu', 'attendance') }}

),

renamed as (

    select
        {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
        college_code,
        roll_no,
        {{ as_date('dob') }} as dob,
        course_code,
        {{ as_date('date') }} as class_date,
        status as attendance_status,
        -- The notebook's present_flag: 1 for P, 0 for A (the loader has already refused any
        -- other code).
        case when status = 'P' then 1 else 0 end as present_flag,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at

    from source

)

select * from renamed
