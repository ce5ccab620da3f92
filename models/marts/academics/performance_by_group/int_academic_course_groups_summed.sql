-- The groups of the course scope: per course, its students with attendance or a graded result,
-- their classes and their papers passed. A student is in several courses, so courses are
-- counted from the student-course facts (students of the master only: their models inner-join
-- dim_students). SGPA belongs to no course. Ephemeral: a step of
-- mart_academic_performance_by_group.
with

attendance as (

    select * from {{ ref('fct_student_course_attendance') }}

),

graded_results as (

    select * from {{ ref('int_exam_results_graded') }}

),

attendance_by_course as (

    select
        course_code,
        count(*) as attendance_student_count,
        sum(classes_attended) as classes_attended,
        sum(classes_held) as classes_held

    from attendance
    group by course_code

),

-- Per course, its students with a graded result, and how many of them have no attendance in
-- the course (members not counted by attendance_by_course).
results_by_course as (

    select
        graded_results.course_code,
        count(*) as result_student_count,
        sum(graded_results.passed_flag) as papers_passed,
        count(*) as papers_graded,
        sum(case when attendance.student_hash is null then 1 else 0 end)
            as result_only_student_count

    from graded_results
    left join attendance
        on graded_results.student_hash = attendance.student_hash
        and graded_results.course_code = attendance.course_code
    group by graded_results.course_code

),

course_figures as (

    select
        course_code,
        attendance_student_count,
        classes_attended,
        classes_held,
        0 as result_student_count,
        {{ as_bigint('null') }} as papers_passed,
        0 as papers_graded,
        0 as result_only_student_count

    from attendance_by_course

    union all

    select
        course_code,
        0 as attendance_student_count,
        {{ as_bigint('null') }} as classes_attended,
        {{ as_bigint('null') }} as classes_held,
        result_student_count,
        papers_passed,
        papers_graded,
        result_only_student_count

    from results_by_course

),

course_groups as (

    select
        'course' as scope,
        course_code as scope_value,
        sum(attendance_student_count + result_only_student_count) as student_count,
        sum(attendance_student_count) as attendance_student_count,
        sum(classes_attended) as classes_attended,
        sum(classes_held) as classes_held,
        sum(result_student_count) as result_student_count,
        sum(papers_passed) as papers_passed,
        sum(papers_graded) as papers_graded,
        0 as sgpa_student_count,
        {{ as_double('null') }} as mean_sgpa

    from course_figures
    group by course_code

)

select * from course_groups
