"""The picture report (python -m report; docs/report.md), as a reader sees it.

Built from a loaded and dbt-built warehouse on DuckDB and MariaDB, the page is copied alone into
an empty folder and opened in headless Chromium with the network cut off (a dead proxy, no DNS,
and the page's own Content-Security-Policy): no console error, every chart drawn, nothing
requested from anywhere, and a screenshot of each chart holds a picture, not a blank box. The page
carries no student_hash, roll number or date of birth, and a group under the small-cell rule is
shown as suppressed, never with its figure.

Needs Chromium (as tests/integration/test_docs_site.py: skipped loudly without, a failure with
CI=true) for the browser tests only.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ENGINES
from test_docs_site import require_chromium

CHARTS = ("attendance", "eligibility", "attendance-marks", "sgpa", "placements", "quality")

# Injected first into a copy of the page: collects console errors, uncaught errors and anything
# the page's Content-Security-Policy blocked (an attempt to reach the network).
PROBE_HEAD = """<script>
window.__aktuProblems = [];
(function () {
  var original = console.error;
  console.error = function () {
    window.__aktuProblems.push("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    window.__aktuProblems.push("uncaught: " + e.message);
  });
  document.addEventListener("securitypolicyviolation", function (e) {
    window.__aktuProblems.push("blocked request: " + e.blockedURI);
  });
})();
</script>"""

# Injected last: once every chart says it is drawn (or 15 s passed), write what the page shows
# into the DOM for --dump-dom: each chart's state, size and position, and every resource fetched.
PROBE_TAIL = """<script>
(function () {
  var started = Date.now();
  function report() {
    var charts = Array.prototype.map.call(document.querySelectorAll("div.chart"), function (el) {
      var r = el.getBoundingClientRect();
      return {id: el.id, rendered: el.dataset.rendered || null,
              svg: el.querySelectorAll("svg").length,
              marks: el.querySelectorAll("svg path, svg rect, svg text, svg line").length,
              text: el.textContent,
              box: [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]};
    });
    var pre = document.createElement("pre");
    pre.id = "aktu-report-probe";
    pre.textContent = JSON.stringify({
      problems: window.__aktuProblems, charts: charts,
      width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
      resources: performance.getEntriesByType("resource").map(function (e) { return e.name; })});
    document.body.appendChild(pre);
  }
  function wait() {
    var pending = Array.prototype.some.call(document.querySelectorAll("div.chart"),
      function (el) { return !el.dataset.rendered; });
    if (pending && Date.now() - started < 15000) { return setTimeout(wait, 50); }
    report();
  }
  wait();
})();
</script>"""


def make_report(wh, out: Path, *options: str) -> Path:
    proc = wh.run(sys.executable, "-m", "report", "--target", wh.engine, "--out", str(out),
                  *options)
    assert "report.html" in proc.stdout, proc.stdout + proc.stderr
    return out / "report.html"


def chart_specs(page: str) -> dict[str, dict]:
    return {m.group(1): json.loads(m.group(2).replace("<\\/", "</")) for m in re.finditer(
        r'<script type="application/json" id="([\w-]+)-spec">(.*?)</script>', page, flags=re.S)}


def chart_rows(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


@pytest.fixture(scope="module", params=ENGINES)
def report(request, built, tmp_path_factory):
    """(warehouse, sample data dir, report.html alone in an empty folder) per engine."""
    wh, data_dir = built(request.param, 42)
    out = tmp_path_factory.mktemp(f"report_{request.param}")
    page = make_report(wh, out)
    lone = tmp_path_factory.mktemp(f"report_page_{request.param}") / "report.html"
    shutil.copy(page, lone)
    for chart in CHARTS:
        assert (out / f"{chart}.png").stat().st_size > 5000, f"{chart}.png is missing or empty"
    return wh, data_dir, lone


def chromium(page: Path, tmp_path: Path, *action: str, height: int = 900) -> subprocess.CompletedProcess:
    binary = require_chromium()
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               # No network: every request goes to a proxy that is not there, names resolve to
               # nothing; a page that needed a CDN would draw no chart.
               "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
               "--host-resolver-rules=MAP * ~NOTFOUND",
               f"--window-size=1280,{height}", "--virtual-time-budget=20000",
               *action, page.as_uri()]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def probe(page: Path, tmp_path: Path) -> tuple[dict, Path]:
    text = page.read_text(encoding="utf-8")
    head = text.index("<head>") + len("<head>")
    tail = text.rindex("</body>")
    probed = page.with_name("probed.html")
    probed.write_text(text[:head] + PROBE_HEAD + text[head:tail] + PROBE_TAIL + text[tail:],
                      encoding="utf-8")
    dom = chromium(probed, tmp_path, "--dump-dom").stdout
    match = re.search(r'<pre id="aktu-report-probe">(.*?)</pre>', dom, flags=re.S)
    assert match, "the probe wrote nothing: the page's scripts did not run"
    return json.loads(html.unescape(match.group(1))), probed


@pytest.mark.parametrize("report", ENGINES, indirect=True)
def test_every_chart_renders_offline_without_errors(report, tmp_path):
    from PIL import Image

    require_chromium()
    _, _, page = report
    result, probed = probe(page, tmp_path)
    assert result["problems"] == [], "errors in the browser:\n" + "\n".join(result["problems"])
    assert result["resources"] == [], f"the page fetched {result['resources']}"
    charts = {c["id"]: c for c in result["charts"]}
    assert sorted(charts) == sorted(CHARTS)
    for chart in charts.values():
        assert chart["rendered"] == "true" and chart["svg"] == 1, f"{chart['id']} not drawn"
        assert chart["marks"] > 20 and chart["box"][3] > 200, f"{chart['id']} drew next to nothing"

    # A screenshot of the whole page, cut into one picture per chart: each must hold drawn
    # content (many non-white pixels, several colours), not an empty box.
    shot = tmp_path / "page.png"
    chromium(probed, tmp_path, f"--screenshot={shot}", height=result["height"] + 50)
    image = Image.open(shot).convert("RGB")
    for chart in charts.values():
        x, y, w, h = (round(v) for v in chart["box"])
        crop = image.crop((x, y, min(x + w, image.width), min(y + h, image.height)))
        crop.save(tmp_path / f"{chart['id']}.png")
        pixels = list(crop.getdata())
        inked = sum(1 for p in pixels if min(p) < 235) / len(pixels)
        colours = len(set(pixels))
        assert inked > 0.02 and colours > 20, \
            f"{chart['id']}: screenshot looks blank ({inked:.1%} inked, {colours} colours)"


@pytest.mark.parametrize("report", ENGINES, indirect=True)
def test_the_page_holds_no_personal_data(report):
    wh, data_dir, page = report
    text = page.read_text(encoding="utf-8")
    with open(data_dir / "students_master.csv", newline="", encoding="utf-8") as f:
        students = list(csv.DictReader(f))
    hashes = set(wh.table("marts", "dim_students")["student_hash"])
    assert students and len(hashes) == len(students)
    found = [("roll_no", s["roll_no"][:6] + "…") for s in students if s["roll_no"] in text]
    found += [("dob", "…") for s in students if s["dob"] in text]
    found += [("student_hash", h[:6] + "…") for h in hashes if h in text]
    assert not found, f"personal data in the report: {found[:5]} ({len(found)} in all)"
    assert "student_hash" not in text and "roll_no" not in text


@pytest.mark.parametrize("report", ENGINES, indirect=True)
def test_charts_show_the_marts_figures_and_the_var_threshold(report):
    wh, _, page = report
    specs = chart_specs(page.read_text(encoding="utf-8"))
    assert sorted(specs) == sorted(CHARTS)

    # The 75 % line is the var, drawn on the attendance and scatter charts.
    assert '"datum":75.0' in json.dumps(specs["attendance"], separators=(",", ":"))
    # r per college: the correlation mart's, to two decimals, with its pairs.
    mart = wh.table("marts", "mart_attendance_marks_correlation")
    labels = {r["label"] for r in chart_rows(specs["attendance-marks"]) if r.get("label")}
    for row in mart[mart["scope"] == "college"].itertuples():
        assert f"{row.scope_value}: r = {row.pearson_r:.2f} over {row.n_pairs:,} pairs" in labels
    # Placements: the mart's figures where shown, 'suppressed' and no figure where not.
    outcomes = wh.table("marts", "mart_placement_outcomes")
    cells = {(r["group"], r["passing_year"]): r for r in chart_rows(specs["placements"])}
    assert len(cells) == len(outcomes)
    for row in outcomes.itertuples():
        cell = cells[(f"{row.college_code} · {row.program_code}", str(row.passing_year))]
        if row.is_small_cell:
            assert cell["rate_label"] == "suppressed" and cell["placement_rate_pct"] is None
        else:
            assert cell["rate_label"] == f"{row.placement_rate_pct:.0f} %"
    # Data quality: the orphans of rpt_orphan_rows, per file kind.
    orphans = wh.table("marts", "rpt_orphan_rows")
    rows = {r["row_label"]: r for r in chart_rows(specs["quality"])}
    for row in orphans.itertuples():
        assert rows[f"{row.file_kind} (all files) · orphans"]["rows"] == row.orphan_rows


@pytest.mark.parametrize("engine", ENGINES)
def test_small_cells_and_threshold_follow_the_vars(engine, built, tmp_path):
    """With the small-cell minimum raised to 60 students and the minimum attendance to 80 %, the
    colleges under 60 students are drawn as suppressed, with no figure of theirs in the page."""
    wh, _ = built(engine, 42)
    page = make_report(wh, tmp_path, "--vars",
                       "{aktu_small_cell_min_students: 60, aktu_academics_min_attendance_pct: 80}")
    text = page.read_text(encoding="utf-8")
    specs = chart_specs(text)
    students = wh.table("marts", "dim_students").groupby("college_code").size()
    rows = chart_rows(specs["attendance"])
    for college, count in students.items():
        mine = [r for r in rows if r["college_code"] == college]
        if count < 60:
            assert mine == [{"college_code": college, "bin_start": None, "bin_end": None,
                             "share_pct": None, "status": "suppressed",
                             "is_college_suppressed": True, "side": "suppressed"}]
        else:  # per band, each band shown or suppressed on its own students
            assert mine and not any(r["is_college_suppressed"] for r in mine)
            # Bins have an edge on the threshold: none straddles 80 %.
            assert all(not (r["bin_start"] < 80 < r["bin_end"]) for r in mine if r["bin_start"] is not None)
    assert (students < 60).any() and (students >= 60).any()
    assert "fewer than 60 students" in text and '"datum":80.0' in text
    # SGPA bands: every group shown has at least 60 students.
    assert all(r["students"] is None or r["students"] >= 60 for r in chart_rows(specs["sgpa"]))


@pytest.mark.parametrize("bad, expected", [
    ("[1, 2]", "is not a mapping"),
    ("{aktu_small_cell_min_students: 0}", "expected a whole number of students"),
    ("{aktu_academics_min_attendance_pct: '75'}", "expected a number"),
    ("{aktu_academics_min_attendance_pct: 100}", "between 0 and 100"),
    ("{unclosed", "not YAML"),
])
def test_bad_vars_are_refused_with_the_reason(bad, expected, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "report", "--vars", bad, "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 1 and expected in proc.stderr, proc.stderr
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("case, expected", [
    ("no_warehouse", "cannot open"),
    ("no_marts", "are the marts of schema aktu_dw built"),
])
def test_a_warehouse_without_marts_is_refused_with_the_reason(case, expected, tmp_path):
    import duckdb

    project = Path(__file__).resolve().parents[2]
    shutil.copy(project / "profiles.example.yml", tmp_path / "profiles.yml")
    path = tmp_path / "warehouse.duckdb"
    if case == "no_marts":
        duckdb.connect(str(path)).close()
    env = {**os.environ, "DBT_PROFILES_DIR": str(tmp_path), "AKTU_DUCKDB_PATH": str(path),
           "AKTU_SCHEMA": "aktu_dw"}
    proc = subprocess.run([sys.executable, "-m", "report", "--target", "duckdb",
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=project, env=env)
    assert proc.returncode == 1 and expected in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "report.html").exists()
