"""`dbt build --select +<model>` works on a fresh warehouse: it builds the model with everything
it reads and runs the tests it can, and never a test that reads a relation the run does not build.

dbt's default indirect selection (eager) picks every test that touches a selected node, so a
relationship test between two seeds, or from a fact to dim_students, ran while its other side was
never built: `Table with name course_mark_schemes does not exist`. The project sets
`flags: indirect_selection: buildable` (dbt_project.yml).
"""

from __future__ import annotations


import pytest

from loader.sample import generate

ENGINES = ("duckdb", "mariadb")
# Each reproduced the error on a fresh warehouse under eager selection:
# int_courses_joined_to_mark_schemes - the relationship from seed courses to seed programs;
# dim_students - the relationships from every fact to it;
# fct_exam_eligibility - the relationships between the academic seeds and from the other facts.
MODELS = ("int_courses_joined_to_mark_schemes", "dim_students", "fct_exam_eligibility")


def _results(wh) -> dict[str, str]:
    """unique_id -> status of the last dbt command."""
    return {r["unique_id"]: r["status"] for r in wh.run_results()}


def _build_with_parents(make_warehouse, tmp_path, engine: str, model: str) -> dict[str, str]:
    data = tmp_path / "sample"
    generate(data, students=20, seed=7)
    wh = make_warehouse(engine)
    wh.load(data)
    proc = wh.dbt("build", "--select", "+" + model, check=False)
    assert proc.returncode == 0, (
        f"dbt build --select +{model} failed on a fresh {engine} warehouse\n"
        f"{proc.stdout[-4000:]}")
    return _results(wh)


@pytest.mark.parametrize("model", MODELS)
def test_build_model_with_parents_on_fresh_duckdb(make_warehouse, tmp_path, model):
    results = _build_with_parents(make_warehouse, tmp_path, "duckdb", model)
    assert results[f"model.aktu_dw.{model}"] == "success"
    # The model's own tests ran and passed: buildable selection keeps them.
    own_tests = [uid for uid in results if uid.startswith("test.") and model in uid]
    assert own_tests, f"no test of {model} ran"
    assert {results[uid] for uid in own_tests} <= {"pass", "warn"}
    assert all(status in {"success", "pass", "warn"} for status in results.values()), results


@pytest.mark.mariadb
def test_build_model_with_parents_on_fresh_mariadb(make_warehouse, tmp_path):
    model = "fct_exam_eligibility"
    results = _build_with_parents(make_warehouse, tmp_path, "mariadb", model)
    assert results[f"model.aktu_dw.{model}"] == "success"
    own_tests = [uid for uid in results if uid.startswith("test.") and model in uid]
    assert own_tests, f"no test of {model} ran"
    assert all(status in {"success", "pass", "warn"} for status in results.values()), results
