"""From the queries' aggregates to the figures each chart shows, with the small-cell rule
applied here, before anything reaches a chart: a group of fewer than
aktu_small_cell_min_students students keeps its label and a `suppressed` flag, and loses every
figure (set to None), so the page never carries it."""

from __future__ import annotations

import math

import pandas as pd

SHOWN, SUPPRESSED = "shown", "suppressed"


def _int(value: object) -> int:
    return int(value) if value is not None and not pd.isna(value) else 0


def attendance_distribution(bins: pd.DataFrame, sizes: pd.DataFrame, threshold: float,
                            width: float, min_students: int) -> pd.DataFrame:
    """One row per college and bin: share of the college's student-course pairs (%). A college
    under the rule is one suppressed row; a bin under it is suppressed, and when a college has
    exactly one such bin the next-smallest is suppressed too, so 100 % minus the others does not
    give it away."""
    rows: list[dict] = []
    for size in sizes.itertuples(index=False):
        college = str(size.college_code)
        if _int(size.students) < min_students:
            rows.append({"college_code": college, "bin_start": None, "bin_end": None,
                         "share_pct": None, "status": SUPPRESSED, "is_college_suppressed": True})
            continue
        mine = bins[bins["college_code"] == size.college_code]
        total = _int(size.pairs)
        cells = []
        for b in sorted(mine.itertuples(index=False), key=lambda b: float(b.bin_index)):
            index, pairs, students = int(float(b.bin_index)), _int(b.pairs), _int(b.students)
            start = max(0.0, threshold + width * index)
            end = min(100.0, threshold + width * (index + 1))
            cells.append({"college_code": college, "bin_start": start, "bin_end": end,
                          "share_pct": 100.0 * pairs / total if total else None,
                          "students": students, "status": SHOWN if students >= min_students
                          else SUPPRESSED, "is_college_suppressed": False})
        hidden = [c for c in cells if c["status"] == SUPPRESSED]
        if len(hidden) == 1:
            shown = [c for c in cells if c["status"] == SHOWN]
            if shown:
                min(shown, key=lambda c: c["students"])["status"] = SUPPRESSED
        for c in cells:
            if c["status"] == SUPPRESSED:
                c["share_pct"] = None
            c.pop("students")
        rows += cells
    return pd.DataFrame(rows, columns=["college_code", "bin_start", "bin_end", "share_pct",
                                       "status", "is_college_suppressed"])


def eligibility(courses: pd.DataFrame, min_students: int) -> pd.DataFrame:
    """Per course and shortfall (condonable, detained): students; plus the mean further classes
    a short student needs, shown only when at least min_students students are short."""
    rows = []
    for c in courses.itertuples(index=False):
        students = _int(c.students)
        short = _int(c.condonable) + _int(c.detained)
        suppressed = students < min_students
        mean_needed = (_int(c.classes_needed_total) / short
                       if short >= min_students and not suppressed else None)
        for status in ("condonable", "detained"):
            rows.append({
                "course_code": str(c.course_code), "status": status,
                "students": None if suppressed else _int(getattr(c, status)),
                "short_students": None if suppressed else short,
                "mean_classes_needed": None if mean_needed is None else round(mean_needed, 1),
                "is_suppressed": suppressed,
                "is_classes_needed_suppressed": not suppressed and mean_needed is None,
            })
    return pd.DataFrame(rows)


