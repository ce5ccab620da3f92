-- The exam results that count for a pass rate (graded: the course is in the seeds), one row per
-- student and course, with 1 for a pass (absent counts as not passed). Ephemeral: a step of
-- mart_academic_performance_by_group, compiled into it.
with

results as (

    select * from {{ ref('fct_exam_results') }}

),

final as (

    select
        student_hash,
        course_code,
        case when is_passed then 1 else 0 end as passed_flag

    from results
    where is_graded

)

select * from final
