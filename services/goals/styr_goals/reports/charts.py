"""A small line chart per measure, drawn as SVG here (no plotting library, no system fonts).

One panel per series (segment): the outcome per year as a solid line with dots and the value
printed above each dot, the target of each year as a dashed line across that year. The two
differ in line style and legend wording, not in colour alone. The same SVG goes into the PDF
(as vector graphics, with its text alternative as the figure's alt text) and, rasterised by
Typst, into the DOCX.

The text alternative says what the chart shows in words: every outcome and every target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from styr_goals.measures.schemas import UnitKind
from styr_goals.reports import formatting as fmt
from styr_goals.reports.document import Chart

FONT = "Libertinus Serif"  # embedded in Typst: the chart needs no font from the system
OUTCOME = "#1f4e79"
TARGET = "#9c4a00"
GRID = "#d9d9d9"
INK = "#333333"

PANEL_HEIGHT = 118.0
GAP = 14.0
LEGEND = 16.0
LEFT, RIGHT, TOP, BOTTOM = 34.0, 8.0, 20.0, 16.0


@dataclass(frozen=True)
class Panel:
    label: str | None  # the segment; None for a measure of one series
    years: list[int]
    values: dict[int, Decimal]
    targets: dict[int, tuple[str, Decimal]]  # year → (operator, value)


def _nice_step(span: float, ticks: int) -> float:
    raw = span / max(ticks, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(step * power for step in (1.0, 2.0, 5.0, 10.0) if step * power >= raw)


def _scale(numbers: list[float], ceiling: float | None) -> tuple[float, float, float]:
    """A y range with round ticks around the numbers, with room above and below for the
    value labels (starting at 0 when the numbers are not far from it; a share stops at
    100 %)."""
    low, high = min(numbers), max(numbers)
    if low == high:
        low, high = (low - 1, high + 1) if low != 0 else (0.0, 1.0)
    room = (high - low) * 0.18
    low = 0.0 if 0 <= low < 0.5 * high else low - room
    high += room
    step = _nice_step(high - low, 3)
    top = math.ceil(high / step) * step
    if ceiling is not None and max(numbers) <= ceiling:
        top = min(top, ceiling)
    return math.floor(low / step) * step, top, step


def _tick_decimals(step: float) -> int:
    return 0 if step >= 1 else math.ceil(-math.log10(step) - 1e-9)


def _text(x: float, y: float, content: str, *, anchor: str = "middle", size: float = 7.5,
          fill: str = INK, weight: str = "normal") -> str:  # fmt: skip
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" '
        f'font-weight="{weight}" text-anchor="{anchor}" fill="{fill}">{escape(content)}</text>'
    )


def _panel(panel: Panel, x0: float, width: float, unit_kind: str, decimals: int) -> list[str]:
    plot_left, plot_right = x0 + LEFT, x0 + width - RIGHT
    plot_top, plot_bottom = TOP, PANEL_HEIGHT - BOTTOM
    numbers = [float(v) for v in panel.values.values()]
    numbers += [float(t) for _, t in panel.targets.values()]
    low, high, step = _scale(numbers, 100.0 if unit_kind == UnitKind.PERCENT else None)
    slot = (plot_right - plot_left) / len(panel.years)

    def x_of(year: int) -> float:
        return plot_left + slot * (panel.years.index(year) + 0.5)

    def y_of(number: float) -> float:
        return plot_bottom - (number - low) / (high - low) * (plot_bottom - plot_top)

    parts: list[str] = []
    if panel.label:
        parts.append(_text(x0 + 2, 9, panel.label, anchor="start", size=8.5, weight="bold"))
    tick = low
    while tick <= high + step / 1000:
        y = y_of(tick)
        parts.append(
            f'<line x1="{plot_left:.1f}" y1="{y:.1f}" x2="{plot_right:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        label = fmt.number(round(tick, 6), _tick_decimals(step))
        parts.append(_text(plot_left - 4, y + 2.5, label, anchor="end", size=7))
        tick += step
    for year in panel.years:
        parts.append(_text(x_of(year), plot_bottom + 11, str(year), size=7.5))
    for year, (_, target) in sorted(panel.targets.items()):
        y = y_of(float(target))
        half = slot * 0.38
        parts.append(
            f'<line x1="{x_of(year) - half:.1f}" y1="{y:.1f}" x2="{x_of(year) + half:.1f}" '
            f'y2="{y:.1f}" stroke="{TARGET}" stroke-width="1.6" stroke-dasharray="4 2.5"/>'
        )
    points = [(x_of(year), y_of(float(v))) for year, v in sorted(panel.values.items())]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{OUTCOME}" stroke-width="1.6"/>'
        )
    for index, ((_, amount), (x, y)) in enumerate(
        zip(sorted(panel.values.items()), points, strict=True)
    ):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="{OUTCOME}"/>')
        # On the outer side of the line: above a dot higher than its neighbours, else below.
        neighbours = [points[i][1] for i in (index - 1, index + 1) if 0 <= i < len(points)]
        above = not neighbours or y <= sum(neighbours) / len(neighbours)
        label_y = y - 5 if above else y + 10
        parts.append(
            _text(x, label_y, fmt.value(amount, unit_kind, decimals), fill=OUTCOME, size=7.5)
        )
    return parts


def _legend(y: float) -> list[str]:
    return [
        f'<line x1="{LEFT:.1f}" y1="{y:.1f}" x2="{LEFT + 16:.1f}" y2="{y:.1f}" '
        f'stroke="{OUTCOME}" stroke-width="1.6"/>',
        f'<circle cx="{LEFT + 8:.1f}" cy="{y:.1f}" r="2.4" fill="{OUTCOME}"/>',
        _text(LEFT + 20, y + 2.5, "Utfall (heldragen linje)", anchor="start"),
        f'<line x1="{LEFT + 118:.1f}" y1="{y:.1f}" x2="{LEFT + 134:.1f}" y2="{y:.1f}" '
        f'stroke="{TARGET}" stroke-width="1.6" stroke-dasharray="4 2.5"/>',
        _text(LEFT + 138, y + 2.5, "Målvärde (streckad linje)", anchor="start"),
    ]


def _alt(name: str, panels: list[Panel], unit_kind: str, decimals: int) -> str:
    def shown(amount: Decimal) -> str:
        return fmt.value(amount, unit_kind, decimals)

    parts = []
    for panel in panels:
        outcomes = ", ".join(f"{y} {shown(v)}" for y, v in sorted(panel.values.items()))
        targets = ", ".join(
            f"{y} {fmt.OPERATORS.get(op, op)} {fmt.value(t, unit_kind, 9)}"
            for y, (op, t) in sorted(panel.targets.items())
        )
        text = f"utfall {outcomes}" if outcomes else "inga utfall"
        text += f"; målvärde {targets}" if targets else "; inget målvärde"
        parts.append(f"{panel.label}: {text}" if panel.label else text[:1].upper() + text[1:])
    years = sorted({year for panel in panels for year in panel.years})
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return f"Linjediagram, {name}, {span}. " + ". ".join(parts) + "."


def chart(
    name: str, panels: list[Panel], unit_kind: str, decimals: int, width: float = 453.0
) -> Chart | None:
    """The chart of one measure, or None when there is no outcome to show (a chart of targets
    alone says nothing the table does not)."""
    if not any(p.values for p in panels):
        return None
    panels = [p for p in panels if p.years and (p.values or p.targets)]
    per_row = 1 if len(panels) == 1 else min(len(panels), 3)
    panel_width = (width - GAP * (per_row - 1)) / per_row
    if per_row == 1:
        panel_width = min(panel_width, 300.0)
    rows = math.ceil(len(panels) / per_row)
    height = rows * PANEL_HEIGHT + (rows - 1) * GAP + LEGEND
    total_width = panel_width * per_row + GAP * (per_row - 1)
    body: list[str] = []
    for index, panel in enumerate(panels):
        row, column = divmod(index, per_row)
        body.append(f'<g transform="translate(0 {row * (PANEL_HEIGHT + GAP):.1f})">')
        body += _panel(panel, column * (panel_width + GAP), panel_width, unit_kind, decimals)
        body.append("</g>")
    body += _legend(height - 6)
    alt = _alt(name, panels, unit_kind, decimals)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.1f}pt" '
        f'height="{height:.1f}pt" viewBox="0 0 {total_width:.1f} {height:.1f}" role="img" '
        f"aria-label={quoteattr(alt)}>"
        f"<title>{escape(alt)}</title>" + "".join(body) + "</svg>"
    )
    return Chart(svg=svg, alt=alt, width=round(total_width, 1), height=round(height, 1))
