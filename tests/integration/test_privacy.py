"""Privacy (issue #8, docs/privacy.md): keyed student pseudonyms, PII that stops at staging,
least-privilege accounts, no secret in artifacts or logs, the secret scan.

One warehouse per engine, built once for this module from 60 generated students:
  1. load; `dbt build -s staging` with no key installed: compatibility mode, and its warning;
  2. install a random key with scripts/privacy/hash_key.py (on MariaDB with the server's general
     query log switched on from here to the end of step 3, and restored afterwards);
  3. `dbt build` of every model and seed, then `dbt docs generate --static`, in keyed mode, with
     the key ALSO in dbt's environment (as an operator's shell might have it).
On MariaDB each step runs as the account meant for it (scripts/privacy/accounts.py, throwaway
accounts with unique names, dropped afterwards): the loader account loads, the dbt account
installs the key and builds, and an analyst reads the marts and is refused everything else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from conftest import require_engine
from engines import PROJECT_DIR, Warehouse, mysql_connect

ENGINES = ("duckdb", "mariadb")
STUDENTS = 60
SEED = 11
KEY = secrets.token_hex(32)  # fresh for every run, so finding it anywhere is meaningful
HASH_KEY = [sys.executable, str(PROJECT_DIR / "scripts" / "privacy" / "hash_key.py")]
ACCOUNTS = [sys.executable, str(PROJECT_DIR / "scripts" / "privacy" / "accounts.py")]
SCAN = [sys.executable, str(PROJECT_DIR / "scripts" / "scan_secrets.py")]

# Column names that would carry personal data: the identifiers behind student_hash, and names or
# contact details of a person. Names of organisations and programs (college_name, company_name,
# program_name) are not personal data.
PII_COLUMN = re.compile(
    r"roll|(^|_)dob($|_)|birth|^name$|"
    r"(student|first|last|middle|full|father|mother|guardian|given|family|sur|person)_?name|"
    r"e_?mail|phone|mobile|aadha?ar|(^|_)pan(_|$)|address", re.IGNORECASE)
# Schemas that may hold PII (suffixes of the warehouse schema): what the loader lands, the staging
# views, and the key table.
PII_ALLOWED = ("_raw", "_staging", "_private")


def _iso(value: object) -> str:
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def notebook_string(row: pd.Series) -> bytes:
    return f"{row['college_code']}-{row['roll_no']}-{_iso(row['dob'])}".encode()


def secret_needles(key: str) -> list[str]:
    """The key in every form worth finding, and the key-equivalent values derived from it
    (HMAC's K xor ipad / K xor opad blocks), computed here independently of the installer.
    Whole values plus 20-character windows, so a truncated leak is found too; lower case."""
    raw = key.encode()
    block = (hashlib.sha256(raw).digest() if len(raw) > 64 else raw).ljust(64, b"\0")
    forms = [key, raw.hex(), base64.b64encode(raw).decode(),
             bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()]
    needles = set()
    for form in forms:
        form = form.lower()
        needles.add(form)
        needles.update(form[i:i + 20] for i in range(0, max(len(form) - 20, 0) + 1, 10))
    return sorted(needles)


def find_secrets(text: str, needles: list[str]) -> list[str]:
    low = text.lower()
    return [n for n in needles if n in low]


@dataclass
class AccountWarehouse(Warehouse):
    """A Warehouse whose loader and dbt runs use the credentials in `overrides`."""

    overrides: dict[str, str] = field(default_factory=dict, repr=False)

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(self.overrides)
        return env


@dataclass
class Accounts:
    prefix: str
    loader: str = ""
    dbt: str = ""
    analyst: str = ""
    role: str = ""
    passwords: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loader, self.dbt = f"{self.prefix}_ldr", f"{self.prefix}_dbt"
        self.analyst, self.role = f"{self.prefix}_anl", f"{self.prefix}_role"
        self.passwords = {n: secrets.token_urlsafe(18) for n in (self.loader, self.dbt, self.analyst)}

    def args(self) -> list[str]:
        return ["--loader-user", self.loader, "--dbt-user", self.dbt, "--analyst-role", self.role,
                "--analyst-user", self.analyst]

    def env_for(self, user: str) -> dict[str, str]:
        return {"AKTU_DB_USER": user, "AKTU_DB_PASSWORD": self.passwords[user]}

    def connect(self, user: str):
        import pymysql
        from engines import db_settings

        s = db_settings()
        return pymysql.connect(host=s["host"], port=int(s["port"]), user=user,
                               password=self.passwords[user], charset="utf8mb4", autocommit=True)


@dataclass
class Built:
    wh: AccountWarehouse
    data_dir: Path
    compat_students: pd.DataFrame
    compat_attendance: pd.DataFrame
    compat_run: subprocess.CompletedProcess
    keyed_mode_refused: subprocess.CompletedProcess | None
    install: subprocess.CompletedProcess
    keyed_run: subprocess.CompletedProcess
    docs_run: subprocess.CompletedProcess
    accounts: Accounts | None = None
    query_log: list[tuple[str, str]] | None = None  # (user_host, statement) on MariaDB
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def outputs(self) -> str:
        runs = [self.compat_run, self.install, self.keyed_run, self.docs_run]
        if self.keyed_mode_refused is not None:
            runs.append(self.keyed_mode_refused)
        return "\n".join(p.stdout + p.stderr for p in runs)


def _run(cmd: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, text=True, capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


class GeneralLog:
    """Switch MariaDB's general query log on (to the mysql.general_log table) and back."""

    def __enter__(self) -> "GeneralLog":
        self.con = mysql_connect()
        with self.con.cursor() as cur:
            cur.execute("select @@global.general_log, @@global.log_output, now(6)")
            self.was_on, self.was_output, self.since = cur.fetchone()
            output = self.was_output if "TABLE" in self.was_output.upper() else (
                "TABLE" if self.was_output.upper() == "NONE" else f"{self.was_output},TABLE")
            cur.execute(f"set global log_output = '{output}'")
            cur.execute("set global general_log = 1")
        return self

    def rows(self) -> list[tuple[str, str]]:
        with self.con.cursor() as cur:
            cur.execute("select user_host, argument from mysql.general_log "
                        "where event_time >= %s", (self.since,))
            return [(str(u), a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a))
                    for u, a in cur.fetchall()]

    def __exit__(self, *exc: object) -> None:
        try:
            with self.con.cursor() as cur:
                cur.execute(f"set global general_log = {int(self.was_on)}")
                cur.execute(f"set global log_output = '{self.was_output}'")
                if "TABLE" not in self.was_output.upper():
                    cur.execute("truncate table mysql.general_log")
        finally:
            self.con.close()


