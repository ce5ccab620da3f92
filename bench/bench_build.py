"""Build benchmark (not a test): load, full `dbt build`, and an incremental build after one more
day of attendance, on MariaDB/MySQL and DuckDB, at a chosen scale, in one run.

    python bench/bench_build.py [--rows 1000000] [--engines duckdb,mariadb]
                                [--mariadb-setting innodb_buffer_pool_size=4294967296 ...]

Attendance arrives a day at a time (one file per class date, `loader sample --daily`): every day
but the last is loaded and built in full (`dbt build`), then the last day's file is loaded and
the daily job runs (`dbt build --selector daily`: everything but the models and tests tagged
full_scan, selectors.yml), then the daily job runs once more with nothing new, which measures
dbt's fixed cost (start-up, one query per node, marts sized by students rather than rows), and
`dbt ls` of the same selection measures dbt's start-up alone.
Prints seconds per step and the ratios the project targets:
  incremental build <= 10% of the full build; MariaDB full build <= 3x the raw load of the rows;
  DuckDB full build at 5M rows well under a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loader.sample import generate  # noqa: E402

DB = {k: os.environ.get(f"AKTU_DB_{k.upper()}", d) for k, d in
      (("host", "127.0.0.1"), ("port", "3306"), ("user", "root"), ("password", ""))}
ROWS_PER_STUDENT = 239  # attendance rows the generator writes per student (6 courses x ~40 dates)


def run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def slowest_nodes(target_path: str, count: int = 6) -> str:
    """The nodes of the last dbt run that took longest (run_results.json), and all nodes' sum."""
    results = json.loads((Path(target_path) / "run_results.json").read_text())["results"]
    results.sort(key=lambda r: -r["execution_time"])
    top = ", ".join(f"{r['unique_id'].split('.')[2][:48]} {r['execution_time']:.1f}"
                    for r in results[:count])
    return (f"{len(results)} nodes, {sum(r['execution_time'] for r in results):.1f} s in all; "
            f"slowest: {top}")


def mysql(sql: str) -> list[tuple]:
    import pymysql

    con = pymysql.connect(host=DB["host"], port=int(DB["port"]), user=DB["user"],
                          password=DB["password"], autocommit=True)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        con.close()


def drop_schemas(schema: str) -> None:
    for (name,) in mysql(f"select schema_name from information_schema.schemata "
                         f"where schema_name like '{schema}\\_%'"):
        mysql(f"drop database if exists `{name}`")


