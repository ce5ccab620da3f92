"""The mart guard's datasets, row canonicalisation and stored expected rows.

Every model under models/marts/ and models/quality/ is compared row for row with the rows stored
in tests/integration/guard/<dataset>/<model>.csv.gz, so a refactor of models/ or macros/ proves
it leaves every output unchanged (test_mart_guard.py, on DuckDB and MariaDB).

When a change of output is intended, regenerate the stored rows (builds on DuckDB):

    make guard-regenerate
    # or: python tests/integration/mart_guard.py regenerate
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import gzip
import io
import json
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[2]
GUARD_DIR = Path(__file__).resolve().parent / "guard"
MODEL_DIRS = ("models/marts", "models/quality")
NULL = r"\N"
REL_TOL = 1e-9


@dataclass(frozen=True)
class Dataset:
    """A generated set of exports (loader.sample.generate) the marts are built on."""

    name: str
    students: int
    seed: int
    colleges: int


# "sample": the `built` fixture's sample (shared with the parity tests); "large": enough
# students per college, program and semester that no group is a small cell everywhere.
SAMPLE = Dataset("sample", students=200, seed=42, colleges=5)
LARGE = Dataset("large", students=3000, seed=7, colleges=8)
DATASETS = (SAMPLE, LARGE)


def guarded_models(manifest: Path | None = None) -> list[str]:
    """Every model the guard covers: the models under models/marts and models/quality that are
    built as relations (ephemeral steps are compiled into their mart). Read from a build's
    manifest.json when given, else every .sql file there."""
    if manifest is None:
        names = {p.stem for d in MODEL_DIRS for p in (PROJECT_DIR / d).rglob("*.sql")}
        return sorted(names)
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    return sorted(n["name"] for n in nodes
                  if n["resource_type"] == "model"
                  and n["original_file_path"].startswith(tuple(d + "/" for d in MODEL_DIRS))
                  and n["config"]["materialized"] != "ephemeral")


def canonical(value: object) -> str:
    """One text per value whatever the engine's driver returns (bool vs tinyint, Decimal vs
    float, Timestamp vs date)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return NULL
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "1" if value else "0"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    try:
        number = float(value)  # int, numpy numbers, Decimal
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return NULL
    if isinstance(value, (int, decimal.Decimal)) or hasattr(value, "is_integer"):
        if number.is_integer() and abs(number) < 2 ** 53:
            return str(int(number))
    return repr(number)


def _sort_key(row: list[str]) -> tuple[str, ...]:
    # Floats enter the order at 6 significant digits, so engines' last-bit differences don't
    # reorder rows; key columns (text, integers, dates) decide the order anyway.
    key = []
    for cell in row:
        try:
            number = float(cell)
        except ValueError:
            key.append(cell)
            continue
        key.append(cell if number.is_integer() else f"{number:.6g}")
    return tuple(key)


def canonical_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """(columns, rows as canonical text, sorted)."""
    columns = [str(c).lower() for c in frame.columns]
    rows = [[canonical(v) for v in record] for record in frame.itertuples(index=False, name=None)]
    rows.sort(key=_sort_key)
    return columns, rows


def expected_path(dataset: str, model: str) -> Path:
    return GUARD_DIR / dataset / f"{model}.csv.gz"


def write_expected(dataset: str, model: str, frame: pd.DataFrame) -> Path:
    columns, rows = canonical_rows(frame)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path = expected_path(dataset, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime 0: the same rows give the same bytes, so an unchanged mart leaves no diff.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return path


def read_expected(dataset: str, model: str) -> tuple[list[str], list[list[str]]]:
    with gzip.open(expected_path(dataset, model), "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        columns = next(reader)
        return columns, list(reader)


def _cells_agree(ours: str, stored: str) -> bool:
    if ours == stored:
        return True
    try:
        a, b = float(ours), float(stored)
    except ValueError:
        return False
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def _excerpt(cell: str) -> str:
    return cell if len(cell) <= 12 else cell[:10] + "…"


def differences(dataset: str, model: str, frame: pd.DataFrame, limit: int = 5) -> list[str]:
    """What differs between a built mart and its stored rows (empty: identical). Names columns
    and row positions with short excerpts only, never whole rows."""
    path = expected_path(dataset, model)
    if not path.exists():
        return [f"{model}: no stored rows at {path.relative_to(PROJECT_DIR)} "
                "(new model? run `make guard-regenerate`)"]
    columns, rows = canonical_rows(frame)
    want_columns, want_rows = read_expected(dataset, model)
    if columns != want_columns:
        return [f"{model}: columns {columns} but stored {want_columns}"]
    if len(rows) != len(want_rows):
        return [f"{model}: {len(rows)} rows but {len(want_rows)} stored"]
    found: list[str] = []
    for i, (row, want) in enumerate(zip(rows, want_rows)):
        for column, ours, stored in zip(columns, row, want):
            if not _cells_agree(ours, stored):
                found.append(f"{model}: row {i} (sorted) column {column}: "
                             f"{_excerpt(ours)!r} but stored {_excerpt(stored)!r}")
                break
        if len(found) >= limit:
            found.append(f"{model}: ... (first {limit} differing rows shown)")
            break
    return found


def stale_expected(dataset: str, models: list[str]) -> list[str]:
    """Stored rows of models no longer guarded (a rename or removal left them behind)."""
    return sorted(p.name[: -len(".csv.gz")] for p in (GUARD_DIR / dataset).glob("*.csv.gz")
                  if p.name[: -len(".csv.gz")] not in set(models))


def regenerate() -> None:
    """Build each dataset on DuckDB and store every guarded model's rows."""
    sys.path[:0] = [str(PROJECT_DIR), str(Path(__file__).resolve().parent)]
    from engines import Warehouse
    from loader.sample import generate

    with tempfile.TemporaryDirectory(prefix="aktu-guard-") as tmp:
        for ds in DATASETS:
            data_dir = Path(tmp, ds.name, "data")
            generate(data_dir, students=ds.students, seed=ds.seed, college_count=ds.colleges)
            wh = Warehouse("duckdb", Path(tmp, ds.name, "wh"))
            wh.load(data_dir)
            wh.dbt("build")
            for old in (GUARD_DIR / ds.name).glob("*.csv.gz"):
                old.unlink()
            for model in guarded_models(wh.workdir / "target" / "manifest.json"):
                path = write_expected(ds.name, model, wh.table("marts", model))
                print(f"wrote {path.relative_to(PROJECT_DIR)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["regenerate"]:
        sys.exit("usage: python tests/integration/mart_guard.py regenerate")
    regenerate()