def _build(engine: str, tmp_path_factory, data_dir: Path, created: list) -> Built:
    timings: dict[str, float] = {}
    wh = AccountWarehouse(engine, tmp_path_factory.mktemp(f"privacy-{engine}"))
    accounts = None
    created.append((wh, None))
    key_file = tmp_path_factory.mktemp("key") / "student_hash.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    key_env = {"AKTU_STUDENT_HASH_KEY_FILE": str(key_file), "AKTU_STUDENT_HASH_KEY": KEY}

    t = time.perf_counter()
    if engine == "mariadb":
        accounts = Accounts(prefix=wh.schema)
        created[-1] = (wh, accounts)
        env = wh.env() | {"AKTU_LOADER_PASSWORD": accounts.passwords[accounts.loader],
                          "AKTU_DBT_PASSWORD": accounts.passwords[accounts.dbt],
                          "AKTU_ANALYST_PASSWORD": accounts.passwords[accounts.analyst]}
        _run(ACCOUNTS + ["create", "--target", "mariadb", "--schema", wh.schema] + accounts.args(),
             env)
        wh.overrides = accounts.env_for(accounts.loader)
    wh.load(data_dir)
    if accounts:
        # Its audit exists now, so the loader lists prepared loads (XA RECOVER) as it starts:
        # the loader account may (no data changes: every file is unchanged).
        again = wh.load(data_dir)
        assert "cannot list prepared loads" not in again.stderr, again.stderr[-2000:]
    timings["accounts+load"] = time.perf_counter() - t

    # 1. no key: compatibility mode
    if accounts:
        wh.overrides = accounts.env_for(accounts.dbt) | {"AKTU_PRIVACY_ANALYST_ROLE": accounts.role}
    t = time.perf_counter()
    compat_run = wh.dbt("build", "-s", "staging", "--resource-type", "model")
    timings["compat build -s staging"] = time.perf_counter() - t
    students = wh.query(f"select student_hash, college_code, roll_no, dob "
                        f"from {wh.relation('staging', 'stg_aktu__students')}")
    attendance = wh.query(f"select distinct student_hash, college_code, roll_no, dob "
                          f"from {wh.relation('staging', 'stg_aktu__attendance')}")
    refused = None
    if engine == "duckdb":  # mode 'keyed' without a key fails instead of falling back
        # (in its own target folder: the --vars change would void the main one's partial parse)
        t = time.perf_counter()
        saved = wh.overrides
        wh.overrides = saved | {"DBT_TARGET_PATH": str(wh.workdir / "target-mode-keyed"),
                                "DBT_LOG_PATH": str(wh.workdir / "logs-mode-keyed")}
        refused = wh.dbt("run", "-s", "stg_aktu__students", "--vars",
                         "{aktu_privacy_student_hash_mode: keyed}", check=False)
        wh.overrides = saved
        timings["mode keyed without a key"] = time.perf_counter() - t

    # 2.-3. install a key, build everything keyed, generate the docs site
    wh.overrides = wh.overrides | key_env
    query_log = None
    t = time.perf_counter()
    if engine == "mariadb":
        with GeneralLog() as log:
            install = _run(HASH_KEY + ["install", "--target", engine], wh.env())
            keyed_run = wh.dbt("build", "--resource-type", "model", "--resource-type", "seed",
                               check=False)
            docs_run = wh.dbt("docs", "generate", "--static", check=False)
            query_log = log.rows()
    else:
        install = _run(HASH_KEY + ["install", "--target", engine], wh.env())
        keyed_run = wh.dbt("build", "--resource-type", "model", "--resource-type", "seed",
                           check=False)
        docs_run = wh.dbt("docs", "generate", "--static", check=False)
    timings["install+keyed build+docs"] = time.perf_counter() - t
    if "student_hash: keyed mode" not in keyed_run.stdout:  # dbt did not even start the run
        raise AssertionError(f"the keyed dbt build did not start:\n{keyed_run.stdout[-4000:]}\n"
                             f"{keyed_run.stderr[-2000:]}")
    if docs_run.returncode != 0:
        raise AssertionError(f"dbt docs generate failed:\n{docs_run.stdout[-4000:]}\n"
                             f"{docs_run.stderr[-2000:]}")
    return Built(wh, data_dir, students, attendance, compat_run, refused, install, keyed_run,
                 docs_run, accounts, query_log, timings)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from loader.sample import generate

    data_dir = tmp_path_factory.mktemp("privacy-sample")
    generate(data_dir, students=STUDENTS, seed=SEED)
    return data_dir


