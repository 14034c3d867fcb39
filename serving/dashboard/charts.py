"""Charts drawn on the server as inline SVG: no chart library to vendor, nothing to run in the browser.

Each function returns escaped markup ready for a template. Colours come from CSS classes in
``static/dashboard.css`` (the page's Content-Security-Policy allows no inline styles).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

SERIES_CLASSES = ("s0", "s1", "s2", "s3", "s4", "s5")


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values spanning ``low``..``high``."""
    if high <= low:
        high = low + 1.0
    step = 10 ** math.floor(math.log10((high - low) / count))
    for factor in (1, 2, 5, 10):
        if (high - low) / (step * factor) <= count:
            step *= factor
            break
    first = math.floor(low / step) * step
    return [first + i * step for i in range(math.ceil((high - first) / step) + 1)]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def bar_chart(
    bars: Sequence[tuple[str, float]], title: str, classes: Sequence[str] = (), width: int = 420
) -> Markup:
    """Return vertical bars with their values on top; ``classes`` colour bar i (default: one colour)."""
    height, top, bottom, left = 200, 20, 28, 8
    plot = height - top - bottom
    peak = max((v for _, v in bars), default=0) or 1
    slot = (width - 2 * left) / max(len(bars), 1)
    body = []
    for i, (label, value) in enumerate(bars):
        h = plot * value / peak
        x = left + i * slot + slot * 0.15
        y = top + plot - h
        css = classes[i] if i < len(classes) else "bar"
        body.append(
            f'<rect class="{escape(css)}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {value:,.0f}</title></rect>"
            f'<text class="value" x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}">{value:,.0f}</text>'
            f'<text class="axis" x="{x + slot * 0.35:.1f}" y="{height - 10}">{escape(label)}</text>'
        )
    return _svg(width, height, title, body)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    width: int = 900,
    height: int = 260,
) -> Markup:
    """Return one polyline per series over shared x labels, with y ticks and a legend; gaps stay gaps."""
    top, bottom, left, right = 16, 48, 48, 40
    values = [v for _, ys in series for v in ys if v is not None and math.isfinite(v)]
    if not x_labels or not values:
        return _svg(width, height, title, [])
    ticks = _nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_at(i: int) -> float:
        return left + (plot_w * i / (len(x_labels) - 1) if len(x_labels) > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    body = [
        f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y_at(t):.1f}" y2="{y_at(t):.1f}"/>'
        f'<text class="tick" x="{left - 6}" y="{y_at(t) + 4:.1f}">{_label(t)}</text>'
        for t in ticks
    ]
    every = max(1, math.ceil(len(x_labels) / 8))
    body += [
        f'<text class="axis" x="{x_at(i):.1f}" y="{top + plot_h + 16}">{escape(label)}</text>'
        for i, label in enumerate(x_labels)
        if i % every == 0 or i == len(x_labels) - 1
    ]
    for n, (name, ys) in enumerate(series):
        css = SERIES_CLASSES[n % len(SERIES_CLASSES)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(ys):
            if v is None or not math.isfinite(v):
                runs.append([])
            else:
                runs[-1].append(f"{x_at(i):.1f},{y_at(v):.1f}")
        for run in runs:
            if len(run) > 1:
                body.append(f'<polyline class="line {css}" points="{" ".join(run)}"/>')
            elif run:
                x, y = run[0].split(",")
                body.append(f'<circle class="dot {css}" cx="{x}" cy="{y}" r="3"/>')
        lx = left + n * 110
        body.append(
            f'<rect class="key {css}" x="{lx}" y="{height - 14}" width="12" height="4"/>'
            f'<text class="legend" x="{lx + 16}" y="{height - 9}">{escape(name)}</text>'
        )
    return _svg(width, height, title, body)


def contribution_chart(items: Sequence[tuple[str, float]], title: str, width: int = 640) -> Markup:
    """Return horizontal bars from a centre line: right (red) raises the risk, left (green) lowers it."""
    row, label_w = 26, 300
    height = max(row * len(items) + 10, 40)
    centre = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 40
    peak = max((abs(v) for _, v in items), default=0) or 1
    body = [f'<line class="grid" x1="{centre}" x2="{centre}" y1="0" y2="{height}"/>']
    for i, (label, value) in enumerate(items):
        y = 6 + i * row
        length = half * abs(value) / peak
        x = centre if value >= 0 else centre - length
        css = "risk-up" if value > 0 else "risk-down"
        text_x = centre + length + 4 if value >= 0 else centre - length - 4
        anchor = "start" if value >= 0 else "end"
        body.append(
            f'<text class="reason" x="{label_w - 8}" y="{y + 14}">{escape(_short(label, 22))}'
            f"<title>{escape(label)}</title></text>"
            f'<rect class="{css}" x="{x:.1f}" y="{y + 2}" width="{max(length, 1):.1f}" height="{row - 8}"/>'
            f'<text class="value" text-anchor="{anchor}" x="{text_x:.1f}" y="{y + 14}">{value:+.2f}</text>'
        )
    return _svg(width, height, title, body)


HEAT_STEPS = 6  # CSS classes heat0 (empty) … heat5 (the largest shares)


def heat_map(
    rows: Sequence[str], columns: Sequence[str], shares: Sequence[Sequence[float]], title: str, cell: int = 44
) -> Markup:
    """Return a matrix of shares as coloured cells with their percentage (row labels left, columns on top)."""
    left, top = 48, 24
    body = [
        f'<text class="axis" x="{left + j * cell + cell / 2:.0f}" y="{top - 8}">{escape(c)}</text>'
        for j, c in enumerate(columns)
    ]
    for i, label in enumerate(rows):
        y = top + i * cell
        body.append(f'<text class="tick" x="{left - 6}" y="{y + cell / 2 + 4:.0f}">{escape(label)}</text>')
        for j, share in enumerate(shares[i]):
            step = 0 if share <= 0 else min(HEAT_STEPS - 1, 1 + int(share * (HEAT_STEPS - 1)))
            x = left + j * cell
            body.append(
                f'<rect class="heat heat{step}" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}">'
                f"<title>{escape(label)} → {escape(columns[j])}: {share:.1%}</title></rect>"
            )
            if share > 0:
                body.append(
                    f'<text class="heat-label{" on-dark" if step >= 4 else ""}" '
                    f'x="{x + cell / 2 - 1:.0f}" y="{y + cell / 2 + 4:.0f}">'
                    f"{share * 100:.0f}</text>"
                )
    return _svg(left + len(columns) * cell + 8, top + len(rows) * cell + 8, title, body)
