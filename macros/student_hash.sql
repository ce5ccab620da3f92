{#
  The student pseudonym, 64 lowercase hex characters, of the UTF-8 text
  `college_code-roll_no-dob` with dob written YYYY-MM-DD. Two modes (docs/privacy.md):

  - keyed: HMAC-SHA256 of that text under the operator's secret key. The key never enters the SQL:
    the SQL reads two key-derived 64-byte blocks (HMAC's K xor ipad and K xor opad, stored as hex)
    from <schema>_private.student_hash_key, a one-row table that `python scripts/privacy/hash_key.py
    install` writes outside dbt and only the dbt account may read. Used whenever that table holds a
    key (or always, with var aktu_privacy_student_hash_mode = 'keyed', which fails without one).
      HMAC(K, m) = SHA256((K xor opad) || SHA256((K xor ipad) || m))
  - compatibility (no key installed): plain SHA-256, bit-identical to the notebook's
    hashlib.sha256(f"{college_code}-{roll_no}-{dob}".encode()).hexdigest(). Reversible by
    enumerating roll numbers and birth dates; every dbt run warns (macros/privacy/hash_key.sql).

  Never build it with dbt.concat: on MySQL/MariaDB that compiles to `||`, which is logical OR there.
#}
{% macro student_hash(college_code, roll_no, dob) -%}
  {%- if aktu_privacy_student_hash_keyed() -%}
    {{ return(adapter.dispatch('student_hmac', 'aktu_dw')(college_code, roll_no, dob, aktu_privacy_key_relation())) }}
  {%- endif -%}
  {{ return(adapter.dispatch('student_hash', 'aktu_dw')(college_code, roll_no, dob)) }}
{%- endmacro %}

{# --- compatibility mode: the notebook's SHA-256 ------------------------------------------------ #}

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

{# --- keyed mode: HMAC-SHA256 from the precomputed key blocks ------------------------------------
   The uncorrelated scalar subqueries are evaluated once per query by both engines. #}

{% macro duckdb__student_hmac(college_code, roll_no, dob, key_relation) -%}
  sha256(
    unhex((select opad_hex from {{ key_relation }}))
    || unhex(sha256(
      unhex((select ipad_hex from {{ key_relation }}))
      || encode({{ college_code }} || '-' || {{ roll_no }} || '-' || strftime({{ dob }}, '%Y-%m-%d'))
    ))
  )
{%- endmacro %}

{% macro mysql__student_hmac(college_code, roll_no, dob, key_relation) -%}
  sha2(concat(
    unhex((select opad_hex from {{ key_relation }})),
    unhex(sha2(concat(
      unhex((select ipad_hex from {{ key_relation }})),
      concat({{ college_code }}, '-', {{ roll_no }}, '-', date_format({{ dob }}, '%Y-%m-%d'))
    ), 256))
  ), 256)
{%- endmacro %}

{% macro mariadb__student_hmac(college_code, roll_no, dob, key_relation) -%}
  {{ mysql__student_hmac(college_code, roll_no, dob, key_relation) }}
{%- endmacro %}

{% macro default__student_hmac(college_code, roll_no, dob, key_relation) -%}
  {{ exceptions.raise_compiler_error("student_hash has no keyed implementation for adapter '" ~ adapter.type() ~ "'; add " ~ adapter.type() ~ "__student_hmac in macros/student_hash.sql") }}
{%- endmacro %}

{#
  Spark SQL implementations of the student pseudonym.
  Spark's concat() is a string concatenation (null if any part is null, as on the other engines),
  sha2(…, 256) gives 64 lowercase hex characters, date_format takes Java patterns.
#}

{% macro spark__student_hash(college_code, roll_no, dob) -%}
  sha2(concat({{ college_code }}, '-', {{ roll_no }}, '-', date_format({{ dob }}, 'yyyy-MM-dd')), 256)
{%- endmacro %}

{#
  Keyed mode (HMAC-SHA256 from the precomputed key blocks): on binary values concat() joins bytes,
  unhex() and encode(…, 'UTF-8') give binary, sha2() hashes binary.
#}
{% macro spark__student_hmac(college_code, roll_no, dob, key_relation) -%}
  sha2(concat(
    unhex((select opad_hex from {{ key_relation }})),
    unhex(sha2(concat(
      unhex((select ipad_hex from {{ key_relation }})),
      encode(concat({{ college_code }}, '-', {{ roll_no }}, '-', date_format({{ dob }}, 'yyyy-MM-dd')), 'UTF-8')
    ), 256))
  ), 256)
{%- endmacro %}
