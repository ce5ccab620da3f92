"""python -m report [--target T] [--profiles-dir DIR] [--vars YAML] [--out DIR]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loader.profiles import ProfileError, load_target
from report.build import build_report
from report.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m report",
        description="Write target/report/report.html (offline, one file) and a PNG per chart "
                    "from the marts of a dbt-built warehouse.")
    parser.add_argument("--target", help="profiles.yml target (default: the profile's)")
    parser.add_argument("--profiles-dir", help="folder of profiles.yml (found as dbt finds it)")
    parser.add_argument("--project-dir", default=".", help="the dbt project (dbt_project.yml)")
    parser.add_argument("--vars", help="the --vars YAML the marts were built with, e.g. "
                                       "'{aktu_academics_min_attendance_pct: 80}'")
    parser.add_argument("--out", default="target/report", help="output folder")
    parser.add_argument("--points-per-college", type=int, default=400,
                        help="sampled (student, course) points per college in the scatter")
    args = parser.parse_args(argv)
    project = Path(args.project_dir).resolve()
    try:
        settings = load_settings(project, args.vars)
        target = load_target(args.target, profiles_dir=args.profiles_dir, project_dir=project)
        result = build_report(target, settings, Path(args.out), Path(args.out) / ".cache",
                              points_per_college=args.points_per_college)
    except (ProfileError, SettingsError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 1
    size_kb = result.html.stat().st_size / 1024
    print(f"report: {result.html} ({size_kb:,.0f} KB, opens offline)")
    for png in result.pngs:
        print(f"        {png}")
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    print(f"        {timing}")
    return 0
