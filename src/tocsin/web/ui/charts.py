"""The dashboard's charts as standalone SVG documents, drawn by pygal.

pygal writes its colours in an inline <style> and always adds a <script> with its config.
The console's pages forbid inline styles, so each chart is its own resource shown with
<img> (a browser runs no script in an SVG loaded as an image); the script is dropped
anyway, and the response carries a CSP of its own that allows the inline style only.
"""

from __future__ import annotations

from typing import Any

import pygal
from fastapi.responses import Response
from pygal.etree import etree
from pygal.style import DarkStyle, LightStyle, Style

from tocsin.reports.service import PRIORITIES, OpenMatrix
from tocsin.reports.tables import Table
from tocsin.reports.timing import TimingTrend, as_minutes

SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# An image cannot read the page's CSS variables: these repeat tocsin.css's --p1..--p5 and
# --accent / --p2 of each theme, so a bar has its priority's colour in the queue.
_PRIORITY_COLOURS = {
    "light": ("#c62828", "#e65100", "#f2a900", "#1e63c4", "#78859a"),
    "dark": ("#ef6b6b", "#ff9350", "#f5c542", "#7aa2ff", "#9aa5b8"),
}
_SERIES_COLOURS = {"light": ("#2f5bd3", "#e65100"), "dark": ("#7aa2ff", "#ff9350")}


def chart_style(theme: str) -> Style:
    """The theme's pygal style on a transparent background (the card's shows through)."""
    base = DarkStyle if theme == "dark" else LightStyle
    return base(
        colors=_SERIES_COLOURS[_known(theme)],
        background="transparent",
        plot_background="transparent",
        font_family=_FONT,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        value_font_size=13,
        title_font_size=16,
    )


def _known(theme: str) -> str:
    return "dark" if theme == "dark" else "light"


def _config(theme: str, **extra: Any) -> dict[str, Any]:
    return {
        "js": [],
        "style": chart_style(theme),
        "width": 640,
        "height": 320,
        "show_legend": True,
        "legend_at_bottom": True,
        "margin": 8,
        **extra,
    }


def timing_chart(trend: TimingTrend, theme: str) -> pygal.Line:
    chart = pygal.Line(
        **_config(
            theme,
            x_label_rotation=0,
            show_minor_x_labels=False,
            truncate_label=-1,
            margin_right=32,  # room for the last day's label
            y_title="minutes",
            allow_interruptions=True,
            include_x_axis=True,
        )
    )
    labels = [d.day.strftime("%d %b") for d in trend.days]
    chart.x_labels = labels
    # Every 7th day labelled (and the last): 30 labels do not fit a phone-sized image.
    chart.x_labels_major = [
        label for n, label in enumerate(labels) if (len(labels) - 1 - n) % 7 == 0
    ]
    chart.add("MTTA (mean)", [as_minutes(d.mtta.mean_seconds) for d in trend.days])
    chart.add("MTTR (mean)", [as_minutes(d.mttr.mean_seconds) for d in trend.days])
    return chart


def open_chart(matrix: OpenMatrix, theme: str) -> pygal.Bar:
    totals = [matrix.priority_total(p) for p in PRIORITIES]
    chart = pygal.Bar(
        **_config(
            theme,
            show_legend=False,
            include_x_axis=True,
            print_values=True,
            width=420,  # shown in a narrow tile: a smaller canvas keeps its text legible
            # whole incidents: a scale of 0.1 steps would mean nothing
            y_labels=_whole_steps(max(totals)),
        )
    )
    chart.x_labels = [f"P{p}" for p in PRIORITIES]
    colours = _PRIORITY_COLOURS[_known(theme)]
    chart.add(
        "Open incidents",
        [{"value": n, "color": colours[p - 1]} for p, n in zip(PRIORITIES, totals, strict=True)],
    )
    return chart


def _whole_steps(top: int, ticks: int = 5) -> list[int]:
    """About `ticks` whole-number labels from 0 to at least `top`."""
    step = max(1, -(-top // ticks))
    return list(range(0, max(top, 1) + step, step))


def svg_response(chart: pygal.graph.graph.Graph) -> Response:
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if str(child.tag).endswith("script"):
                parent.remove(child)
    body = b"<?xml version='1.0' encoding='utf-8'?>\n" + etree.tostring(tree)
    return Response(body, media_type="image/svg+xml", headers=SVG_HEADERS)


def report_chart(table: Table, kind: str, theme: str) -> pygal.Graph:
    """A report's table as a bar or line chart: one bar (point) per row, or, for a table
    of periods split by group, one line per group."""
    factory = pygal.Line if kind == "line" else pygal.Bar
    chart = factory(
        **_config(
            theme,
            x_label_rotation=30 if len(table.rows) > 8 else 0,
            show_minor_x_labels=len(table.rows) <= 16,
            truncate_label=-1,
            include_x_axis=True,
            show_legend="group" in table.columns and table.label != "group",
            allow_interruptions=True,
        )
    )
    labels = list(dict.fromkeys(str(row[table.label]) for row in table.rows))
    chart.x_labels = labels
    series: dict[str, dict[str, float | None]] = {}
    for row in table.rows:
        name = str(row.get("group", table.value)) if table.label != "group" else table.value
        value = row.get(table.value)
        series.setdefault(name, {})[str(row[table.label])] = (
            float(value) if isinstance(value, int | float) else None
        )
    for name, points in series.items():
        chart.add(name.replace("_", " "), [points.get(label) for label in labels])
    return chart
