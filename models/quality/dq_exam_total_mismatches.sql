-- Exam rows whose total differs from internal + external by more than
-- var('aktu_academics_marks_tolerance') marks. Rows missing internal or external marks are not
-- checked (their total cannot be verified). Every exam row, of known students or not.
with

exam_results as (

    select * from {{ ref('stg_aktu__exam_results') }}

),

compared as (

    select
        source_file,
        source_line,
        student_hash,
        course_code,
        internal_marks,
        external_marks,
        total_marks,
        total_marks - (internal_marks + external_marks) as total_difference

    from exam_results
    where internal_marks is not null
        and external_marks is not null

),

final as (

    select
        {{ as_varchar('source_file', 255) }} as source_file,
        {{ as_bigint('source_line') }} as source_line,
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_double('internal_marks') }} as internal_marks,
        {{ as_double('external_marks') }} as external_marks,
        {{ as_double('total_marks') }} as total_marks,
        {{ as_double('total_difference') }} as total_difference

    from compared
    where abs(total_difference) > {{ var('aktu_academics_marks_tolerance') }}

)

select * from final
