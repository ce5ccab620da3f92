"""Query the marts, draw the charts, write report.html and one PNG per chart."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert

from loader.profiles import Target
from report import charts, figures, queries
from report.page import Section, render, vega_bundle
from report.settings import Settings
from report.source import Marts

BIN_WIDTH = 5.0  # attendance bands (percentage points); their edges fall on the threshold
PNG_SCALE = 1.5
# The Vega-Lite version Altair writes its specs for (major.minor, as vl-convert names them).
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


@dataclass
class Result:
    html: Path
    pngs: list[Path]
    seconds: dict[str, float] = field(default_factory=dict)


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return "unknown" if value is None or pd.isna(value) else str(value)


def data_line(period: pd.DataFrame, loads: pd.DataFrame) -> str:
    first, last = (period.iloc[0]["first_class_date"], period.iloc[0]["last_class_date"]) \
        if len(period) else (None, None)
    latest = max(loads["load_started_at"]) if len(loads) else None
    return (f"Data: attendance {_when(first)} to {_when(last)} · files last loaded "
            f"{_when(latest)} ({len(loads)} files)")


def build_report(target: Target, settings: Settings, out_dir: Path, cache_dir: Path,
                 points_per_college: int = 400) -> Result:
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    t, n = settings.min_attendance_pct, settings.small_cell_min_students
    marts = Marts(target)
    try:
        bins = queries.attendance_bins(marts, t, BIN_WIDTH)
        sizes = queries.college_sizes(marts)
        courses = queries.eligibility_by_course(marts)
        fit = queries.attendance_marks_fit(marts)
        sample = queries.attendance_marks_sample(marts, points_per_college)
        correlation = queries.correlation_by_college(marts)
        bands = queries.sgpa_bands(marts)
        outcomes = queries.placement_outcomes(marts)
        loads = queries.file_loads(marts)
        orphans = queries.orphan_rows(marts)
        period = queries.attendance_period(marts)
    finally:
        marts.close()
    seconds["queries"] = time.perf_counter() - clock

    ctx = charts.Context(threshold=t, min_students=n, data_line=data_line(period, loads))
    points, lines = figures.attendance_marks(sample, fit, correlation)
    drawn = [
        ("attendance", "Attendance per college",
         charts.attendance_distribution(
             figures.attendance_distribution(bins, sizes, t, BIN_WIDTH, n), ctx, BIN_WIDTH),
         f"Each row is a college. Bars left of the dashed line ({ctx.pct}, var "
         "aktu_academics_min_attendance_pct) are pairs whose attendance stops the student from "
         "sitting that course's end-semester examination unless condoned."),
        ("eligibility", "Short of eligibility per course",
         charts.eligibility(figures.eligibility(courses, n), ctx),
         "Courses with the most students short of the minimum first (fct_exam_eligibility)."),
        ("attendance-marks", "Attendance vs marks",
         charts.attendance_marks(points, lines, ctx),
         "Points are a sample; the line and r use every pair (mart_attendance_marks_correlation)."),
        ("sgpa", "SGPA and results",
         charts.sgpa(figures.sgpa(bands, n), ctx),
         "Each student counted once, in their latest semester loaded (fct_semester_results)."),
        ("placements", "Placements (NIRF view)",
         charts.placements(figures.placements(outcomes), ctx),
         "Placement rate and median package of counted offers per passing year "
         "(mart_placement_outcomes)."),
        ("quality", "Data quality",
         charts.quality(figures.quality(loads, orphans), ctx),
         "From the loader's audit (stg_aktu__file_loads) and rpt_orphan_rows: send these back to "
         "the colleges to correct their exports."),
    ]
    seconds["figures"] = time.perf_counter() - clock - seconds["queries"]

    out_dir.mkdir(parents=True, exist_ok=True)
    sections, pngs = [], []
    with alt.data_transformers.disable_max_rows():
        for chart_id, heading, chart, note in drawn:
            spec = chart.to_dict()
            sections.append(Section(chart_id, heading, spec, note))
            png = out_dir / f"{chart_id}.png"
            png.write_bytes(vl_convert.vegalite_to_png(spec, vl_version=VL_VERSION, scale=PNG_SCALE))
            pngs.append(png)
    seconds["pngs"] = time.perf_counter() - clock - seconds["queries"] - seconds["figures"]

    intro = [
        ctx.data_line + f" · target {target.name} ({target.type}), schema {target.schema}_marts",
        f"Attendance minimum {ctx.pct} (var aktu_academics_min_attendance_pct). Any group of "
        f"fewer than {n} students (var aktu_small_cell_min_students) is shown as suppressed, "
        "without its figures.",
    ]
    page = out_dir / "report.html"
    page.write_text(render("AKTU education performance at a glance", intro, sections,
                           vega_bundle(cache_dir, VL_VERSION)), encoding="utf-8")
    seconds["total"] = time.perf_counter() - clock
    return Result(html=page, pngs=pngs, seconds=seconds)
