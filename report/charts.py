"""The six charts, as Altair (Vega-Lite) specs. Each is titled in words, its axes say their
units, its subtitle carries the data's dates, and a suppressed group is drawn as suppressed:
its label and a grey mark, never a figure (the figures were removed in report.figures)."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from report.figures import SHOWN, SUPPRESSED

WIDTH = 560
BELOW, ABOVE, HIDDEN = "#d95f02", "#1b9e77", "#e3e3e3"


@dataclass(frozen=True)
class Context:
    threshold: float  # var aktu_academics_min_attendance_pct
    min_students: int  # var aktu_small_cell_min_students
    data_line: str  # e.g. "Attendance 2024-02-01 to 2024-05-31 · loaded 2026-12-03 12:01 UTC"

    @property
    def pct(self) -> str:
        return f"{self.threshold:g} %"

    @property
    def suppressed_words(self) -> str:
        return f"suppressed: fewer than {self.min_students} students"


def _title(text: str, line: str, ctx: Context) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=[line, ctx.data_line], anchor="start",
                           fontSize=16, subtitleColor="#555")


def attendance_distribution(frame: pd.DataFrame, ctx: Context, bin_width: float) -> alt.FacetChart:
    data = frame.copy()
    data["side"] = [
        SUPPRESSED if s == SUPPRESSED else (f"below {ctx.pct}" if (e or 0) <= ctx.threshold
                                            else f"{ctx.pct} or more")
        for s, e in zip(data["status"], data["bin_end"])]
    colour = alt.Color("side:N", title=None, scale=alt.Scale(
        domain=[f"below {ctx.pct}", f"{ctx.pct} or more", SUPPRESSED],
        range=[BELOW, ABOVE, HIDDEN]), legend=alt.Legend(orient="top"))
    height = 110
    x = alt.X("bin_start:Q", title="Attendance in the course (%)",
              scale=alt.Scale(domain=[0, 100]))
    base = alt.Chart(width=WIDTH, height=height)
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=x, x2="bin_end:Q",
        y=alt.Y("share_pct:Q", title="Share of pairs (%)", scale=alt.Scale(zero=True)),
        y2=alt.datum(0),
        color=colour,
        tooltip=[alt.Tooltip("bin_start:Q", title="from %"), alt.Tooltip("bin_end:Q", title="to %"),
                 alt.Tooltip("share_pct:Q", title="share of pairs (%)", format=".1f")],
    ).transform_filter(alt.datum.status == SHOWN)
    hidden_bins = base.mark_rect().encode(
        x=x, x2="bin_end:Q", y=alt.value(0), y2=alt.value(height), color=colour,
        tooltip=[alt.Tooltip("bin_start:Q", title="from %"), alt.Tooltip("bin_end:Q", title="to %"),
                 alt.Tooltip("side:N", title="share")],
    ).transform_filter((alt.datum.status == SUPPRESSED) & ~alt.datum.is_college_suppressed)
    hidden_college = base.mark_text(fontSize=13, color="#555").encode(
        x=alt.value(WIDTH / 2), y=alt.value(height / 2),
        text=alt.value(f"whole college {ctx.suppressed_words}"),
    ).transform_filter(alt.datum.is_college_suppressed)
    rule = base.mark_rule(color="#333", strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.datum(ctx.threshold)).transform_aggregate(n="count()")
    rule_label = base.mark_text(align="right", dx=-4, fontSize=11, color="#333").encode(
        x=alt.datum(ctx.threshold), y=alt.value(8),
        text=alt.value(f"{ctx.pct} minimum to sit the exam")).transform_aggregate(n="count()")
    layered = alt.layer(bars, hidden_bins, hidden_college, rule, rule_label, data=data)
    return layered.facet(
        row=alt.Row("college_code:N", title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold",
                                      labelFontSize=12)),
        title=_title("How much of each course do students attend, per college?",
                     f"Student-course pairs per {bin_width:g}-point attendance band, as a share of "
                     f"the college's pairs; grey bands are {ctx.suppressed_words}.", ctx),
    ).resolve_scale(y="independent")


def eligibility(frame: pd.DataFrame, ctx: Context) -> alt.LayerChart:
    data = frame.copy()
    short = data[data["status"] == "detained"].set_index("course_code")["short_students"]
    order = sorted(short.index, key=lambda c: (-(short[c] if pd.notna(short[c]) else -1), c))
    data["note"] = [
        ctx.suppressed_words if s else (
            f"classes needed {ctx.suppressed_words}" if cs
            else f"{m:g} more classes each, on average")
        for s, cs, m in zip(data["is_suppressed"], data["is_classes_needed_suppressed"],
                            data["mean_classes_needed"])]
    y = alt.Y("course_code:N", title="Course", sort=order)
    base = alt.Chart(data, width=WIDTH - 120, height=alt.Step(16))
    bars = base.mark_bar().encode(
        x=alt.X("students:Q", title=f"Students short of the {ctx.pct} minimum (count)"),
        y=y,
        color=alt.Color("status:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["condonable", "detained"],
                                        range=["#fdae61", "#d7191c"])),
        order=alt.Order("status:N"),
        tooltip=["course_code:N", "status:N", alt.Tooltip("students:Q", title="students")],
    ).transform_filter(~alt.datum.is_suppressed)
    notes = base.mark_text(align="left", dx=4, fontSize=10, color="#333").encode(
        x=alt.X("short_students:Q"), y=y, text="note:N",
    ).transform_filter((alt.datum.status == "detained") & ~alt.datum.is_suppressed)
    hidden = base.mark_text(align="left", fontSize=10, color="#777").encode(
        x=alt.value(2), y=y, text="note:N",
    ).transform_filter((alt.datum.status == "detained") & alt.datum.is_suppressed)
    return alt.layer(bars, notes, hidden).properties(title=_title(
        f"Who is short of the {ctx.pct} attendance needed to sit the exam, per course?",
        "Condonable: within the condonation margin; detained: below it. Each label: the further "
        "classes, all attended, that would bring a short student to the minimum.", ctx))


def attendance_marks(points: pd.DataFrame, lines: pd.DataFrame, ctx: Context) -> alt.FacetChart:
    data = pd.concat([points.assign(kind="point"),
                      lines.assign(kind=lines["status"].map({SHOWN: "line",
                                                             SUPPRESSED: SUPPRESSED}))],
                     ignore_index=True)[["label", "kind", "attendance_pct", "total_marks"]]
    size = 250
    base = alt.Chart(width=size, height=size)
    x = alt.X("attendance_pct:Q", title="Attendance in the course (%)",
              scale=alt.Scale(domain=[0, 100]))
    y = alt.Y("total_marks:Q", title="Total marks in the course (marks)")
    dots = base.mark_circle(size=14, opacity=0.45, color="#3182bd").encode(
        x=x, y=y).transform_filter(alt.datum.kind == "point")
    fit = base.mark_line(color="#08306b", strokeWidth=2.5).encode(
        x=x, y=y).transform_filter(alt.datum.kind == "line")
    rule = base.mark_rule(color="#333", strokeDash=[5, 3]).encode(
        x=alt.datum(ctx.threshold)).transform_filter(alt.datum.kind == "line"
                                                     ).transform_aggregate(n="count()")
    hidden = base.mark_text(fontSize=12, color="#555").encode(
        x=alt.value(size / 2), y=alt.value(size / 2), text=alt.value(ctx.suppressed_words),
    ).transform_filter(alt.datum.kind == SUPPRESSED)
    return alt.layer(dots, fit, rule, hidden, data=data).facet(
        facet=alt.Facet("label:N", title=None, header=alt.Header(labelFontWeight="bold")),
        columns=3,
        title=_title("Do students who attend more score more? Attendance vs marks per college",
                     "A sample of (student, course) pairs; the line is the least-squares fit over "
                     f"all pairs, r from the correlation mart; dashed: the {ctx.pct} minimum.",
                     ctx))


def sgpa(frame: pd.DataFrame, ctx: Context) -> alt.LayerChart:
    statuses = ["pass", "pass_with_carry_over", "fail"]
    base = alt.Chart(frame, width=WIDTH, height=260)
    x = alt.X("band_label:O", title="SGPA of the student's latest semester (grade points, 0–10)",
              sort=[f"{v}–{v + 1}" for v in range(10)], axis=alt.Axis(labelAngle=0))
    offset = alt.XOffset("result_status:N", sort=statuses)
    colour = alt.Color("result_status:N", title="Semester result", sort=statuses,
                       scale=alt.Scale(domain=statuses, range=["#1a9641", "#fdae61", "#d7191c"]),
                       legend=alt.Legend(orient="top"))
    bars = base.mark_bar().encode(
        x=x, xOffset=offset, y=alt.Y("students:Q", title="Students (count)"), color=colour,
        tooltip=["band_label:O", "result_status:N", "students:Q"],
    ).transform_filter(alt.datum.status == SHOWN)
    hidden = base.mark_text(text="S", fontSize=11, fontWeight="bold", color="#777", dy=-6).encode(
        x=x, xOffset=offset, y=alt.datum(0),
        tooltip=["band_label:O", "result_status:N", alt.Tooltip("status:N", title="students")],
    ).transform_filter(alt.datum.status == SUPPRESSED)
    return alt.layer(bars, hidden).properties(title=_title(
        "How did students do in their latest semester? SGPA and semester result",
        f"Students per SGPA band and result; S marks a group {ctx.suppressed_words}.", ctx))


def placements(frame: pd.DataFrame, ctx: Context) -> alt.HConcatChart:
    groups = sorted(frame["group"].unique())
    height = alt.Step(18)

    def panel(figure: str, label: str, title: str, scheme: str) -> alt.LayerChart:
        base = alt.Chart(frame, width=300, height=height)
        x = alt.X("passing_year:O", title="Passing year", axis=alt.Axis(labelAngle=0))
        y = alt.Y("group:N", title="College · program", sort=groups)
        cells = base.mark_rect(color="#f0f0f0", stroke="white").encode(x=x, y=y)
        values = base.mark_rect(stroke="white").encode(
            x=x, y=y, color=alt.Color(f"{figure}:Q", title=title,
                                      scale=alt.Scale(scheme=scheme, zero=True),
                                      legend=alt.Legend(orient="bottom", titleLimit=400)),
            tooltip=["group:N", "passing_year:O", alt.Tooltip(f"{label}:N", title=title)],
        ).transform_filter(f"isValid(datum.{figure})")
        text = base.mark_text(fontSize=8).encode(
            x=x, y=y, text=f"{label}:N",
            color=alt.condition(alt.datum.status == SUPPRESSED, alt.value("#888"),
                                alt.value("#111")))
        return alt.layer(cells, values, text).properties(title=title)

    return alt.hconcat(
        panel("placement_rate_pct", "rate_label", "Students placed (% of final-year students)",
              "greens"),
        panel("median_package_lpa", "median_label", "Median package (lakh rupees a year, LPA)",
              "blues"),
    ).resolve_scale(color="independent").properties(title=_title(
        "Placements per college and program (NIRF view)",
        f"Per passing year; a group of fewer than {ctx.min_students} final-year students shows "
        "'suppressed'.", ctx))


def quality(frame: pd.DataFrame, ctx: Context) -> alt.LayerChart:
    problems = ["rejected", "exact duplicates", "orphans"]
    base = alt.Chart(frame, width=WIDTH - 160, height=alt.Step(16))
    y = alt.Y("row_label:N", title="File (or file kind, for orphans) · problem",
              sort=list(frame["row_label"]), axis=alt.Axis(labelLimit=360))
    bars = base.mark_bar().encode(
        x=alt.X("rows:Q", title="Rows (count)", axis=alt.Axis(tickMinStep=1, format="d")), y=y,
        color=alt.Color("problem:N", title=None, sort=problems, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=problems, range=["#d7191c", "#fdae61", "#2c7bb6"])),
        tooltip=["item:N", "problem:N", "label:N"])
    labels = base.mark_text(align="left", dx=3, fontSize=9, color="#333").encode(
        x="rows:Q", y=y, text="label:N")
    return alt.layer(bars, labels).properties(title=_title(
        "Data quality at a glance: what the loader and the warehouse set aside",
        "Rejected rows and exact duplicates per file (latest load); orphans, rows whose student is "
        "not in the master, per file kind. Each label: rows of the rows read.", ctx))
