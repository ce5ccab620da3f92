-- Semester result per student and semester (the semester of the courses in the seed): papers,
-- credits, SGPA, result (pass, pass with carry-over papers, fail) and the cumulative credits and
-- CGPA over this and the earlier semesters loaded. Graded papers only (courses in the seeds).
{%- set cgpa = safe_divide(
    'cumulative_credit_points', as_double('cumulative_credits_registered')
) %}
with

results as (

    select * from {{ ref('fct_exam_results') }}

),

graded as (

    select
        student_hash,
        semester,
        credits,
        grade_point,
        case when is_passed then 1 else 0 end as passed_flag

    from results
    where is_graded

),

summed as (

    select
        student_hash,
        semester,
        count(*) as papers_registered,
        sum(passed_flag) as papers_passed,
        sum(1 - passed_flag) as papers_not_passed,
        sum(credits) as credits_registered,
        sum(credits * passed_flag) as credits_earned,
        sum({{ as_double('credits') }} * grade_point) as credit_points

    from graded
    group by student_hash, semester

),

cumulated as (

    select
        summed.*,
        sum(credits_registered) over (
            partition by student_hash
            order by semester
            rows between unbounded preceding and current row
        ) as cumulative_credits_registered,
        sum(credits_earned) over (
            partition by student_hash
            order by semester
            rows between unbounded preceding and current row
        ) as cumulative_credits_earned,
        sum(credit_points) over (
            partition by student_hash
            order by semester
            rows between unbounded preceding and current row
        ) as cumulative_credit_points,
        row_number() over (
            partition by student_hash
            order by semester desc
        ) as recency_rank

    from summed

),

final as (

    select
        {{ as_varchar('student_hash', 64) }} as student_hash,
        {{ as_bigint('semester') }} as semester,
        {{ as_bigint('papers_registered') }} as papers_registered,
        {{ as_bigint('papers_passed') }} as papers_passed,
        {{ as_bigint('papers_not_passed') }} as papers_not_passed,
        {{ as_bigint('credits_registered') }} as credits_registered,
        {{ as_bigint('credits_earned') }} as credits_earned,
        {{ as_double(safe_divide('credit_points', as_double('credits_registered'))) }} as sgpa,
        {{ as_varchar(academics_semester_result_status('papers_not_passed'), 32) }}
            as result_status,
        {{ as_bigint('cumulative_credits_registered') }} as cumulative_credits_registered,
        {{ as_bigint('cumulative_credits_earned') }} as cumulative_credits_earned,
        {{ as_double(cgpa) }} as cgpa,
        {{ as_boolean('recency_rank = 1') }} as is_latest_semester

    from cumulated

)

select * from final
