"""A load killed with SIGKILL at any moment leaves nothing partial; the next run finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engines import own_prepared_xids
from loader.sample import generate

ENGINES = ("duckdb", "mariadb")
# Seconds after the loader reports its first progress (its transaction is open by then) at which
# each attempt kills it; an attempt whose load has already finished kills nothing.
KILL_AFTER_PROGRESS = (0.0, 0.15, 0.4, 0.8)


def _attendance_file(folder: Path) -> tuple[Path, int]:
    """~120k attendance rows: long enough to be killed in the middle of its transaction."""
    paths = generate(folder / "gen", students=500, seed=11)
    data = folder / "data"
    data.mkdir()
    target = data / "attendance_2024_sem.csv"
    paths["attendance"].rename(target)
    rows = sum(1 for _ in target.open()) - 1
    return target, rows


def _create_raw_tables(wh, folder: Path) -> None:
    """Land a one-student master first, so the raw schema exists whenever the kill lands."""
    master = folder / "master"
    master.mkdir()
    (master / "students_master.csv").write_text(
        "roll_no,dob,gender,category,college_code,program_code,admission_year,domicile_state,"
        "quota,disability_flag\nR1,2003-01-01,F,GEN,AKTU001,BTECH_CSE,2022,UP,GEN,False\n")
    wh.load(master)


def _start_and_kill(wh, engine: str, folder: Path, delay: float) -> int | None:
    """Start a load, wait for its first progress report, wait `delay`, SIGKILL it; the exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "loader", "load", str(folder), "--target", engine,
         "--chunk-rows", "20000", "--progress"],
        cwd=Path(__file__).resolve().parents[2], env=wh.env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    while (char := proc.stderr.read(1)) and char != b"\r":
        pass  # the progress bar's first carriage return: parsing has begun, inside the load
    time.sleep(delay)
    helpers = _descendants(proc.pid)  # the fork server and the child parsing the file
    if proc.poll() is None:
        assert helpers, "the loader runs no helper process mid-load"
        os.kill(proc.pid, signal.SIGKILL)
    proc.stderr.close()
    code = proc.wait()
    _assert_gone(helpers)
    return code


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit():
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _assert_gone(pids: set[int], timeout: float = 10.0) -> None:
    """A killed loader's helper processes stop too, instead of parsing on for nobody."""
    deadline = time.monotonic() + timeout
    while (alive := {p for p in pids if Path(f"/proc/{p}").exists()
                     and "Z" not in (Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1][:3])}):
        assert time.monotonic() < deadline, f"the killed loader's processes {alive} still run"
        time.sleep(0.1)


def _count(wh, file_name: str) -> int:
    return int(wh.query(f"select count(*) as n from {wh.relation('raw', 'attendance')} "
                        f"where _source_file = '{file_name}'")["n"][0])


def _own_prepared_lanes(wh) -> list[str]:
    return own_prepared_xids(f"{wh.schema}_raw")


@pytest.fixture
def crash_warehouse(make_warehouse):
    """make_warehouse, and in teardown (before the schemas are dropped, pass or fail) a rollback
    of whatever this test's loads left prepared: a prepared branch holds its tables' metadata
    locks, and `drop database` would wait on them."""
    created = []

    def make(engine: str):
        created.append(make_warehouse(engine))
        return created[-1]

    yield make
    from tests.integration.engines import mysql_connect

    for wh in created:
        if wh.engine != "mariadb":
            continue
        con = mysql_connect()
        try:
            with con.cursor() as cur:
                for xid in _own_prepared_lanes(wh):
                    cur.execute("xa rollback %s", (xid,))
        finally:
            con.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_kill_9_leaves_all_or_nothing_and_the_next_run_finishes(engine, crash_warehouse, tmp_path):
    wh = crash_warehouse(engine)
    path, rows = _attendance_file(tmp_path)
    _create_raw_tables(wh, tmp_path)
    outcomes = []
    for delay in KILL_AFTER_PROGRESS:
        code = _start_and_kill(wh, engine, path.parent, delay)
        landed = _count(wh, path.name)
        assert landed in (0, rows), f"killed after {delay}s: {landed} of {rows} rows partially landed"
        outcomes.append((delay, code, landed))
        if landed == rows:
            break
    assert any(code == -signal.SIGKILL for _, code, _ in outcomes), \
        f"no run was killed mid-load; outcomes {outcomes}"
    wh.load(path.parent)
    assert _count(wh, path.name) == rows
    audit = wh.query(f"select status, rows_read, rows_loaded from {wh.relation('raw', '_load_audit')} "
                     f"where file_name = '{path.name}'")
    assert set(audit["status"]) <= {"interrupted", "loaded", "unchanged"}
    assert "interrupted" in set(audit["status"])
    loaded = audit[audit["status"] == "loaded"]
    assert len(loaded) == 1 and int(loaded["rows_loaded"].iloc[0]) == rows