@pytest.fixture(scope="module")
def privacy(tmp_path_factory, sample):
    cache: dict[str, Built] = {}
    created: list[tuple[AccountWarehouse, Accounts | None]] = []

    def get(engine: str) -> Built:
        require_engine(engine)
        if engine not in cache:
            cache[engine] = _build(engine, tmp_path_factory, sample, created)
        return cache[engine]

    yield get
    for built in cache.values():
        for step, seconds in built.timings.items():
            print(f"privacy {built.wh.engine}: {step} {seconds:.1f}s")
    for wh, accounts in created:
        try:
            if accounts:
                _run(ACCOUNTS + ["drop", "--target", "mariadb", "--schema", wh.schema]
                     + accounts.args(), Warehouse.env(wh))
        finally:
            wh.drop()


@pytest.fixture(params=ENGINES)
def case(request, privacy) -> Built:
    """One engine's warehouse, built as the module docstring says."""
    return privacy(request.param)


def _keyed(built: Built, layer: str, name: str, columns: str) -> pd.DataFrame:
    return built.wh.query(f"select {columns} from {built.wh.relation(layer, name)}")


# --- the pseudonym ----------------------------------------------------------------------------

def test_compatibility_mode_is_the_notebooks_sha256(case):
    from reference import run_notebook

    for df in (case.compat_students, case.compat_attendance):
        expected = [hashlib.sha256(notebook_string(r)).hexdigest() for _, r in df.iterrows()]
        assert list(df["student_hash"]) == expected
    notebook = set(run_notebook(case.data_dir).students["student_hash"])
    assert set(case.compat_students["student_hash"]) == notebook


