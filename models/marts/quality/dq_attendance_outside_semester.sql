-- Attendance rows dated outside every teaching period of the course's term (seed
-- semester_calendar: odd semesters in the odd term, even in the even term), e.g. a class of a
-- 4th-semester paper in June or September. Rows of courses missing from the seed are not checked
-- (dq_unknown_courses).
with

attendance as (

    select * from {{ ref('stg_aktu__attendance') }}

),

courses as (

    select * from {{ ref('courses') }}

),

calendar as (

    select * from {{ ref('semester_calendar') }}

),

with_term as (

    select
        attendance.source_file,
        attendance.source_line,
        attendance.student_hash,
        attendance.course_code,
        attendance.class_date,
        courses.semester,
        case when mod(courses.semester, 2) = 0 then 'even' else 'odd' end as term

    from attendance
    inner join courses
        on attendance.course_code = courses.course_code

),

-- An anti-join: the rows no teaching period of their term holds (each such row once).
outside as (

    select with_term.*
    from with_term
    left join calendar
        on with_term.term = calendar.term
        and with_term.class_date >= calendar.start_date
        and with_term.class_date <= calendar.end_date
    where calendar.term is null

),

final as (

    select
        {{ as_varchar('source_file', 255) }} as source_file,
        {{ as_bigint('source_line') }} as source_line,
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_varchar('course_code', 32) }} as course_code,
        {{ as_date('class_date') }} as class_date,
        {{ as_bigint('semester') }} as semester,
        {{ as_varchar('term', 8) }} as term

    from outside

)

select * from final
