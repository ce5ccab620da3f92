{#
  The student pseudonym: SHA-256, as 64 lowercase hex characters, of the UTF-8 text
  `college_code-roll_no-dob` with dob written YYYY-MM-DD. Bit-identical to the notebook's
  hashlib.sha256(f"{college_code}-{roll_no}-{dob}".encode()).hexdigest().

  Never build it with dbt.concat: on MySQL/MariaDB that compiles to `||`, which is logical OR there.
#}
{% macro student_hash(college_code, roll_no, dob) -%}
  {{ return(adapter.dispatch('student_hash', 'aktu_dw')(college_code, roll_no, dob)) }}
{%- endmacro %}

{% macro duckdb__student_hash(college_code, roll_no, dob) -%}
  sha256({{ college_code }} || '-' || {{ roll_no }} || '-' || strftime({{ dob }}, '%Y-%m-%d'))
{%- endmacro %}

{% macro mysql__student_hash(college_code, roll_no, dob) -%}
  sha2(concat({{ college_code }}, '-', {{ roll_no }}, '-', date_format({{ dob }}, '%Y-%m-%d')), 256)
{%- endmacro %}

{% macro mariadb__student_hash(college_code, roll_no, dob) -%}
  {{ mysql__student_hash(college_code, roll_no, dob) }}
{%- endmacro %}

{% macro default__student_hash(college_code, roll_no, dob) -%}
  {{ exceptions.raise_compiler_error("student_hash has no implementation for adapter '" ~ adapter.type() ~ "'; add " ~ adapter.type() ~ "__student_hash in macros/student_hash.sql") }}
{%- endmacro %}