def test_dbt_warns_in_compatibility_mode_only(case):
    compat = case.compat_run.stdout
    assert "student_hash is in COMPATIBILITY MODE" in compat, compat[-3000:]
    assert "no key is installed" in compat
    assert "COMPATIBILITY MODE" not in case.keyed_run.stdout
    assert "student_hash: keyed mode (HMAC-SHA256)" in case.keyed_run.stdout


def test_mode_keyed_refuses_to_run_without_a_key(privacy):
    built = privacy("duckdb")
    assert built.keyed_mode_refused.returncode != 0
    assert "no key is installed" in built.keyed_mode_refused.stdout


def test_keyed_mode_is_hmac_sha256_of_the_notebook_string(case):
    key = KEY.encode()
    students = _keyed(case, "staging", "stg_aktu__students", "student_hash, college_code, roll_no, dob")
    assert len(students) >= STUDENTS
    for _, row in students.iterrows():
        assert row["student_hash"] == hmac.new(key, notebook_string(row), hashlib.sha256).hexdigest()
    marts = set(_keyed(case, "marts", "dim_students", "student_hash")["student_hash"])
    assert marts == set(students["student_hash"])
    assert all(len(h) == 64 and h == h.lower() for h in marts)


def test_keyed_hashes_differ_from_compatibility_hashes(case):
    keyed = set(_keyed(case, "staging", "stg_aktu__students", "student_hash")["student_hash"])
    compat = set(case.compat_students["student_hash"])
    assert keyed and compat and not keyed & compat


def test_engines_agree_on_keyed_hashes(privacy):
    duck, maria = privacy("duckdb"), privacy("mariadb")
    for layer, name in (("staging", "stg_aktu__students"), ("staging", "stg_aktu__attendance"),
                        ("marts", "dim_students"), ("marts", "fct_student_course_performance")):
        a = sorted(_keyed(duck, layer, name, "student_hash")["student_hash"])
        b = sorted(_keyed(maria, layer, name, "student_hash")["student_hash"])
        assert a == b, (layer, name)


# --- the key stays secret ---------------------------------------------------------------------

def _artifact_files(built: Built) -> list[Path]:
    """Everything dbt and the tools wrote for this warehouse, but the warehouse file itself
    (DuckDB: the key table lives in it, as raw PII does)."""
    return [p for p in built.wh.workdir.rglob("*")
            if p.is_file() and not p.name.startswith("warehouse.duckdb")]


def test_key_appears_in_no_artifact_log_or_output(case):
    needles = secret_needles(KEY)
    files = _artifact_files(case)
    names = {p.relative_to(case.wh.workdir).as_posix() for p in files}
    # the measurement is not vacuous: keyed SQL was compiled, logs and docs were written
    compiled = case.wh.workdir / "target/compiled/aktu_dw/models/staging/aktu/stg_aktu__students.sql"
    assert "student_hash_key" in compiled.read_text() and "ipad_hex" in compiled.read_text()
    for expected in ("logs/dbt.log", "target/manifest.json", "target/catalog.json",
                     "target/index.html", "target/static_index.html", "target/run_results.json",
                     "target/partial_parse.msgpack"):
        assert expected in names, expected
    assert "keyed mode" in (case.wh.workdir / "logs/dbt.log").read_text()
    leaks = {}
    for path in files:
        hits = find_secrets(path.read_bytes().decode("utf-8", "replace"), needles)
        if hits:
            leaks[path.relative_to(case.wh.workdir).as_posix()] = hits[:3]
    hits = find_secrets(case.outputs, needles)
    if hits:
        leaks["<stdout/stderr of dbt and hash_key.py>"] = hits[:3]
    assert not leaks, f"the key or a key-derived block leaked into: {leaks}"


def test_key_not_in_the_general_query_log(privacy):
    built = privacy("mariadb")
    statements = [s for _, s in built.query_log]
    # the log was on and caught the installer and dbt's keyed views
    assert any(s.lower().startswith("load data local infile") and "student_hash_key" in s
               for s in statements), "the installer's LOAD DATA is in the log"
    assert any("create" in s.lower() and "stg_aktu__students" in s and "ipad_hex" in s
               for s in statements), "dbt's keyed staging view is in the log"
    leaks = [s[:200] for s in statements if find_secrets(s, secret_needles(KEY))]
    assert not leaks, leaks