@pytest.mark.parametrize("engine", ENGINES)
def test_killed_re_export_keeps_the_previous_version(engine, crash_warehouse, tmp_path):
    wh = crash_warehouse(engine)
    path, rows = _attendance_file(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1001]))  # version 1: 1000 rows
    wh.load(path.parent)
    path.write_text("".join(lines))  # the corrected, complete re-export
    killed = _start_and_kill(wh, engine, path.parent, 0.0) == -signal.SIGKILL
    assert killed, "the re-export finished before it could be killed"
    assert _count(wh, path.name) == 1000
    wh.load(path.parent)
    assert _count(wh, path.name) == rows


# A loader that dies at an exact point of MySQLFileLoad.commit: after every lane is prepared
# (before the decision), or right after the decision (before the lanes commit). os._exit is as
# abrupt as SIGKILL for the server: the connections drop, the prepared lanes stay.
_DIE_IN_COMMIT = """
import os, sys
from loader import warehouse
from loader.cli import main

def commit(self, audit):
    self._finish_lanes()
    for lane in self.lanes:
        lane.con.query(f"xa end '{lane.xid}'")
        lane.con.query(f"xa prepare '{lane.xid}'")
    if sys.argv[1] == "after-decision":
        self.wh._execute(self.wh.dialect.audit_update(self.wh.schema), warehouse._audit_args(audit))
        self.wh._execute("commit")
    os._exit(9)

warehouse.MySQLFileLoad.commit = commit
if __name__ == "__main__":
    main(["load", sys.argv[2], "--target", "mariadb", "--no-progress"])
"""


