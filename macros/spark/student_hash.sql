{#
  Spark SQL implementations of the student pseudonym (macros/student_hash.sql says what it is).
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
