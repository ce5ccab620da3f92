"""`make bench-e2e` (bench/bench_e2e.py) at a tiny size, so it cannot rot: it runs the notebook
and the warehouse end to end, prints the issue's table, and fails when the warehouse's overall
correlation is not the notebook's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from engines import PROJECT_DIR
from reference import run_notebook

sys.path.insert(0, str(PROJECT_DIR / "bench"))
import bench_e2e  # noqa: E402

HEADER = ("| attendance rows | notebook | loader | dbt build | warehouse / notebook "
          "| peak memory notebook / warehouse |")


def test_bench_e2e_runs_end_to_end_at_a_tiny_size(tmp_path):
    proc = subprocess.run([sys.executable, "bench/bench_e2e.py", "--students", "60", "--repeat",
                           "1", "--cache", str(tmp_path)], cwd=PROJECT_DIR, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = tmp_path / "students-60-seed-5"
    rows = sum(1 for _ in (data / "attendance_2024_sem.csv").open()) - 1
    lines = proc.stdout.splitlines()
    row = lines[lines.index(HEADER) + 2]
    assert row.startswith(f"| {rows:,} | "), row
    assert re.fullmatch(r"(\| [^|]+ ){6}\|", row), row  # every column filled
    # Both correlations printed in full, equal to the notebook's own computation here.
    expected = repr(run_notebook(data).corr)
    assert f"overall Pearson r: notebook {expected}; warehouse " in proc.stdout
    warehouse_r = float(re.search(r"; warehouse (\S+)", proc.stdout).group(1))
    assert abs(warehouse_r - float(expected)) <= 1e-9
    assert "correlation: warehouse equals notebook within 1e-09: yes" in proc.stdout
    assert "no speed target below 2,000,000 rows" in proc.stdout
    assert re.search(r"target warehouse peak memory < 500 MB: \d+ MB (met|NOT met)", proc.stdout)
    assert "dbt build" in proc.stdout and "`dbt ls --select" in proc.stdout
    # The exports stay for the next run; the run's scratch folder (DuckDB file, dbt's target
    # and logs) does not.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["students-60-seed-5"]


def _size(notebook_r: float, warehouse_r: float, rows: int = 12_000_000,
          notebook_s: float = 10.0, warehouse_s: float = 6.0, peak_mb: float = 300.0) -> bench_e2e.Size:
    run = bench_e2e.Run(notebook_s=notebook_s, notebook_mb=900.0, notebook_r=notebook_r,
                        loader_s=warehouse_s / 2, loader_mb=peak_mb, build_s=warehouse_s / 2,
                        build_mb=100.0, build_elapsed_s=1.0, ls_s=1.0, warehouse_r=warehouse_r)
    return bench_e2e.Size(students=50_000, seed=5, rows=rows, runs=[run])


def test_a_correlation_off_by_more_than_1e_9_fails_the_run():
    r = 0.3515601187563688
    assert bench_e2e.correlations_agree(r, r + 0.9e-9)
    for other in (r + 2e-9, r - 2e-9, float("nan")):
        lines, agree = bench_e2e.verdicts(_size(r, other))
        assert not agree
        assert lines[-1].endswith("NO (MISMATCH)")
    assert not bench_e2e.correlations_agree(float("nan"), float("nan"))


def test_targets_are_judged_at_the_issues_sizes():
    r = 0.35
    lines, agree = bench_e2e.verdicts(_size(r, r, rows=11_950_000, warehouse_s=6.0))
    assert agree
    assert lines[0] == "  target warehouse / notebook <= 1.0x, aim 0.5x: 0.60x met"
    assert lines[1] == "  target warehouse peak memory < 500 MB: 300 MB met"
    lines, _ = bench_e2e.verdicts(_size(r, r, rows=2_390_000, warehouse_s=16.0, peak_mb=600.0))
    assert lines[0] == "  target warehouse / notebook <= 1.5x: 1.60x NOT met"
    assert lines[1] == "  target warehouse peak memory < 500 MB: 600 MB NOT met"


def test_the_exports_are_generated_once_and_reused(tmp_path):
    folder = tmp_path / "students-7-seed-3"
    folder.mkdir()
    (folder / "attendance_2024_sem.csv").write_text("kept\n")
    assert bench_e2e.dataset(tmp_path, 7, 3) == folder  # no generation: the file is untouched
    assert (folder / "attendance_2024_sem.csv").read_text() == "kept\n"
    # A generation cut short leaves only a .partial folder, which the next run replaces.
    (tmp_path / ".partial-students-2-seed-3").mkdir()
    (tmp_path / ".partial-students-2-seed-3" / "junk.csv").write_text("x\n")
    fresh = bench_e2e.dataset(tmp_path, 2, 3)
    assert sorted(p.name for p in fresh.iterdir()) == sorted(
        ["students_master.csv", "attendance_2024_sem.csv", "exam_results_2024_sem.csv",
         "placements_2024.csv"])
    assert not (tmp_path / ".partial-students-2-seed-3").exists()


def test_the_command_exits_1_on_a_correlation_mismatch(monkeypatch, tmp_path, capsys):
    r = 0.35
    sizes = iter([_size(r, r, rows=2_390_000), _size(r, r + 1e-6)])
    monkeypatch.setattr(bench_e2e, "warm_partial_parse", lambda env: None)
    monkeypatch.setattr(bench_e2e, "bench_size", lambda *args: next(sizes))
    assert bench_e2e.main(["--students", "10000", "50000", "--cache", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "FAILED: the warehouse's overall correlation differs from the notebook's" in err
    assert out.count("| 2,390,000 | ") == 1 and out.count("| 12,000,000 | ") == 1
    assert list(tmp_path.iterdir()) == []  # the scratch folder is gone
