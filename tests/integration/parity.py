"""Comparing two warehouses' marts row for row (shared by the engine-agreement tests).

The same rules as test_notebook_parity.test_engines_agree_row_for_row (written for DuckDB against
MariaDB), made generic so that any pair of engines and any mart can be compared: same columns in
the same order, same number of rows, numbers (and booleans) within TOL with nulls in the same
places, everything else equal as text (dates as YYYY-MM-DD whatever type the driver returns).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

TOL = 1e-9


def text(value: object) -> str | None:
    """A cell as comparable text: DuckDB hands dates back as timestamps, pymysql and pyspark as
    dates; booleans as true/false whatever their type (MySQL's are 0/1)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _sort_key(frame: pd.DataFrame, numeric: set[str]) -> pd.DataFrame:
    """Text columns first, then numbers rounded well above TOL: an order both engines share."""
    keys = pd.DataFrame(index=frame.index)
    for column in [c for c in frame.columns if c not in numeric] + sorted(numeric):
        values = frame[column]
        if column in numeric:
            values = pd.to_numeric(values.astype("object"), errors="coerce").astype(float).round(6)
        keys[column] = [("" if v is None else "\x01" + v) for v in map(text, values)]
    return keys


def _sorted(frame: pd.DataFrame, numeric: set[str]) -> pd.DataFrame:
    keys = list(_sort_key(frame, numeric).itertuples(index=False, name=None))
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


def _is_numeric(column: str, a: pd.Series, b: pd.Series) -> bool:
    if column.startswith(("is_", "has_")):
        return True
    for series in (a, b):
        values = [v for v in series if v is not None and not (not isinstance(v, str) and pd.isna(v))]
        if values and all(isinstance(v, (int, float, np.integer, np.floating, bool, np.bool_))
                          for v in values):
            return True
    return False


def assert_frames_agree(name: str, a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Two engines' copies of one mart hold the same rows (in any order)."""
    assert list(a.columns) == list(b.columns), name
    assert len(a) == len(b), (name, len(a), len(b))
    numeric = {c for c in a.columns if _is_numeric(c, a[c], b[c])}
    a, b = _sorted(a, numeric), _sorted(b, numeric)
    for column in a.columns:
        x, y = a[column], b[column]
        if column in numeric:
            if column.startswith(("is_", "has_")):
                x, y = x.astype("object").astype("boolean"), y.astype("object").astype("boolean")
            xs = pd.to_numeric(x.astype("object"), errors="coerce").astype(float)
            ys = pd.to_numeric(y.astype("object"), errors="coerce").astype(float)
            assert (xs.isna() == ys.isna()).all(), (name, column)
            diff = np.abs(xs - ys)[~xs.isna()]
            assert diff.empty or diff.max() <= TOL, (name, column, diff.max())
        else:
            assert [text(v) for v in x] == [text(v) for v in y], (name, column)
