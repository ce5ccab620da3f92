{#
  An orphan is a row whose student is not in the master (dim_students): the one rule of
  dq_orphan_rows, rpt_orphan_rows and rpt_placement_offer_reconciliation. Join the master with
  join_master_students(relation) (a left join on student_hash to the CTE `students`), then
  is_orphan() holds for the rows it found no student for.
#}
{% macro join_master_students(relation) -%}
left join students
        on {{ relation }}.student_hash = students.student_hash
{%- endmacro %}

{% macro is_orphan() -%}
students.student_hash is null
{%- endmacro %}
