{#
  AKTU academic rules as SQL expressions, driven by the aktu_academics_* vars (dbt_project.yml;
  what each rule is and where it comes from: docs/academics.md).

  Every percentage rule is written as a comparison of integers or exact marks, never of a computed
  percentage: `100 * attended >= 75 * held` rather than `attended / held >= 0.75`, so that a
  student at exactly 75% (30 of 40) is on the right side on every engine, with no floating-point or
  MySQL DECIMAL(…, 4) rounding in the way.
#}

{# A var holding a percentage: a number in [0, 100], or a compile error naming the var. #}
{% macro academics_pct_var(name) -%}
  {%- set value = var(name) -%}
  {%- if value is not number or value is boolean or value < 0 or value > 100 -%}
    {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be a percentage between 0 and 100, got " ~ value) }}
  {%- endif -%}
  {{ return(value) }}
{%- endmacro %}

{# `value` is at least `pct` percent of `maximum` (both sides exact). #}
{% macro academics_reaches_pct(value, maximum, pct) -%}
  (100 * ({{ value }}) >= {{ pct }} * ({{ maximum }}))
{%- endmacro %}

{#
  The band (a row of `bands`, with columns min_pct and next_min_pct: the lower bound of the next
  band up, null for the top band) whose [min_pct, next_min_pct) holds value as a percentage of
  maximum, i.e. the highest band whose lower bound it reaches: a join condition, exact on both
  sides. Attendance bands (fct_exam_eligibility) and grades (fct_exam_results).
#}
{% macro academics_in_band(value, maximum, bands) -%}
{{ academics_reaches_pct(value, maximum, bands ~ '.min_pct') }}
            and (
                {{ bands }}.next_min_pct is null
                or not {{ academics_reaches_pct(value, maximum, bands ~ '.next_min_pct') }}
            )
{%- endmacro %}

{#
  Exam eligibility on attendance: 'eligible' at or above aktu_academics_min_attendance_pct,
  'condonable' within aktu_academics_condonation_margin_pct percentage points below it, else
  'detained'.
#}
{% macro academics_eligibility_status(attended, held) -%}
  {%- set minimum = academics_pct_var('aktu_academics_min_attendance_pct') -%}
  {%- set margin = academics_pct_var('aktu_academics_condonation_margin_pct') -%}
  {%- if margin > minimum -%}
    {{ exceptions.raise_compiler_error("aktu_academics_condonation_margin_pct (" ~ margin ~ ") exceeds aktu_academics_min_attendance_pct (" ~ minimum ~ ")") }}
  {%- endif -%}
  case
    when {{ academics_reaches_pct(attended, held, minimum) }} then 'eligible'
    when {{ academics_reaches_pct(attended, held, minimum - margin) }} then 'condonable'
    else 'detained'
  end
{%- endmacro %}

{#
  Further classes needed to reach aktu_academics_min_attendance_pct if the student attends all of
  them: the smallest n >= 0 with (attended + n) / (held + n) >= p / 100. Solving
  100 (a + n) >= p (h + n) gives n >= (p h - 100 a) / (100 - p), so n is that ratio rounded up,
  or 0 when the student is already there. Integer arithmetic only; p must be a whole percentage
  below 100 (at 100 a student who missed a class can never get there).
#}
{% macro academics_classes_needed(attended, held) -%}
  {%- set p = academics_pct_var('aktu_academics_min_attendance_pct') -%}
  {%- if p is not integer or p >= 100 -%}
    {{ exceptions.raise_compiler_error("aktu_academics_min_attendance_pct must be a whole percentage below 100 for the classes-needed rule, got " ~ p) }}
  {%- endif -%}
  case
    when {{ academics_reaches_pct(attended, held, p) }} then 0
    else {{ academics_ceil_div(p ~ ' * (' ~ held ~ ') - 100 * (' ~ attended ~ ')', 100 - p) }}
  end
{%- endmacro %}

{# Integer division rounded up, for a non-negative numerator and a positive denominator. #}
{% macro academics_ceil_div(numerator, denominator) -%}
  {{ return(adapter.dispatch('academics_ceil_div', 'aktu_dw')(numerator, denominator)) }}
{%- endmacro %}

{% macro duckdb__academics_ceil_div(numerator, denominator) -%}
  ((({{ numerator }}) + ({{ denominator }}) - 1) // ({{ denominator }}))
{%- endmacro %}

{% macro mysql__academics_ceil_div(numerator, denominator) -%}
  ((({{ numerator }}) + ({{ denominator }}) - 1) div ({{ denominator }}))
{%- endmacro %}

{% macro mariadb__academics_ceil_div(numerator, denominator) -%}
  {{ mysql__academics_ceil_div(numerator, denominator) }}
{%- endmacro %}

{% macro default__academics_ceil_div(numerator, denominator) -%}
  {{ exceptions.raise_compiler_error("academics_ceil_div has no implementation for adapter '" ~ adapter.type() ~ "'; add " ~ adapter.type() ~ "__academics_ceil_div in macros/academics/academic_rules.sql") }}
{%- endmacro %}

{#
  A course result: 'pass' when the end-semester (external) marks reach
  aktu_academics_pass_min_external_pct of their maximum and the total reaches
  aktu_academics_pass_min_total_pct of the course maximum; otherwise why not. Checked in this
  order: no scheme for the course, no end-semester marks, end-semester minimum, total minimum.
#}
{% macro academics_result_status(external, total, max_external, max_total) -%}
  {%- set external_pct = academics_pct_var('aktu_academics_pass_min_external_pct') -%}
  {%- set total_pct = academics_pct_var('aktu_academics_pass_min_total_pct') -%}
  case
    when {{ max_total }} is null then 'not_graded'
    when {{ external }} is null then 'absent_end_semester'
    when not {{ academics_reaches_pct(external, max_external, external_pct) }} then 'fail_end_semester_minimum'
    when not {{ academics_reaches_pct(total, max_total, total_pct) }} then 'fail_total_minimum'
    else 'pass'
  end
{%- endmacro %}

{#
  Semester result from the number of papers not passed: 'pass' with none, 'pass_with_carry_over'
  with up to aktu_academics_max_carry_over_papers, 'fail' with more.
#}
{% macro academics_semester_result_status(papers_not_passed) -%}
  {%- set limit = var('aktu_academics_max_carry_over_papers') -%}
  {%- if limit is not integer or limit < 0 -%}
    {{ exceptions.raise_compiler_error("aktu_academics_max_carry_over_papers must be a whole number >= 0, got " ~ limit) }}
  {%- endif -%}
  case
    when {{ papers_not_passed }} = 0 then 'pass'
    when {{ papers_not_passed }} <= {{ limit }} then 'pass_with_carry_over'
    else 'fail'
  end
{%- endmacro %}

{#
  Complementary small-cell suppression (mart_academic_performance_by_group), per figure of a
  group within its scope. A group is small when 0 < students < aktu_small_cell_min_students
  (macros/small_cells.sql); its figure is hidden. If the small groups of a scope hold fewer than
  that many students between them, the smallest group still shown is hidden too, else the overall
  figure minus the shown groups' figures would give back the small groups' figure.
#}
{% macro academics_is_small_group(student_count) -%}
  ({{ student_count }} > 0 and {{ is_small_cell(student_count) }})
{%- endmacro %}

{# Per scope, the students of its groups hidden for being small (groups with a scope_value
   only), summed: the students behind hidden groups where a student is in one group per scope. #}
{% macro academics_small_group_student_count(student_count) -%}
  sum(case
    when scope_value is not null and {{ academics_is_small_group(student_count) }}
      then {{ student_count }}
    else 0
  end) over (partition by scope)
{%- endmacro %}

{# 1 for the smallest group of the scope still shown, counting up; hidden groups after them. #}
{% macro academics_shown_size_rank(student_count) -%}
  row_number() over (
    partition by scope
    order by case when {{ is_small_cell(student_count) }} then 1 else 0 end, {{ student_count }}, scope_value
  )
{%- endmacro %}

{#
  1 when the figure of this row's group must be hidden to protect the scope's small groups, else 0.
  Reads <figure>_hidden_student_count (distinct students of the scope's small groups) and
  <figure>_size_rank (academics_shown_size_rank) from the row; `overall` has nothing to protect.
#}
{% macro academics_is_complementary(figure, student_count) -%}
  case
    when scope <> 'overall'
      and {{ figure }}_hidden_student_count > 0
      and {{ is_small_cell(figure ~ '_hidden_student_count') }}
      and not {{ is_small_cell(student_count) }}
      and {{ figure }}_size_rank = 1
    then 1 else 0
  end
{%- endmacro %}

{#
  The marking scheme (a row of int_courses_joined_to_mark_schemes) that applies to a student's
  admission batch: first_admission_year <= batch <= last_admission_year, either bound open when
  null. The join condition shared by fct_exam_results and dq_marks_beyond_maxima.
#}
{% macro academics_scheme_applies(schemes, admission_year) -%}
(
            {{ schemes }}.first_admission_year is null
            or {{ admission_year }} >= {{ schemes }}.first_admission_year
        )
        and (
            {{ schemes }}.last_admission_year is null
            or {{ admission_year }} <= {{ schemes }}.last_admission_year
        )
{%- endmacro %}

{#
  A teaching period of the term (a row of seed semester_calendar) holds every date from
  first_date to last_date; for one date, pass it twice. The join condition of
  dq_attendance_outside_semester, for a student's first and last class of a course and for a
  single class.
#}
{% macro academics_period_holds(calendar, term, first_date, last_date) -%}
{{ calendar }}.term = {{ term }}
        and {{ first_date }} >= {{ calendar }}.start_date
        and {{ last_date }} <= {{ calendar }}.end_date
{%- endmacro %}

{#
  Spark: Spark's `div` is integral division (bigint), as MySQL's.
#}
{% macro spark__academics_ceil_div(numerator, denominator) -%}
  ((({{ numerator }}) + ({{ denominator }}) - 1) div ({{ denominator }}))
{%- endmacro %}
