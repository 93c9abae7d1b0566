"""Geometry for the HTML report's inline SVG charts.

Only numbers and nhi's own labels go into the charts; the template draws them with
autoescaping on, so there is no hand-built markup here.
"""

from __future__ import annotations

import math
from typing import Any

from nhi_cli.severity import SEVERITIES

SEVERITY_COLOURS = {"critical": "#8e1b1b", "high": "#d64545", "medium": "#e3a008", "low": "#3f83c4", "info": "#9aa5b1"}
AGE_COLOURS = ("#3f9e6e", "#3f9e6e", "#e3a008", "#e3a008", "#d64545", "#8e1b1b", "#9aa5b1")


def nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` that divides into four equal, whole ticks."""
    need = max(1, math.ceil(value / 4))
    magnitude: int = 10 ** int(math.floor(math.log10(need)))  # need >= 1: a whole power of ten
    for step in (1, 2, 2.5, 3, 4, 5, 10):
        tick = step * magnitude
        if tick >= need and tick == int(tick):
            return int(tick) * 4
    return 40 * magnitude


def _ticks(top: int, plot_h: float, y0: float) -> list[dict[str, Any]]:
    return [{"y": round(y0 + plot_h - plot_h * i / 4, 1), "label": f"{top * i // 4:,}"} for i in range(5)]


LEFT, RIGHT, TOP_PAD, BOTTOM = 48, 12, 16, 44  # room for the tick labels and the bar labels


def _frame(width: int, height: int, top: int) -> tuple[float, float, dict[str, Any]]:
    """(plot width, plot height, the axis every bar chart draws): the plot area inside the
    margins, its baseline, and five ticks from 0 to ``top``."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP_PAD - BOTTOM
    axis = {
        "width": width,
        "height": height,
        "left": LEFT,
        "right": width - RIGHT,
        "base": TOP_PAD + plot_h,
        "ticks": _ticks(top, plot_h, TOP_PAD),
        "label_y": TOP_PAD + plot_h + 18,
    }
    return plot_w, plot_h, axis


def histogram(buckets: list[dict[str, Any]], width: int = 520, height: int = 240) -> dict[str, Any]:
    """Vertical bars, one per age bucket; older buckets are drawn warmer."""
    top = nice_max(max((b["credentials"] for b in buckets), default=0))
    plot_w, plot_h, axis = _frame(width, height, top)
    slot = plot_w / max(1, len(buckets))
    bars = []
    for i, b in enumerate(buckets):
        h = plot_h * b["credentials"] / top if top else 0
        x = LEFT + i * slot + slot * 0.15
        bars.append(
            {
                "x": round(x, 1),
                "y": round(TOP_PAD + plot_h - h, 1),
                "w": round(slot * 0.7, 1),
                "h": round(h, 1),
                "label": b["bucket"],
                "value": b["credentials"],
                "cx": round(x + slot * 0.35, 1),
                "colour": AGE_COLOURS[min(i, len(AGE_COLOURS) - 1)],
            }
        )
    return {**axis, "bars": bars}


def trend(points: list[dict[str, Any]], width: int = 520, height: int = 240) -> dict[str, Any]:
    """Stacked bars by severity, one per scan, oldest on the left."""
    top = nice_max(max((p["total"] for p in points), default=0))
    plot_w, plot_h, axis = _frame(width, height, top)
    slot = plot_w / max(1, len(points), 6)
    columns = []
    for i, p in enumerate(points):
        x = LEFT + i * slot + slot * 0.2
        y = TOP_PAD + plot_h
        segments = []
        for sev in SEVERITIES:
            n = p["by_severity"].get(sev, 0)
            if not n:
                continue
            h = plot_h * n / top if top else 0
            y -= h
            segments.append(
                {"y": round(y, 1), "h": round(h, 1), "colour": SEVERITY_COLOURS[sev], "severity": sev, "value": n}
            )
        columns.append(
            {
                "x": round(x, 1),
                "w": round(slot * 0.6, 1),
                "cx": round(x + slot * 0.3, 1),
                "label": f"#{p['scan_id']}",
                "total": p["total"],
                "top": round(y, 1),
                "date": (p["started_at"] or "")[:10],
                "segments": segments,
            }
        )
    return {**axis, "columns": columns, "legend": [{"severity": s, "colour": SEVERITY_COLOURS[s]} for s in SEVERITIES]}
