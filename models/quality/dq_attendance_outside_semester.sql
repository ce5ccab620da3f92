-- Attendance rows dated outside every teaching period of the course's term (seed
-- semester_calendar: odd semesters in the odd term, even in the even term), e.g. a class of a
-- 4th-semester paper in June or September. Rows of courses missing from the seed are not checked
-- (dq_unknown_courses).
with

attendance_pairs as (

    select * from {{ ref('int_attendance_summed_to_student_courses') }}

),

attendance as (

    select * from {{ ref('stg_aktu__attendance') }}

),

courses as (

    select
        course_code,
        semester,
        case when mod(semester, 2) = 0 then 'even' else 'odd' end as term

    from {{ ref('courses') }}

),

calendar as (

    select * from {{ ref('semester_calendar') }}

),

-- A student's classes of a course all lie between its first and last class date (the
-- attendance aggregate): when one teaching period of the term holds both, no row of the pair
-- can be outside. The pairs that no single period holds, with their course's semester and term:
pairs_in_no_one_period as (

    select
        attendance_pairs.course_code,
        courses.semester,
        courses.term

    from attendance_pairs
    inner join courses
        on attendance_pairs.course_code = courses.course_code
    left join calendar
        on {{ academics_period_holds(
            'calendar', 'courses.term',
            'attendance_pairs.first_class_date', 'attendance_pairs.last_class_date'
        ) }}
    group by
        attendance_pairs.student_hash,
        attendance_pairs.course_code,
        courses.semester,
        courses.term
    having count(calendar.term) = 0

),

-- Their courses. Only these courses' rows are read: a row of any other course lies in a period
-- that holds its pair's every class. The check needs no student.
suspect_courses as (

    select distinct
        course_code,
        semester,
        term

    from pairs_in_no_one_period

),

suspect_rows as (

    select
        attendance.source_file,
        attendance.source_line,
        attendance.student_hash,
        attendance.course_code,
        attendance.class_date,
        suspect_courses.semester,
        suspect_courses.term

    from suspect_courses
    inner join attendance
        on suspect_courses.course_code = attendance.course_code

),

-- An anti-join: the rows no teaching period of their term holds (each such row once).
outside as (

    select suspect_rows.*
    from suspect_rows
    left join calendar
        on {{ academics_period_holds(
            'calendar', 'suspect_rows.term', 'suspect_rows.class_date', 'suspect_rows.class_date'
        ) }}
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