def test_dbt_never_read_the_key_variables(case):
    """dbt keeps the value of every env var it reads while parsing (target/partial_parse.msgpack,
    manifest.env_vars): the key variables must not be among them."""
    import msgpack

    state = msgpack.unpackb((case.wh.workdir / "target/partial_parse.msgpack").read_bytes(),
                            strict_map_key=False)
    assert "env_vars" in state
    assert not [name for name in state["env_vars"] or {} if "STUDENT_HASH_KEY" in name]
    manifest = json.loads((case.wh.workdir / "target/manifest.json").read_text())
    assert not find_secrets(json.dumps(manifest), secret_needles(KEY))


# --- PII stops at staging ---------------------------------------------------------------------

def _schema_suffix(built: Built, schema: str) -> str:
    return schema[len(built.wh.schema):]


def _warehouse_columns(built: Built) -> list[tuple[str, str, str]]:
    prefix = built.wh.schema
    df = built.wh.query("select table_schema, table_name, column_name from information_schema.columns "
                        f"where table_schema like '{prefix}%'")
    return [tuple(r) for r in df.itertuples(index=False)]


def pii_column_problems(built: Built) -> list[str]:
    """Columns named like personal data outside raw/staging/private: in the warehouse, in the
    project's declared columns of non-staging models and seeds, and in the docs catalog."""
    problems = []
    for schema, table, column in _warehouse_columns(built):
        if _schema_suffix(built, schema) not in PII_ALLOWED and PII_COLUMN.search(column):
            problems.append(f"warehouse {schema}.{table}.{column}")
    target = built.wh.workdir / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    staging = {uid for uid, n in manifest["nodes"].items()
               if n["resource_type"] == "model" and n["original_file_path"].startswith("models/staging/")}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] in ("model", "seed") and uid not in staging:
            for column in node.get("columns", {}):
                if PII_COLUMN.search(column):
                    problems.append(f"declared {uid}.{column}")
    catalog = json.loads((target / "catalog.json").read_text())
    for uid, node in catalog["nodes"].items():
        if uid not in staging:
            for column in node.get("columns", {}):
                if PII_COLUMN.search(column):
                    problems.append(f"docs catalog {uid}.{column}")
    return problems


def pii_value_problems(built: Built, forbidden: set[str]) -> list[str]:
    """Values outside raw/staging/private that are, or contain, a raw roll number, or equal a
    forbidden value (the reversible compatibility-mode hashes)."""
    rolls = set()
    for table in ("students", "attendance", "exam_results", "placements"):
        rolls |= set(built.wh.query(f"select distinct roll_no from {built.wh.relation('raw', table)}")
                     ["roll_no"].dropna().astype(str))
    assert rolls
    pattern = re.compile("|".join(re.escape(r) for r in sorted(rolls, key=len, reverse=True)))
    problems = []
    tables = sorted({(s, t) for s, t, _ in _warehouse_columns(built)
                     if _schema_suffix(built, s) not in PII_ALLOWED})
    q = '"' if built.wh.engine == "duckdb" else "`"
    for schema, table in tables:
        df = built.wh.query(f"select * from {q}{schema}{q}.{q}{table}{q}")
        for column in df.columns:
            values = {str(v) for v in df[column].dropna().unique()}
            if any(pattern.search(v) for v in values):
                problems.append(f"{schema}.{table}.{column} holds roll numbers")
            if values & forbidden:
                problems.append(f"{schema}.{table}.{column} holds unkeyed (reversible) hashes")
    return problems


def test_no_pii_column_outside_staging(case):
    assert pii_column_problems(case) == []


def test_no_roll_numbers_or_unkeyed_hashes_in_values_outside_staging(case):
    assert pii_value_problems(case, set(case.compat_students["student_hash"])) == []


def test_every_model_and_seed_was_built_and_so_checked(case):
    """The PII checks above cover what was case: fail, naming them, if some model did not."""
    text = case.keyed_run.stdout
    failed = re.findall(r"ERROR creating \S+ \S+ model (\S+)", text)
    failed += re.findall(r"ERROR loading seed file (\S+)", text)
    assert case.keyed_run.returncode == 0, f"not case, so not checked for PII: {failed}"


