"""The HTML page: the charts' Vega-Lite specs and the Vega/Vega-Lite/Vega-Embed scripts, all
inlined, so the file opens offline and asks the network for nothing."""

from __future__ import annotations

import html
import re
import json
from dataclasses import dataclass
from pathlib import Path

import vl_convert

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto;
       max-width: 980px; color: #222; padding: 0 16px; }
header p { margin: 4px 0; color: #444; }
section.chart-section { margin: 36px 0; padding-top: 12px; border-top: 1px solid #ddd; }
section p.note { color: #444; max-width: 760px; }
"""

# Each chart reports its outcome on its element (data-rendered: true / error), so a reader's
# browser, or the test's, can tell a drawn chart from a failed one.
EMBED_JS = """
document.querySelectorAll("div.chart").forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.id + "-spec").textContent);
  vegaEmbed(el, spec, {actions: false, renderer: "svg"}).then(function () {
    el.dataset.rendered = "true";
  }).catch(function (error) {
    el.dataset.rendered = "error";
    console.error("chart " + el.id + " failed: " + error);
  });
});
"""


@dataclass(frozen=True)
class Section:
    chart_id: str
    heading: str
    spec: dict
    note: str


def vega_bundle(cache_dir: Path, vl_version: str) -> str:
    """Vega, Vega-Lite `vl_version` and Vega-Embed as one script (vl-convert's bundle, cached
    per version: bundling takes seconds)."""
    version = "-".join([vl_convert.get_vega_version(), vl_version,
                        vl_convert.get_vega_embed_version(), vl_convert.__version__])
    path = cache_dir / f"vega-bundle-{version}.js"
    if not path.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(vl_convert.javascript_bundle(vl_version=vl_version), encoding="utf-8")
        tmp.replace(path)
    return path.read_text(encoding="utf-8")


def _script_text(text: str) -> str:
    # Only "</script" ends a script element early; "<\/script" means the same in a JS string or
    # regular expression (and in JSON).
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def render(title: str, intro: list[str], sections: list[Section], bundle: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing may come from elsewhere: scripts and styles are inline, images data: URIs.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; "
        "font-src data:\">",
        f"<title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style>",
        f"<script>{_script_text(bundle)}</script>",
        "</head><body>",
        f"<header><h1>{html.escape(title)}</h1>",
        *[f"<p>{html.escape(line)}</p>" for line in intro],
        "<nav><p>" + " · ".join(f'<a href="#{s.chart_id}-section">{html.escape(s.heading)}</a>'
                                for s in sections) + "</p></nav></header>",
    ]
    for s in sections:
        spec = _script_text(json.dumps(s.spec, separators=(",", ":"), allow_nan=False))
        parts += [
            f'<section class="chart-section" id="{s.chart_id}-section">',
            f"<h2>{html.escape(s.heading)}</h2>",
            f'<div class="chart" id="{s.chart_id}"></div>',
            f'<script type="application/json" id="{s.chart_id}-spec">{spec}</script>',
            f'<p class="note">{html.escape(s.note)}</p>',
            "</section>",
        ]
    parts += [f"<script>{EMBED_JS}</script>", "</body></html>"]
    return "\n".join(parts)
