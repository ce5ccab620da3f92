with

source as (

    select * from {{ source('aktu', 'exam_results') }}

),

renamed as (

    select
        {{ student_hash('college_code', 'roll_no', 'dob') }} as student_hash,
        college_code,
        roll_no,
        {{ as_date('dob') }} as dob,
        course_code,
        {{ as_double('internal') }} as internal_marks,
        {{ as_double('external') }} as external_marks,
        {{ as_double('total') }} as total_marks,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at

    from source

)

select * from renamed
