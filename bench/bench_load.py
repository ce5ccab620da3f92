"""Load benchmark (not a test): this loader against the server's own limit and the notebook's path.

One run, same machine, same file: generates N attendance rows (default 1M), then measures
  1. raw LOAD DATA LOCAL INFILE of the file into a bare table (MariaDB/MySQL's limit),
  2. this loader into MariaDB/MySQL (validation, normalisation, audit, duplicate check included),
  3. pandas read_csv + to_sql: the notebook's own call (its table, if_exists='replace', all rows
     at once) and a chunked append into the bare table,
  4. DuckDB: a bare CREATE TABLE ... AS SELECT from read_csv (all varchar) of the file, and this
     loader into DuckDB (with --per-row also the loader with its native path off,
     AKTU_LOADER_NATIVE=0, against the same bare read),
  5. with --spark (the spark extra and Java 17): a local Spark (the profile's `spark` target):
     its start-up alone, a bare CREATE TABLE ... USING parquet AS SELECT from Spark's CSV reader,
     and this loader into Spark; every Spark figure includes the JVM's start-up,
each in its own process, each MariaDB step after InnoDB has flushed the previous one's pages, the
bare/loader pairs alternated --repeat times (medians, and each run's ratio to show the noise), and
prints rows/s, peak memory (the loader's parsing child included) and the ratios, and, when the
server runs on this machine, the server's CPU seconds for the bare load and for this loader.
Numbers depend on the machine and its load: compare the ratios, which are measured in the same run.

    python bench/bench_load.py [--rows 1000000] [--repeat 3] [--skip-to-sql] [--memory-check] [--spark]
                               [--engine all|mariadb|duckdb] [--csv ATTENDANCE.csv] [--per-row]

`--engine duckdb` runs only the DuckDB pair (no server needed); `--csv` takes the first --rows
rows of an existing attendance export instead of generating one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loader.sample import generate  # noqa: E402

DB = {k: os.environ.get(f"AKTU_DB_{k.upper()}", d) for k, d in
      (("host", "127.0.0.1"), ("port", "3306"), ("user", "root"), ("password", ""))}


NOTEBOOK_TO_SQL = "MariaDB pandas to_sql, the notebook's call"
CHUNKED_TO_SQL = "MariaDB pandas to_sql, chunks into bare table"
DUCKDB_BARE = "DuckDB bare CTAS from read_csv (varchar)"
DUCKDB_OURS = "DuckDB this loader"
DUCKDB_PER_ROW = "DuckDB this loader, per-row path"


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the loader's parsing child)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue  # it ended meanwhile
    return total_kb / 1024


def child_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A child process's environment: the database password goes there, never into its
    arguments (any local user can read a process's arguments in ps or /proc)."""
    env = dict(os.environ if base is None else base)
    env["AKTU_DB_PASSWORD"] = DB["password"]
    return env


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process, its own descendants
    included (sampled every 100 ms; at least the process's own peak)."""
    started = time.perf_counter()
    stderr = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(env), stdout=subprocess.DEVNULL, stderr=stderr,
                            text=True)
    tree_peak = 0.0
    while True:
        done, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if done:
            break
        tree_peak = max(tree_peak, _tree_rss_mb(proc.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    stderr.seek(0)
    err = stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed:\n{err[-3000:]}")
    return seconds, max(tree_peak, usage.ru_maxrss / 1024)


def python_snippet(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def connect_snippet(database: str = "") -> str:
    """Code connecting a child process; its password comes from its environment (child_env)."""
    return (f"import os, pymysql; con = pymysql.connect(host={DB['host']!r}, "
            f"port={int(DB['port'])}, user={DB['user']!r}, "
            "password=os.environ['AKTU_DB_PASSWORD'], charset='utf8mb4', "
            f"local_infile=True, autocommit=True{', database=' + repr(database) if database else ''}); "
            "cur = con.cursor()")


def to_sql_snippet(csv_path: Path, schema: str, table: str = "stg_attendance",
                   if_exists: str = "replace", chunksize: int | None = None) -> list[str]:
    """pandas read_csv + to_sql in a child process, its password from its environment."""
    return python_snippet(f"""
        import os
        import pandas as pd, sqlalchemy
        url = sqlalchemy.engine.URL.create(
            "mysql+pymysql", username={DB['user']!r}, password=os.environ['AKTU_DB_PASSWORD'],
            host={DB['host']!r}, port={int(DB['port'])}, database={schema!r},
            query={{"charset": "utf8mb4"}})
        engine = sqlalchemy.create_engine(url)
        frame = pd.read_csv({str(csv_path)!r})
        frame.to_sql({table!r}, engine, if_exists={if_exists!r}, index=False,
                     chunksize={chunksize!r})
        """)


def server_cpu_seconds() -> float | None:
    """CPU seconds (user + system) the database server has used, when it runs on this machine
    (Linux /proc); None otherwise. The loader's rows cost the server more than the bare file's:
    this shows how much, on a machine where the server and the parse share the cores."""
    if DB["host"] not in ("127.0.0.1", "localhost"):
        return None
    for program in ("mariadbd", "mysqld"):
        pids = subprocess.run(["pidof", program], capture_output=True, text=True).stdout.split()
        if pids:
            fields = Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


QUIET_SECONDS = 5.0


def settle(timeout: float = 60.0) -> None:
    """Wait until InnoDB has written out the previous step's dirty pages, so a step does not pay
    for the one before it (the server flushes in the background for seconds after a bulk load)."""
    import pymysql

    con = pymysql.connect(host=DB["host"], port=int(DB["port"]), user=DB["user"],
                          password=DB["password"], autocommit=True)
    deadline = time.monotonic() + timeout
    try:
        with con.cursor() as cur:
            # MariaDB 10.5+ leaves dirty pages in an idle pool (no low-water mark by default):
            # ask for a flush down to nothing, and put the setting back once it is done.
            cur.execute("select @@global.innodb_max_dirty_pages_pct")
            saved = cur.fetchone()[0]
            cur.execute("set global innodb_max_dirty_pages_pct = 0")
            try:
                while time.monotonic() < deadline:
                    cur.execute("show global status like 'Innodb_buffer_pool_pages_dirty'")
                    if int(cur.fetchone()[1]) < 100:
                        break
                    time.sleep(0.5)
            finally:
                cur.execute("set global innodb_max_dirty_pages_pct = %s", (saved,))
    finally:
        con.close()
    time.sleep(QUIET_SECONDS)  # and the purge / file deletion of a dropped table has passed


def alternated(baseline: tuple[str, Callable[[], tuple[float, float]]],
               ours: tuple[str, Callable[[], tuple[float, float]]], repeat: int,
               spreads: dict[str, list[float]]) -> list[tuple[str, float, float]]:
    """Run a baseline and this loader in turn `repeat` times: the median seconds and the
    highest peak of each, and every run's speed ratio in spreads[ours name] (the noise)."""
    runs: dict[str, list[tuple[float, float]]] = {baseline[0]: [], ours[0]: []}
    for _ in range(repeat):
        for name, step in (baseline, ours):
            runs[name].append(step())
    spreads[ours[0]] = [b[0] / o[0] for b, o in zip(runs[baseline[0]], runs[ours[0]])]
    return [(name, statistics.median(s for s, _ in r), max(m for _, m in r))
            for name, r in runs.items()]


def mysql(sql: str) -> None:
    subprocess.run(python_snippet(connect_snippet() + f"\ncur.execute({sql!r})"), check=True,
                   env=child_env())


def loader_env(schema: str, duckdb_path: Path, profiles: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AKTU_SCHEMA": schema, "AKTU_DUCKDB_PATH": str(duckdb_path),
                "DBT_PROFILES_DIR": str(profiles)})
    return env


def spark_results(work: Path, csv_path: Path, data: Path, schema: str,
                  rows: int) -> list[tuple[str, float, float]]:
    """The local Spark of the profile's `spark` target (its own warehouse folder here). Peak MB
    is the Python process's: the JVM's memory is its own (spark.driver.memory, 2g by default)."""
    env = loader_env(schema, work / "unused.duckdb", work)
    env["AKTU_SPARK_DIR"] = str(work / "spark")
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from loader.profiles import load_target
        from pyspark.sql import SparkSession
        builder = SparkSession.builder.enableHiveSupport()
        for key, value in load_target("spark", profiles_dir={str(work)!r}).spark.server_side_parameters:
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        """)
    results = [("Spark start-up alone (JVM, metastore)", *measure(python_snippet(
        session + 'spark.sql("show schemas").collect()\nspark.stop()\n'), env))]
    results.append(("Spark bare CTAS from its CSV reader", *measure(python_snippet(
        session + textwrap.dedent(f"""
        spark.sql("create schema if not exists {schema}_bare")
        spark.sql("create table {schema}_bare.bare using parquet as select * from "
                  "csv.`{csv_path.as_uri()}`")
        n = spark.sql("select count(*) from {schema}_bare.bare").collect()[0][0]
        assert n == {rows + 1}, n  # the header is a row for the bare reader
        spark.stop()
        """)), env)))
    results.append(("Spark this loader", *measure(
        [sys.executable, "-m", "loader", "load", str(data), "--target", "spark",
         "--no-progress"], env)))
    return results


def mariadb_results(args: argparse.Namespace, work: Path, csv_path: Path,
                    schema: str, rows: int, env: dict[str, str], load_ours: list[str],
                    results: list[tuple[str, float, float]], spreads: dict[str, list[float]],
                    server_cpu: dict[str, list[float]]) -> None:
    """The MariaDB/MySQL steps: bare LOAD DATA against this loader, the memory check, to_sql."""
    bare = (f"create table `{schema}`.bare (college_code varchar(32), roll_no varchar(64), "
            "dob date, course_code varchar(32), `date` date, status char(1)) "
            "engine=InnoDB default charset=utf8mb4")
    mysql(f"create database `{schema}` character set utf8mb4 collate utf8mb4_bin")
    load_bare = python_snippet(connect_snippet() + textwrap.dedent(f"""
        cur.execute("load data local infile '{csv_path}' into table `{schema}`.bare "
                    "character set utf8mb4 fields terminated by ',' optionally enclosed by '\\"' "
                    "escaped by '' lines terminated by '\\\\n' ignore 1 lines")
        assert cur.rowcount == {rows}, cur.rowcount
        """))

    def with_server_cpu(name: str,
                        step: Callable[[], tuple[float, float]]) -> tuple[float, float]:
        before = server_cpu_seconds()
        result = step()
        after = server_cpu_seconds()
        if before is not None and after is not None:
            server_cpu[name].append(after - before)
        return result

    def bare_step() -> tuple[float, float]:
        mysql(f"drop table if exists `{schema}`.bare")
        mysql(bare)
        settle()
        return with_server_cpu("bare", lambda: measure(load_bare))

    def our_step() -> tuple[float, float]:
        mysql(f"drop database if exists `{schema}_raw`")
        settle()
        return with_server_cpu("loader", lambda: measure(load_ours, env))

    results += alternated(("MariaDB raw LOAD DATA LOCAL (bare table)", bare_step),
                          ("MariaDB this loader", our_step), args.repeat, spreads)
    if args.memory_check:
        quarter = work / "quarter"
        quarter.mkdir()
        with csv_path.open() as src, (quarter / "attendance_q.csv").open("w") as out:
            for i, line in enumerate(src):
                if i > rows // 4:
                    break
                out.write(line)
        q_env = loader_env(schema + "q", work / "q.duckdb", work)
        seconds, peak = measure([sys.executable, "-m", "loader", "load", str(quarter),
                                 "--target", "mariadb", "--no-progress"], q_env)
        mysql(f"drop database if exists `{schema}q_raw`")
        print(f"memory check: a quarter of the file peaks at {peak:.0f} MB", file=sys.stderr)
    if not args.skip_to_sql:
        # The notebook's own call (starter_etl_notebook, "Load to MySQL"): a table of its own,
        # replaced, every row in one to_sql.
        settle()
        results.append((NOTEBOOK_TO_SQL, *measure(to_sql_snippet(csv_path, schema))))
        # A kinder variant: the bare typed table, in chunks of 10,000 rows.
        mysql(f"truncate table `{schema}`.bare")
        settle()
        results.append((CHUNKED_TO_SQL, *measure(to_sql_snippet(
            csv_path, schema, table="bare", if_exists="append", chunksize=10000))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-to-sql", action="store_true", help="skip the slow pandas baseline")
    parser.add_argument("--memory-check", action="store_true",
                        help="also load a quarter of the file, to show peak memory does not grow")
    parser.add_argument("--repeat", type=int, default=3,
                        help="run each bare/loader pair this many times, alternated (medians)")
    parser.add_argument("--spark", action="store_true",
                        help="also measure a local Spark (pip install -e '.[spark]', Java 17)")
    parser.add_argument("--engine", choices=("all", "mariadb", "duckdb"), default="all",
                        help="which engines' pairs to run (default: all)")
    parser.add_argument("--csv", type=Path,
                        help="take the first --rows rows of this attendance export")
    parser.add_argument("--per-row", action="store_true",
                        help="DuckDB: also the loader with its native path off (AKTU_LOADER_NATIVE=0)")
    parser.add_argument("--schema-prefix", default="bench",
                        help="MariaDB: the start of the bench's schema names (a shared server)")
    args = parser.parse_args()
    on_mariadb = args.engine in ("all", "mariadb")
    on_duckdb = args.engine in ("all", "duckdb")

    work = Path(tempfile.mkdtemp(prefix="aktu-bench-"))
    schema = f"{args.schema_prefix}{uuid.uuid4().hex[:8]}"
    try:
        if args.csv is None:
            source = generate(work / "gen", students=max(1, args.rows // 239), seed=7)["attendance"]
        else:
            source = args.csv
        data = work / "data"
        data.mkdir()
        csv_path = data / "attendance_bench.csv"
        # Bytes as they are: a Windows export keeps its CRLF line breaks.
        with source.open("rb") as src, csv_path.open("wb") as out:
            for i, line in enumerate(src):
                if i > args.rows:
                    break
                out.write(line)
        rows = sum(1 for _ in csv_path.open("rb")) - 1
        size_mb = csv_path.stat().st_size / 1e6
        shutil.copy(ROOT / "profiles.example.yml", work / "profiles.yml")
        env = loader_env(schema, work / "bench.duckdb", work)
        results: list[tuple[str, float, float]] = []
        spreads: dict[str, list[float]] = {}
        print(f"file: {rows:,} attendance rows, {size_mb:.0f} MB; schema {schema}", file=sys.stderr)

        load_ours = [sys.executable, "-m", "loader", "load", str(data), "--target", "mariadb",
                     "--no-progress"]
        server_cpu: dict[str, list[float]] = {"bare": [], "loader": []}
        if on_mariadb:
            mariadb_results(args, work, csv_path, schema, rows, env, load_ours, results,
                            spreads, server_cpu)
        runs = iter(range(1_000_000))

        def duckdb_run(argv: list[str], database: Path,
                       extra: dict[str, str] | None = None) -> tuple[float, float]:
            """One DuckDB step into a new database file, removed after (a 12M-row file is
            hundreds of MB on disk)."""
            try:
                return measure(argv, dict(env, AKTU_DUCKDB_PATH=str(database), **(extra or {})))
            finally:
                for path in work.glob(database.name + "*"):
                    shutil.rmtree(path) if path.is_dir() else path.unlink()

        def duckdb_bare_step() -> tuple[float, float]:
            database = work / f"bare{next(runs)}.duckdb"
            return duckdb_run(python_snippet(f"""
                import duckdb
                con = duckdb.connect({str(database)!r})
                con.execute("create table bare as select * from read_csv('{csv_path}', "
                            "header=true, all_varchar=true)")
                """), database)

        def duckdb_our_step() -> tuple[float, float]:
            return duckdb_run(load_ours[:-2] + ["duckdb", "--no-progress"],
                              work / f"ours{next(runs)}.duckdb")

        def duckdb_per_row_step() -> tuple[float, float]:
            return duckdb_run(load_ours[:-2] + ["duckdb", "--no-progress"],
                              work / f"ours{next(runs)}.duckdb", {"AKTU_LOADER_NATIVE": "0"})

        if on_duckdb:
            results += alternated((DUCKDB_BARE, duckdb_bare_step),
                                  (DUCKDB_OURS, duckdb_our_step), args.repeat, spreads)
            if args.per_row:
                per_row = alternated((DUCKDB_BARE + " (again)", duckdb_bare_step),
                                     (DUCKDB_PER_ROW, duckdb_per_row_step), args.repeat, spreads)
                results += per_row
        if args.spark:
            results += spark_results(work, csv_path, data, schema, rows)
    finally:
        for suffix in ("", "_raw") if on_mariadb else ():
            mysql(f"drop database if exists `{schema}{suffix}`")
        shutil.rmtree(work, ignore_errors=True)

    by_name = {name: seconds for name, seconds, _ in results}
    print(f"\n{'method':46} {'seconds':>8} {'rows/s':>10} {'peak MB':>8}")
    for name, seconds, peak in results:
        print(f"{name:46} {seconds:8.2f} {rows / seconds:10,.0f} {peak:8.0f}")
    print(f"(medians of {args.repeat} alternated runs for the bare and loader pairs)")
    for name, ratios in spreads.items():
        print(f"  {name}: speed ratio per run {', '.join(f'{r:.2f}' for r in ratios)}")
    if server_cpu["bare"] and server_cpu["loader"]:
        bare_cpu, our_cpu = (statistics.median(server_cpu[k]) for k in ("bare", "loader"))
        print(f"  MariaDB server CPU (median): bare LOAD DATA {bare_cpu:.2f} s, this loader "
              f"{our_cpu:.2f} s ({our_cpu / bare_cpu:.2f}x); on {os.cpu_count()} cores")
    if on_mariadb:
        raw = by_name["MariaDB raw LOAD DATA LOCAL (bare table)"]
        ours = by_name["MariaDB this loader"]
        print(f"\nthis loader / raw LOAD DATA LOCAL (speed): {raw / ours:.2f}x   (target >= 0.9x)")
    if NOTEBOOK_TO_SQL in by_name:
        print(f"this loader / the notebook's to_sql (speed): "
              f"{by_name[NOTEBOOK_TO_SQL] / ours:.2f}x   (target >= 5x)")
        print(f"this loader / chunked to_sql (speed):        {by_name[CHUNKED_TO_SQL] / ours:.2f}x")
    if on_duckdb:
        print(f"DuckDB: this loader / bare read_csv (speed): "
              f"{by_name[DUCKDB_BARE] / by_name[DUCKDB_OURS]:.2f}x   (target >= 0.5x)")
    if DUCKDB_PER_ROW in by_name:
        print(f"DuckDB: per-row path / bare read_csv (speed): "
              f"{by_name[DUCKDB_BARE + ' (again)'] / by_name[DUCKDB_PER_ROW]:.2f}x")
    if "Spark this loader" in by_name:
        start = by_name["Spark start-up alone (JVM, metastore)"]
        spark = by_name["Spark this loader"]
        print(f"Spark: this loader / bare CTAS (speed):      "
              f"{by_name['Spark bare CTAS from its CSV reader'] / spark:.2f}x")
        print(f"Spark: this loader less start-up: {spark - start:.2f} s "
              f"({rows / max(spark - start, 1e-9):,.0f} rows/s); the Spark loader takes "
              f"{spark / ours:.2f}x the MariaDB loader's time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