def test_pii_checks_catch_a_planted_leak(case):
    """The checks are not vacuous: a mart table with a name column and roll numbers under an
    innocent column name is caught, then dropped."""
    wh = case.wh
    roll = str(case.compat_students["roll_no"].iloc[0])
    relation = wh.relation("marts", "zz_planted_leak")
    create = (f"create table {relation} as select 'x' as student_name, "
              f"'{roll}' as ref_code, '{case.compat_students['student_hash'].iloc[0]}' as token")

    def execute(sql: str) -> None:
        if wh.engine == "duckdb":
            import duckdb

            con = duckdb.connect(str(wh.duckdb_path))
        else:
            con = mysql_connect()
        try:
            con.cursor().execute(sql)
        finally:
            con.close()

    execute(create)
    try:
        columns = pii_column_problems(case)
        values = pii_value_problems(case, set(case.compat_students["student_hash"]))
    finally:
        execute(f"drop table if exists {relation}")
    assert any("zz_planted_leak.student_name" in p for p in columns), columns
    assert any("zz_planted_leak.ref_code holds roll numbers" in p for p in values), values
    assert any("zz_planted_leak.token holds unkeyed" in p for p in values), values


# --- least privilege on MariaDB ---------------------------------------------------------------

def _refused(con, sql: str) -> int | None:
    """The error code the server refused `sql` with, or None if it ran."""
    import pymysql

    try:
        with con.cursor() as cur:
            cur.execute(sql)
            cur.fetchall()
        return None
    except (pymysql.err.OperationalError, pymysql.err.ProgrammingError,
            pymysql.err.InternalError) as exc:
        return exc.args[0]


DENIED = {1044, 1142, 1143, 1227, 1045}  # db / table / column / privilege / login refused


def test_analyst_reads_the_marts_and_nothing_else(privacy):
    built = privacy("mariadb")
    wh, acc = built.wh, built.accounts
    con = acc.connect(acc.analyst)
    try:
        with con.cursor() as cur:
            cur.execute(f"select count(*) from {wh.relation('marts', 'dim_students')}")
            assert cur.fetchone()[0] >= STUDENTS
            cur.execute(f"select count(*) from {wh.relation('marts', 'mart_attendance_marks_correlation')}")
            assert cur.fetchone()[0] > 0
            cur.execute("show databases")
            visible = {r[0] for r in cur.fetchall()} - {"information_schema"}
        assert visible == {f"{wh.schema}_marts"}, visible
        for layer, name in (("raw", "students"), ("raw", "_load_audit"),
                            ("staging", "stg_aktu__students"), ("staging", "stg_aktu__attendance"),
                            ("intermediate", "int_attendance_summed_to_student_courses"),
                            ("reference", "colleges"), ("private", "student_hash_key")):
            code = _refused(con, f"select * from {wh.relation(layer, name)} limit 1")
            assert code in DENIED, (layer, name, code)
        for sql in (f"delete from {wh.relation('marts', 'dim_students')}",
                    f"create table {wh.relation('marts', 'zz_analyst')} (a int)",
                    "select * from mysql.user limit 1"):
            assert _refused(con, sql) in DENIED, sql
    finally:
        con.close()


def test_loader_writes_only_raw_and_dbt_cannot_write_raw_or_grant_beyond_marts(privacy):
    built = privacy("mariadb")
    wh, acc = built.wh, built.accounts
    loader = acc.connect(acc.loader)
    dbt = acc.connect(acc.dbt)
    try:
        # the loader loaded (the fixture loaded as the loader), and reads nothing else
        assert _refused(loader, f"select count(*) from {wh.relation('raw', 'students')}") is None
        for layer, name in (("staging", "stg_aktu__students"), ("marts", "dim_students"),
                            ("private", "student_hash_key"), ("reference", "colleges")):
            assert _refused(loader, f"select * from {wh.relation(layer, name)} limit 1") in DENIED
        assert _refused(loader, f"create table {wh.relation('staging', 'zz_loader')} (a int)") in DENIED
        # dbt reads raw, never writes it; grants the marts to the role and nothing else
        assert _refused(dbt, f"select count(*) from {wh.relation('raw', 'students')}") is None
        assert _refused(dbt, f"delete from {wh.relation('raw', '_load_audit')}") in DENIED
        assert _refused(dbt, f"create table {wh.relation('raw', 'zz_dbt')} (a int)") in DENIED
        staging = f"{wh.schema}_staging".replace("_", "\\_")
        assert _refused(dbt, f"grant select on `{staging}`.* to `{acc.role}`") in DENIED
        assert _refused(dbt, "select * from mysql.user limit 1") in DENIED
    finally:
        loader.close()
        dbt.close()


