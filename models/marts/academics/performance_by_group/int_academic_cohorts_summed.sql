-- Students of the master with the same attributes (college, program, gender, category, domicile
-- state, disability), with their attendance, graded results and SGPAs summed: every group of
-- every scope but course is a sum of cohorts. A member has attendance or graded results; a
-- student with SGPAs only is none. Ephemeral: a step of mart_academic_performance_by_group.
with

attendance as (

    select * from {{ ref('fct_student_course_attendance') }}

),

graded_results as (

    select * from {{ ref('int_exam_results_graded') }}

),

semester_results as (

    select * from {{ ref('fct_semester_results') }}

),

students as (

    select
        student_hash,
        college_code,
        program_code,
        coalesce(gender, 'unknown') as gender,
        coalesce(category, 'unknown') as category,
        coalesce(domicile_state, 'unknown') as domicile_state,
        case
            when has_disability then 'yes'
            when not has_disability then 'no'
            else 'unknown'
        end as disability

    from {{ ref('dim_students') }}

),

attendance_by_student as (

    select
        student_hash,
        sum(classes_held) as classes_held,
        sum(classes_attended) as classes_attended

    from attendance
    group by student_hash

),

results_by_student as (

    select
        student_hash,
        sum(passed_flag) as papers_passed,
        count(*) as papers_graded

    from graded_results
    group by student_hash

),

sgpa_by_student as (

    select
        student_hash,
        sum(sgpa) as sgpa_total,
        count(*) as sgpa_count

    from semester_results
    where sgpa is not null
    group by student_hash

),

cohorts as (

    select
        students.college_code,
        students.program_code,
        students.gender,
        students.category,
        students.domicile_state,
        students.disability,
        sum(case
            when attendance_by_student.student_hash is not null
                or results_by_student.student_hash is not null
                then 1
            else 0
        end) as student_count,
        count(attendance_by_student.student_hash) as attendance_student_count,
        sum(attendance_by_student.classes_attended) as classes_attended,
        sum(attendance_by_student.classes_held) as classes_held,
        count(results_by_student.student_hash) as result_student_count,
        sum(results_by_student.papers_passed) as papers_passed,
        sum(results_by_student.papers_graded) as papers_graded,
        count(sgpa_by_student.student_hash) as sgpa_student_count,
        sum(sgpa_by_student.sgpa_total) as sgpa_total,
        sum(sgpa_by_student.sgpa_count) as sgpa_count

    from students
    left join attendance_by_student
        on students.student_hash = attendance_by_student.student_hash
    left join results_by_student
        on students.student_hash = results_by_student.student_hash
    left join sgpa_by_student
        on students.student_hash = sgpa_by_student.student_hash
    group by
        students.college_code,
        students.program_code,
        students.gender,
        students.category,
        students.domicile_state,
        students.disability

)

select * from cohorts
