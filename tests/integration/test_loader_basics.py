"""The loader lands every row it is given, says what it did, and refuses what it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines import execute_sql, mysql_connect
from loader.profiles import ProfileError, find_profiles_dir, load_target
from loader.sample import generate

ENGINES = ("duckdb", "mariadb")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _audit(wh):
    return wh.query(f"select * from {wh.relation('raw', '_load_audit')} order by started_at")


@pytest.mark.parametrize("engine", ENGINES)
def test_reconciles_and_reload_is_a_no_op(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    paths = generate(tmp_path, students=40, seed=5)
    wh.load(tmp_path)
    lines = sum(1 for _ in paths["attendance"].open()) - 1
    count = wh.query(f"select count(*) as n from {wh.relation('raw', 'attendance')}")["n"][0]
    assert int(count) == lines
    audit = _audit(wh)
    assert set(audit["status"]) == {"loaded"}
    assert (audit["rows_read"] == audit["rows_loaded"] + audit["rows_rejected"]
            + audit["rows_duplicate"]).all()

    second = wh.load(tmp_path)
    assert second.stderr.count("same content as the last load of this file name") == 4
    again = wh.query(f"select count(*) as n from {wh.relation('raw', 'attendance')}")["n"][0]
    assert int(again) == lines
    assert set(_audit(wh)["status"]) == {"loaded", "unchanged"}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_row_of_a_load_carries_the_loads_start(engine, make_warehouse, tmp_path):
    """dbt's incremental models read "rows loaded since X" and check re-exports against the audit:
    both rely on a load's rows sharing one _loaded_at, its audit started_at, even when the file
    goes in several chunks."""
    wh = make_warehouse(engine)
    generate(tmp_path, students=40, seed=5)
    wh.load(tmp_path, "--chunk-rows", "1000")
    raw, audit = wh.relation("raw", "attendance"), wh.relation("raw", "_load_audit")
    per_load = wh.query(
        f"select r._source_file, count(distinct r._loaded_at) as stamps, "
        f"sum(case when r._loaded_at = a.started_at then 1 else 0 end) as matching, "
        f"count(*) as n_rows, max(a.rows_loaded) as rows_loaded "
        f"from {raw} as r inner join {audit} as a "
        f"on r._source_file = a.file_name and a.status = 'loaded' "
        f"group by r._source_file")
    assert len(per_load) == 1
    row = per_load.iloc[0]
    assert int(row["n_rows"]) > 1000, "the file went in several chunks"
    assert int(row["stamps"]) == 1
    assert int(row["matching"]) == int(row["n_rows"]) == int(row["rows_loaded"])


@pytest.mark.parametrize("earlier", ["no key", "the key before 2026-11-29"])
def test_mysql_raw_tables_get_their_clustered_key(earlier, make_warehouse, tmp_path):
    """Raw tables made before the (_loaded_at, _source_line) key, keyless or keyed on
    (_loaded_at, _source_file, _source_line), get it on the next load; the rows stay."""
    wh = make_warehouse("mariadb")
    generate(tmp_path, students=20, seed=5)
    wh.load(tmp_path)
    raw = wh.relation("raw", "attendance")
    before = int(wh.query(f"select count(*) as n from {raw}")["n"][0])
    con = mysql_connect()
    try:
        with con.cursor() as cur:
            cur.execute(f"alter table {raw} drop primary key" + (
                "" if earlier == "no key" else
                ", add primary key (_loaded_at, _source_file, _source_line)"))
    finally:
        con.close()
    again = wh.load(tmp_path)
    verb = "adding" if earlier == "no key" else "changing"
    assert f"{verb} the primary key (_loaded_at, _source_line) of {raw.replace('`', '')}" in again.stderr
    keys = wh.query(f"show index from {raw} where Key_name = 'PRIMARY'")
    assert list(keys["Column_name"]) == ["_loaded_at", "_source_line"]
    assert int(wh.query(f"select count(*) as n from {raw}")["n"][0]) == before


@pytest.mark.parametrize("engine", ["duckdb", "mariadb"])
def test_each_load_starts_after_the_last_even_when_the_clock_goes_back(engine, make_warehouse,
                                                                         tmp_path):
    """_loaded_at keys a load's raw rows and dbt reads the rows loaded since the last one it
    saw: a load stamped earlier than the one before would collide or be skipped."""
    wh = make_warehouse(engine)
    data = tmp_path / "data"
    data.mkdir()
    header = "college_code,roll_no,dob,course_code,date,status\n"
    (data / "attendance_day1.csv").write_text(header + "AKTU001,R1,2003-01-01,CSE401,2024-02-01,P\n")
    wh.load(data)
    audit = wh.relation("raw", "_load_audit")
    execute_sql(wh, f"update {audit} set started_at = timestamp '2099-01-01 00:00:00'")
    (data / "attendance_day2.csv").write_text(header + "AKTU001,R1,2003-01-01,CSE401,2024-02-02,P\n")
    wh.load(data)
    # the second run: day 1 unchanged (2099-…:00.000001), then day 2 (…:00.000002)
    starts = wh.query(f"select file_name, status, started_at from {audit} order by started_at")
    assert [(r.file_name, r.status, str(r.started_at)) for r in starts.itertuples()] == [
        ("attendance_day1.csv", "loaded", "2099-01-01 00:00:00"),
        ("attendance_day1.csv", "unchanged", "2099-01-01 00:00:00.000001"),
        ("attendance_day2.csv", "loaded", "2099-01-01 00:00:00.000002")]
    rows = wh.query(f"select _loaded_at from {wh.relation('raw', 'attendance')} "
                    "where _source_file = 'attendance_day2.csv'")
    assert str(rows["_loaded_at"].iloc[0]) == "2099-01-01 00:00:00.000002"


@pytest.mark.parametrize("engine", ENGINES)
def test_raw_tables_of_older_loaders_lose_the_load_id_column(engine, make_warehouse, tmp_path):
    """Older loaders wrote the load id on every raw row (a row's load is its file and
    _loaded_at); the next load drops the column, keeps the rows, and loads as usual."""
    wh = make_warehouse(engine)
    generate(tmp_path, students=20, seed=5)
    wh.load(tmp_path)
    raw = wh.relation("raw", "attendance")
    before = int(wh.query(f"select count(*) as n from {raw}")["n"][0])
    not_null = "" if engine == "duckdb" else " not null"  # DuckDB adds no constraint here
    execute_sql(wh, f"alter table {raw} add column _load_id varchar(36){not_null} default 'old'")
    assert "_load_id" in set(wh.query(f"select * from {raw} limit 1").columns)
    (tmp_path / "attendance_2024_extra.csv").write_text(
        "college_code,roll_no,dob,course_code,date,status\n"
        "AKTU001,R-NEW,2003-01-01,CSE401,2024-03-01,P\n")
    again = wh.load(tmp_path)
    assert "dropping the column _load_id from" in again.stderr
    assert "_load_id" not in set(wh.query(f"select * from {raw} limit 1").columns)
    assert int(wh.query(f"select count(*) as n from {raw}")["n"][0]) == before + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_corrected_re_export_replaces_its_rows(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    header = "college_code,roll_no,dob,course_code,internal,external,total\n"
    f = _write(tmp_path / "exam_results_2024_sem.csv",
               header + "AKTU001,R1,2003-01-01,CSE401,10,40,50\nAKTU001,R2,2003-01-02,CSE401,20,40,60\n")
    wh.load(tmp_path)
    _write(f, header + "AKTU001,R1,2003-01-01,CSE401,12,40,52\n")
    wh.load(tmp_path)
    rows = wh.query(f"select roll_no, total from {wh.relation('raw', 'exam_results')}")
    assert rows.to_dict("records") == [{"roll_no": "R1", "total": 52.0}]


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_required_column_refuses_the_file_only(engine, make_warehouse, tmp_path):
    wh = make_warehouse(engine)
    _write(tmp_path / "attendance_day1.csv",
           "college_code,roll_no,course_code,date,status\nAKTU001,R1,CSE401,2024-02-01,P\n")
    _write(tmp_path / "students_master.csv",
           "roll_no,dob,gender,category,college_code,program_code,admission_year,domicile_state,"
           "quota,disability_flag,mobile\nR1,2003-01-01,F,GEN,AKTU001,BTECH_CSE,2022,UP,GEN,False,999\n")
    proc = wh.load(tmp_path, check=False)
    assert proc.returncode != 0
    assert "attendance_day1.csv: line 1: missing required column(s) dob" in proc.stderr
    assert "extra column(s) ignored: mobile" in proc.stderr
    att = wh.query(f"select count(*) as n from {wh.relation('raw', 'attendance')}")["n"][0]
    assert int(att) == 0
    students = wh.query(f"select roll_no from {wh.relation('raw', 'students')}")
    assert list(students["roll_no"]) == ["R1"]


def test_profiles_found_where_dbt_finds_them(tmp_path, monkeypatch):
    project, env_dir, flag_dir = tmp_path / "p", tmp_path / "env", tmp_path / "flag"
    for folder in (project, env_dir, flag_dir):
        folder.mkdir()
        _write(folder / "profiles.yml",
               "aktu_dw:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
               f"      path: {folder.name}.duckdb\n      schema: s_{folder.name}\n")
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    assert find_profiles_dir(None, project) == project
    monkeypatch.setenv("DBT_PROFILES_DIR", str(env_dir))
    assert load_target(project_dir=project).schema == "s_env"
    assert load_target(profiles_dir=flag_dir, project_dir=project).schema == "s_flag"
    assert load_target(profiles_dir=flag_dir, project_dir=project).raw_schema == "s_flag_raw"
    with pytest.raises(ProfileError, match="no target 'nope'"):
        load_target("nope", profiles_dir=flag_dir)


def test_example_profile_reads_env_vars(monkeypatch, tmp_path):
    example = Path(__file__).resolve().parents[2] / "profiles.example.yml"
    root = tmp_path
    (root / "profiles.yml").write_text(example.read_text())
    monkeypatch.setenv("AKTU_DB_HOST", "db.example")
    monkeypatch.setenv("AKTU_DB_PORT", "3307")
    monkeypatch.setenv("AKTU_SCHEMA", "x")
    t = load_target("mariadb", profiles_dir=root, project_dir=root)
    assert (t.type, t.host, t.port, t.user, t.password, t.schema) == (
        "mariadb", "db.example", 3307, "root", "", "x")
    assert load_target("mysql", profiles_dir=root).type == "mysql"
