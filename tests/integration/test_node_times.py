"""bench/node_times.py: per-node times from dbt's run_results.json, one run or two side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "node_times.py"


def _results(path: Path, elapsed: float, nodes: dict[str, tuple[float, str, str]]) -> Path:
    """A run_results.json: unique_id -> (execution_time, execute start, execute end)."""
    path.write_text(json.dumps({"elapsed_time": elapsed, "results": [
        {"unique_id": uid, "status": "success", "execution_time": seconds,
         "timing": [{"name": "execute", "started_at": f"2026-12-03T10:00:{start}Z",
                     "completed_at": f"2026-12-03T10:00:{end}Z"}]}
        for uid, (seconds, start, end) in nodes.items()]}))
    return path


def _run(*args: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], text=True,
                          capture_output=True)


def test_one_run_slowest_first_with_totals(tmp_path):
    run = _results(tmp_path / "a.json", 4.0, {
        "model.aktu_dw.fast": (0.5, "00.000", "00.400"),
        "test.aktu_dw.slow.abc": (2.5, "00.500", "03.000")})
    out = _run(run).stdout.splitlines()
    rows = [line.split() for line in out if line.startswith(("fast", "slow"))]
    assert rows == [["slow.abc", "test", "2.50", "2.50"], ["fast", "model", "0.50", "0.40"]]
    totals = {line.rsplit(None, 1)[0].strip(): float(line.split()[-1]) for line in out[-3:]}
    assert totals == {"dbt elapsed (hooks + nodes)": 4.0, "nodes' wall span": 3.0,
                      "sum of 2 node times": 3.0}


def test_two_runs_side_by_side_with_the_change(tmp_path):
    before = _results(tmp_path / "before.json", 5.0, {
        "model.aktu_dw.m": (3.0, "00.000", "03.000"), "test.aktu_dw.gone.x": (1.0, "03.000", "04.000")})
    after = _results(tmp_path / "after.json", 2.5, {
        "model.aktu_dw.m": (2.0, "00.000", "02.000"), "test.aktu_dw.new.y": (0.25, "02.000", "02.250")})
    out = _run(before, after).stdout
    assert "m  " in out and "model        3.00    2.00   -1.00" in out
    assert "gone.x" in out and "new.y" in out
    assert "dbt elapsed (hooks + nodes)" in out and "5.00    2.50   -2.50" in out
    assert out.splitlines()[-1].split()[-2:] == ["2", "2"]


def test_not_a_run_results_file_says_what_it_expected(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text(json.dumps({"nodes": {}}))
    proc = _run(bad)
    assert proc.returncode != 0
    assert f"{bad}: expected dbt's run_results.json" in proc.stderr