def bare_load_seconds(files: list[Path], work: Path) -> float:
    """The server's limit: one bare LOAD DATA LOCAL INFILE of the same rows into a bare table."""
    import pymysql

    merged = work / "bare.csv"
    with merged.open("w") as out:
        for path in files:
            with path.open() as f:
                next(f)
                shutil.copyfileobj(f, out)
    schema = f"bare{uuid.uuid4().hex[:8]}"
    mysql(f"create database `{schema}`")
    mysql(f"create table `{schema}`.bare (college_code varchar(32), roll_no varchar(64), "
          "dob date, course_code varchar(32), `date` date, status char(1)) "
          "engine=InnoDB default charset=utf8mb4")
    con = pymysql.connect(host=DB["host"], port=int(DB["port"]), user=DB["user"],
                          password=DB["password"], autocommit=True, local_infile=True)
    try:
        started = time.perf_counter()
        with con.cursor() as cur:
            cur.execute(f"load data local infile '{merged}' into table `{schema}`.bare "
                        "character set utf8mb4 fields terminated by ',' "
                        "optionally enclosed by '\"' escaped by '' lines terminated by '\\n'")
        return time.perf_counter() - started
    finally:
        con.close()
        mysql(f"drop database `{schema}`")
        merged.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="attendance rows, about")
    parser.add_argument("--colleges", type=int, default=50)
    parser.add_argument("--engines", default="duckdb,mariadb")
    parser.add_argument("--mariadb-setting", action="append", default=[],
                        help="NAME=VALUE set globally for the MariaDB run, restored afterwards")
    args = parser.parse_args()
    engines = args.engines.split(",")

    work = Path(tempfile.mkdtemp(prefix="aktu-bench-build-"))
    restore: list[tuple[str, str]] = []
    try:
        students = max(10, args.rows // ROWS_PER_STUDENT)
        generate(work / "all", students=students, seed=3, college_count=args.colleges, daily=True)
        days = sorted((work / "all").glob("attendance_*.csv"))
        first, last = work / "first", work / "last"
        first.mkdir()
        last.mkdir()
        for path in (work / "all").iterdir():
            shutil.copy(path, (last if path == days[-1] else first) / path.name)
        rows_all = sum(sum(1 for _ in p.open()) - 1 for p in days)
        rows_last = sum(1 for _ in days[-1].open()) - 1
        shutil.copy(ROOT / "profiles.example.yml", work / "profiles.yml")
        print(f"{students:,} students in {args.colleges} colleges, {rows_all:,} attendance rows "
              f"in {len(days)} daily files; the last day adds {rows_last:,}", file=sys.stderr)
        for setting in args.mariadb_setting:
            name, value = setting.split("=", 1)
            restore.append((name, str(mysql(f"select @@global.{name}")[0][0])))
            mysql(f"set global {name} = {value}")

        results: dict[str, dict[str, float]] = {}
        profile: dict[str, dict[str, str]] = {}
        raw_load = None
        if "mariadb" in engines:
            raw_load = bare_load_seconds(days[:-1], work)
            print(f"bare LOAD DATA LOCAL of the same rows: {raw_load:.1f}s", file=sys.stderr)
        for engine in engines:
            schema = f"bb{uuid.uuid4().hex[:8]}"
            env = dict(os.environ, AKTU_SCHEMA=schema, DBT_PROFILES_DIR=str(work),
                       AKTU_DUCKDB_PATH=str(work / f"{schema}.duckdb"),
                       DBT_TARGET_PATH=str(work / f"target-{engine}"),
                       DBT_LOG_PATH=str(work / f"logs-{engine}"))
            loader = [sys.executable, "-m", "loader", "load"]
            dbt = [str(Path(sys.executable).with_name("dbt")), "build", "--target", engine]
            daily = dbt + ["--selector", "daily"]
            r = results[engine] = {}
            try:
                r["load"] = run(loader + [str(first), "--target", engine, "--no-progress"], env)
                r["full build"] = run(dbt, env)
                profile[engine] = {"full build": slowest_nodes(env["DBT_TARGET_PATH"])}
                r["load one day"] = run(loader + [str(last), "--target", engine, "--no-progress"], env)
                r["incremental build"] = run(daily, env)
                profile[engine]["incremental build"] = slowest_nodes(env["DBT_TARGET_PATH"])
                r["nothing new"] = run(daily, env)
                # dbt's start-up alone: the daily job's selection listed, nothing run. No
                # incremental build can take less, whatever the models do.
                r["dbt start-up"] = run([dbt[0], "ls", "--selector", "daily", "--target", engine],
                                        env)
            finally:
                if engine != "duckdb":
                    drop_schemas(schema)
            print(f"{engine}: {r}", file=sys.stderr)
    finally:
        for name, value in restore:
            mysql(f"set global {name} = {value}")
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'engine':10} {'load':>8} {'full build':>11} {'+1 day load':>12} {'incr. build':>12} "
          f"{'no new day':>11} {'dbt start':>9} {'incr/full':>9} {'start/full':>10} "
          f"{'full/load':>9}")
    for engine, r in results.items():
        print(f"{engine:10} {r['load']:8.1f} {r['full build']:11.1f} {r['load one day']:12.1f} "
              f"{r['incremental build']:12.1f} {r['nothing new']:11.1f} {r['dbt start-up']:9.1f} "
              f"{r['incremental build'] / r['full build']:9.0%} "
              f"{r['dbt start-up'] / r['full build']:10.0%} {r['full build'] / r['load']:9.2f}")
    print("incr. build = dbt build --selector daily after one more day; no new day = the same "
          "again with nothing to add (dbt's fixed cost); dbt start = dbt ls of the same "
          "selection (dbt's start-up alone, the floor of any incremental build)")
    if raw_load is not None and "mariadb" in results:
        print(f"MariaDB full build / bare LOAD DATA LOCAL of the same rows ({raw_load:.1f}s): "
              f"{results['mariadb']['full build'] / raw_load:.2f}x")
    print("targets: incremental build <= 10% of full; MariaDB full build <= 3x the bare load")
    for engine, steps in profile.items():
        for step, line in steps.items():
            print(f"{engine} {step}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
