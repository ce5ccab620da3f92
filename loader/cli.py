"""Command line: `python -m loader load DATA_DIR --target T` and `python -m loader sample OUT_DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loader.connect import connect
from loader.load import MAX_SHRINK, load_folder
from loader.profiles import ProfileError, load_target
from loader.reader import FileRefused
from loader.sample import generate
from loader.stage import DEFAULT_CHUNK_ROWS
from loader.warehouse import WarehouseError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number (1 or more)")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not a share between 0 and 1")
    return value


def _data_dir_problem(data_dir: Path) -> str | None:
    if not data_dir.exists():
        return (f"DATA_DIR {data_dir} does not exist; give the folder that holds the colleges' "
                "CSV exports")
    if not data_dir.is_dir():
        return (f"DATA_DIR {data_dir} is a file, not a folder; give the folder that holds it "
                f"({data_dir.parent})")
    return None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m loader", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="land every recognised CSV of DATA_DIR in the raw schema")
    load.add_argument("data_dir", type=Path)
    load.add_argument("--target", help="profile target (default: the profile's own default)")
    load.add_argument("--profiles-dir", help="folder holding profiles.yml (as dbt's flag)")
    load.add_argument("--project-dir", type=Path, default=Path.cwd(),
                      help="the dbt project folder, searched for profiles.yml")
    load.add_argument("--chunk-rows", type=_positive_int, default=DEFAULT_CHUNK_ROWS,
                      help="rows per bulk-load chunk (default %(default)s)")
    load.add_argument("--max-shrink", type=_share, default=MAX_SHRINK, metavar="SHARE",
                      help="refuse a re-export that would remove more than this share of the "
                           "rows its earlier version loaded, or all of them (default "
                           "%(default)s)")
    load.add_argument("--allow-shrink", action="store_true",
                      help="let re-exports remove any number of rows, all of them included")
    load.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                      help="progress bar on stderr (default: when stderr is a terminal)")
    sample = sub.add_parser("sample", help="write realistic sample exports to OUT_DIR")
    sample.add_argument("out_dir", type=Path)
    sample.add_argument("--students", type=_positive_int, default=300)
    sample.add_argument("--seed", type=int, default=42)
    sample.add_argument("--colleges", type=_positive_int, default=5,
                        help="number of colleges (AKTU has ~750 affiliated colleges)")
    sample.add_argument("--daily", action="store_true",
                        help="one attendance file per class date, as colleges send them")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sample":
        paths = generate(args.out_dir, students=args.students, seed=args.seed,
                         college_count=args.colleges, daily=args.daily)
        for kind, path in paths.items():
            print(path if kind != "attendance" or not args.daily
                  else f"{args.out_dir}/attendance_<date>.csv (one per class date)")
        return 0
    problem = _data_dir_problem(args.data_dir)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        target = load_target(args.target, args.profiles_dir, args.project_dir)
        warehouse = connect(target)
    except (ProfileError, WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"loading {args.data_dir} into {target.name} ({target.type}), "
              f"schema {target.raw_schema}", file=sys.stderr)
        results = load_folder(warehouse, args.data_dir, chunk_rows=args.chunk_rows,
                              progress=args.progress,
                              max_shrink=None if args.allow_shrink else args.max_shrink)
    except FileRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    finally:
        warehouse.close()
    return 0 if all(r.ok for r in results) else 1