def _run_dying_loader(wh, source: str, moment: str, folder: Path,
                      tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `source` (a loader patched to die at `moment`) on `folder`; it must exit 9."""
    script = tmp_path / "dying_loader.py"
    script.write_text(source)
    project = Path(__file__).resolve().parents[2]
    # The script runs from tmp_path: the project's own loader goes first on its path.
    env = {**wh.env(), "PYTHONPATH": os.pathsep.join(
        [str(project), *filter(None, [os.environ.get("PYTHONPATH")])])}
    died = subprocess.run([sys.executable, str(script), moment, str(folder)],
                          cwd=project, env=env, capture_output=True, text=True)
    assert died.returncode == 9, died.stderr[-2000:]
    return died


def _die_in_commit(wh, moment: str, folder: Path, tmp_path: Path) -> list[str]:
    """Run a loader that dies inside its commit; its prepared lanes."""
    _run_dying_loader(wh, _DIE_IN_COMMIT, moment, folder, tmp_path)
    return _own_prepared_lanes(wh)


@pytest.mark.parametrize("moment", ["before-decision", "after-decision"])
def test_load_stopped_inside_its_two_phase_commit_is_finished_by_the_next_run(
        moment, crash_warehouse, tmp_path):
    wh = crash_warehouse("mariadb")
    path, rows = _attendance_file(tmp_path)
    _create_raw_tables(wh, tmp_path)
    lanes = _die_in_commit(wh, moment, path.parent, tmp_path)
    assert len(lanes) == 2, lanes  # both lanes prepared: durable, and nothing of them visible
    assert _count(wh, path.name) == 0
    status = wh.query(f"select status from {wh.relation('raw', '_load_audit')} "
                      f"where file_name = '{path.name}'")["status"].tolist()
    assert status == (["loaded"] if moment == "after-decision" else ["started"])

    done = wh.load(path.parent)  # the next run ends both lanes first
    assert _own_prepared_lanes(wh) == []
    verb = "commit" if moment == "after-decision" else "rollback"
    assert done.stderr.count(f"{verb} of a lane that a stopped loader left prepared") == 2
    assert _count(wh, path.name) == rows
    audit = wh.query(f"select status, rows_loaded from {wh.relation('raw', '_load_audit')} "
                     f"where file_name = '{path.name}' order by started_at")
    if moment == "after-decision":  # committed by recovery: the same file is then unchanged
        assert audit["status"].tolist() == ["loaded", "unchanged"]
    else:  # rolled back by recovery, then loaded again in full
        assert audit["status"].tolist() == ["interrupted", "loaded"]
    assert int(audit[audit["status"] == "loaded"]["rows_loaded"].iloc[0]) == rows


def test_lanes_left_prepared_without_an_audit_table_are_rolled_back(crash_warehouse, tmp_path):
    """Recovery needs no audit row to end this schema's own lanes: with none to say `loaded`,
    nothing of them is kept (a half-dropped schema, an audit table dropped by hand)."""
    wh = crash_warehouse("mariadb")
    path, rows = _attendance_file(tmp_path)
    _create_raw_tables(wh, tmp_path)
    assert len(_die_in_commit(wh, "before-decision", path.parent, tmp_path)) == 2
    from tests.integration.engines import mysql_connect

    con = mysql_connect()
    try:
        with con.cursor() as cur:
            cur.execute(f"drop table {wh.relation('raw', '_load_audit')}")
    finally:
        con.close()

    done = wh.load(path.parent)
    assert done.stderr.count("rollback of a lane that a stopped loader left prepared") == 2
    assert _own_prepared_lanes(wh) == []
    assert _count(wh, path.name) == rows


# A DuckDB load on the native path (loader/native.py) that dies at an exact moment: with the
# file read into DuckDB's temporary table (before the file's transaction), with its rows inserted
# into the raw table, or in commit with everything but the COMMIT itself done (the earlier
# version's rows deleted, the audit updated). os._exit leaves DuckDB no chance to clean up, as
# SIGKILL; a timed kill lands in the native path's short phases too rarely to test them.
_DIE_IN_NATIVE_LOAD = """
import os, sys
from loader import native, warehouse
from loader.cli import main

moment = sys.argv[1]
landed = []
stage, land, commit = native.NativeFile.stage.__func__, native.NativeFile.land, warehouse.DuckDBFileLoad.commit

def die(where):
    print(f"dying {where}", file=sys.stderr, flush=True)
    os._exit(9)

def staged(cls, *args):
    found = stage(cls, *args)
    if moment == "after-stage" and found is not None:
        die(moment)
    return found

def landed_then(self, *args):
    result = land(self, *args)
    landed.append(result)
    if moment == "after-insert":
        die(moment)
    return result

class DiesAtCommit:  # the connection, but its COMMIT kills the process instead
    def __init__(self, con):
        self.con = con
    def execute(self, sql, *args):
        if sql.strip().lower() == "commit":
            die(moment)
        return self.con.execute(sql, *args)
    def __getattr__(self, name):
        return getattr(self.con, name)

def committed(self, audit):
    if moment == "in-commit" and landed:
        self.wh.con = DiesAtCommit(self.wh.con)
    commit(self, audit)

native.NativeFile.stage = classmethod(staged)
native.NativeFile.land = landed_then
warehouse.DuckDBFileLoad.commit = committed
if __name__ == "__main__":
    main(["load", sys.argv[2], "--target", "duckdb", "--no-progress"])
"""


@pytest.mark.parametrize("moment", ["after-stage", "after-insert", "in-commit"])
def test_native_load_dying_anywhere_keeps_the_previous_version(moment, crash_warehouse, tmp_path):
    """A corrected re-export whose native load dies leaves the loaded version as it was, and the
    next run lands the re-export whole."""
    wh = crash_warehouse("duckdb")
    path, rows = _attendance_file(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1001]))  # version 1: 1000 rows
    wh.load(path.parent)
    path.write_text("".join(lines))  # the corrected, complete re-export
    died = _run_dying_loader(wh, _DIE_IN_NATIVE_LOAD, moment, path.parent, tmp_path)
    assert f"dying {moment}" in died.stderr, died.stderr[-2000:]
    assert _count(wh, path.name) == 1000
    wh.load(path.parent)
    assert _count(wh, path.name) == rows
    audit = wh.query(f"select status, rows_loaded from {wh.relation('raw', '_load_audit')} "
                     f"where file_name = '{path.name}' order by started_at")
    assert list(audit["status"]) == ["loaded", "interrupted", "loaded"]
    assert int(audit["rows_loaded"].iloc[-1]) == rows