def test_marts_grant_comes_from_dbts_on_run_end_hook(privacy):
    built = privacy("mariadb")
    assert f"privacy grants: role {built.accounts.role} may select from {built.wh.schema}_marts" \
        in built.keyed_run.stdout
    con = mysql_connect()
    try:
        with con.cursor() as cur:
            cur.execute(f"show grants for `{built.accounts.role}`")
            grants = [r[0] for r in cur.fetchall()]
    finally:
        con.close()
    marts = f"{built.wh.schema}_marts".replace("_", "\\_")
    assert grants == [f"GRANT USAGE ON *.* TO `{built.accounts.role}`",
                      f"GRANT SELECT ON `{marts}`.* TO `{built.accounts.role}`"], grants


# --- key handling and the secret scan, without a warehouse ------------------------------------

def _hash_key_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "aktu_hash_key", PROJECT_DIR / "scripts" / "privacy" / "hash_key.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_installer_derives_rfc2104_blocks_and_refuses_weak_or_in_repo_keys(tmp_path, monkeypatch):
    hk = _hash_key_module()
    for key in (b"k" * 32, b"k" * 64, b"k" * 100):  # shorter than, equal to, longer than a block
        derived = hk.derive(key)
        inner = hashlib.sha256(bytes.fromhex(derived.ipad_hex) + b"msg").digest()
        outer = hashlib.sha256(bytes.fromhex(derived.opad_hex) + inner).hexdigest()
        assert outer == hmac.new(key, b"msg", hashlib.sha256).hexdigest()
        assert derived.key_id not in (derived.ipad_hex + derived.opad_hex)
    monkeypatch.delenv("AKTU_STUDENT_HASH_KEY_FILE", raising=False)
    monkeypatch.setenv("AKTU_STUDENT_HASH_KEY", "too-short")
    with pytest.raises(hk.KeyError_, match="at least 32"):
        hk.read_key()
    monkeypatch.delenv("AKTU_STUDENT_HASH_KEY")
    with pytest.raises(hk.KeyError_, match="no key"):
        hk.read_key()
    with pytest.raises(hk.KeyError_, match="inside the project folder"):
        hk.read_key(str(PROJECT_DIR / "student_hash.key"))
    key_file = tmp_path / "k.key"
    hk.generate(key_file)
    assert key_file.stat().st_mode & 0o077 == 0
    assert re.fullmatch(r"[0-9a-f]{64}", hk.read_key(str(key_file)).decode())


def test_secret_scan_finds_planted_secrets_and_passes_on_the_repo(tmp_path):
    planted = {  # built at run time, so that this file holds no such literal itself
        "profiles.yml": "aktu_dw:\n  outputs:\n    mariadb:\n      pass" + "word: " + secrets.token_hex(8) + "\n",
        "settings.py": "DB_PASS" + "WORD = '" + secrets.token_hex(8) + "'\n",
        "deploy.sh": "export AKTU_STUDENT_HASH_" + "KEY=" + secrets.token_hex(32) + "\n",
        "notes.md": "mysql://aktu:" + secrets.token_hex(6) + "@db.example:3306/aktu\n",
        "key.pem": "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIB\n",
        "aws.txt": "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)) + "\n",
        "clean.yml": "password: \"{{ env_var('AKTU_DB_PASSWORD', '') }}\"\n",
    }
    for name, text in planted.items():
        (tmp_path / name).write_text(text)
    scan = subprocess.run(SCAN + [str(tmp_path)], capture_output=True, text=True)
    assert scan.returncode == 1, scan.stdout + scan.stderr
    for name in planted:
        if name != "clean.yml":
            assert name in scan.stdout, (name, scan.stdout)
    assert "clean.yml" not in scan.stdout
    for text in planted.values():  # findings are redacted
        secret = text.strip().split("=")[-1].split(": ")[-1].strip("'")
        if len(secret) > 12:
            assert secret not in scan.stdout

    repo = subprocess.run(SCAN + [str(PROJECT_DIR)], capture_output=True, text=True)
    assert repo.returncode == 0, repo.stdout + repo.stderr