def attendance_marks(sample: pd.DataFrame, fit: pd.DataFrame, correlation: pd.DataFrame,
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(points, lines): sampled points rounded to one decimal and the fitted line's two ends per
    college, with the college's r and pairs from the correlation mart. A college the mart marks
    as a small cell gets one suppressed row in `lines` and no points."""
    corr = {str(r.college_code): r for r in correlation.itertuples(index=False)}
    lines, shown = [], set()
    for f in fit.itertuples(index=False):
        college = str(f.college_code)
        c = corr.get(college)
        if c is None or bool(c.is_small_cell) or c.pearson_r is None or pd.isna(c.pearson_r):
            lines.append({"college_code": college, "label": f"{college}: suppressed",
                          "attendance_pct": None, "total_marks": None, "status": SUPPRESSED})
            continue
        variance = float(f.mean_xx) - float(f.mean_x) ** 2
        slope = (float(f.mean_xy) - float(f.mean_x) * float(f.mean_y)) / variance \
            if variance > 0 else 0.0
        label = f"{college}: r = {float(c.pearson_r):.2f} over {_int(c.n_pairs):,} pairs"
        mine = sample[sample["college_code"] == f.college_code]["attendance_pct"].astype(float)
        lo, hi = (float(mine.min()), float(mine.max())) if len(mine) else (0.0, 100.0)
        for x in (lo, hi):
            y = float(f.mean_y) + slope * (x - float(f.mean_x))
            lines.append({"college_code": college, "label": label, "attendance_pct": round(x, 1),
                          "total_marks": round(y, 1), "status": SHOWN})
        shown.add(college)
    labels = {row["college_code"]: row["label"] for row in lines}
    points = sample[sample["college_code"].astype(str).isin(shown)].copy()
    points["college_code"] = points["college_code"].astype(str)
    points["label"] = points["college_code"].map(labels)
    points["attendance_pct"] = points["attendance_pct"].astype(float).round(1)
    points["total_marks"] = points["total_marks"].astype(float).round(1)
    return points[["label", "attendance_pct", "total_marks"]], pd.DataFrame(lines)


def sgpa(bands: pd.DataFrame, min_students: int) -> pd.DataFrame:
    rows = []
    for b in bands.itertuples(index=False):
        band = min(int(float(b.sgpa_band)), 9)  # SGPA 10 joins the 9-10 band
        rows.append({"band": band, "result_status": str(b.result_status),
                     "students": _int(b.students)})
    frame = pd.DataFrame(rows, columns=["band", "result_status", "students"])
    frame = frame.groupby(["band", "result_status"], as_index=False)["students"].sum()
    frame["band_label"] = frame["band"].map(lambda v: f"{v}–{v + 1}")
    frame["status"] = frame["students"].map(lambda n: SHOWN if n >= min_students else SUPPRESSED)
    frame["students"] = frame["students"].where(frame["status"] == SHOWN, None)
    return frame


def placements(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The mart suppresses its small cells; a row whose figures it left null is shown as such."""
    frame = outcomes.copy()
    frame["group"] = frame["college_code"].astype(str) + " · " + frame["program_code"].astype(str)
    frame["passing_year"] = frame["passing_year"].map(lambda v: str(_int(v)))
    frame["is_small_cell"] = frame["is_small_cell"].map(bool)
    frame["status"] = frame["is_small_cell"].map(lambda s: SUPPRESSED if s else SHOWN)

    def label(row: pd.Series, figure: str) -> str:
        if row["is_small_cell"]:
            return "suppressed"
        value = row[figure]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "none placed" if figure == "median_package_lpa" else "–"
        return f"{float(value):.0f} %" if figure == "placement_rate_pct" else f"{float(value):.1f}"

    frame["rate_label"] = frame.apply(label, axis=1, figure="placement_rate_pct")
    frame["median_label"] = frame.apply(label, axis=1, figure="median_package_lpa")
    for column in ("placement_rate_pct", "median_package_lpa"):
        frame[column] = frame[column].map(lambda v: None if v is None or pd.isna(v) else
                                          round(float(v), 2))
        frame.loc[frame["is_small_cell"], column] = None
    return frame[["group", "passing_year", "status", "placement_rate_pct", "median_package_lpa",
                  "rate_label", "median_label"]]


def quality(loads: pd.DataFrame, orphans: pd.DataFrame) -> pd.DataFrame:
    """Rows per problem and file (rejected, exact duplicates) and per file kind (orphans)."""
    rows = []
    for f in loads.itertuples(index=False):
        for problem, column in (("rejected", "rows_rejected"), ("exact duplicates",
                                                                "rows_duplicate")):
            rows.append({"item": str(f.file_name), "problem": problem, "rows": _int(getattr(f, column)),
                         "of_rows": _int(f.rows_read)})
    for o in orphans.itertuples(index=False):
        rows.append({"item": f"{o.file_kind} (all files)", "problem": "orphans",
                     "rows": _int(o.orphan_rows), "of_rows": _int(o.total_rows)})
    frame = pd.DataFrame(rows, columns=["item", "problem", "rows", "of_rows"])
    frame["label"] = [f"{r:,} of {n:,}" for r, n in zip(frame["rows"], frame["of_rows"])]
    frame["row_label"] = frame["item"] + " · " + frame["problem"]
    return frame.sort_values(["item", "problem"], kind="stable")
