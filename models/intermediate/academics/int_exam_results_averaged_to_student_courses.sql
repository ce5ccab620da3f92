-- One row per (student_hash, course_code) in the exam results, orphans included.
-- A result sent in several files (a resend, a corrected export) is taken from its latest load
-- only; marks are the mean over that load's rows for the pair, as the notebook's
-- groupby().mean() takes them (the loader keeps one row per pair and load, so in practice the
-- row's own marks: a resend is never averaged with what it replaces).
-- A table (indexed on the pair), not a view: the staging view hashes every exam row, and the
-- marts read this on every run; it changes only when an exam file arrives (a full build).
{{
    config(
        materialized='table',
        post_hook="{{ aktu_index(['student_hash', 'course_code'], unique=true) }}"
    )
}}
with

exam_results as (

    select * from {{ ref('stg_aktu__exam_results') }}

),

-- Loads are strictly ordered: the pair's newest loaded_at is its latest load.
ranked_by_load as (

    select
        exam_results.*,
        max(loaded_at) over (partition by student_hash, course_code) as latest_loaded_at

    from exam_results

),

averaged as (

    select
        student_hash,
        course_code,
        count(*) as exam_rows,
        avg(internal_marks) as internal_marks,
        avg(external_marks) as external_marks,
        avg(total_marks) as total_marks

    from ranked_by_load
    where loaded_at = latest_loaded_at
    group by student_hash, course_code

)

select * from averaged
