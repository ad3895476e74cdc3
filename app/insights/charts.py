"""Server-rendered SVG charts: geometry computed here, drawn by templates/insights/_charts.html.

No JavaScript and no inline styles (CSP): series colours are CSS classes (chart-series-N in
static/css/app.css).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 40, 28, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Line:
    name: str
    points: str  # "x,y x,y ..." for <polyline points=...>
    css: str
    total: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    max_value: int
    bars: list[Bar]
    lines: list[Line]
    x_labels: list[tuple[float, str]]
    baseline: float


def _scale(max_value: int) -> tuple[float, int]:
    top = max(1, max_value)
    return (HEIGHT - PAD_BOTTOM - PAD_TOP) / top, top


def bar_chart(items: list[tuple[str, int]]) -> Chart:
    unit, top = _scale(max((v for _, v in items), default=0))
    slot = (WIDTH - PAD_LEFT) / max(1, len(items))
    baseline = HEIGHT - PAD_BOTTOM
    bars = [
        Bar(
            x=round(PAD_LEFT + i * slot + slot * 0.15, 1),
            y=round(baseline - value * unit, 1),
            width=round(slot * 0.7, 1),
            height=round(value * unit, 1),
            label=label,
            value=value,
        )
        for i, (label, value) in enumerate(items)
    ]
    labels = [(round(b.x + b.width / 2, 1), b.label) for b in bars]
    return Chart(WIDTH, HEIGHT, top, bars, [], labels, baseline)


def line_chart(series: dict[str, list[int]], x_labels: list[str]) -> Chart:
    values = [v for points in series.values() for v in points]
    unit, top = _scale(max(values, default=0))
    count = max(1, len(x_labels) - 1)
    step = (WIDTH - PAD_LEFT - 10) / count
    baseline = HEIGHT - PAD_BOTTOM
    lines = [
        Line(
            name=name,
            points=" ".join(
                f"{round(PAD_LEFT + i * step, 1)},{round(baseline - v * unit, 1)}"
                for i, v in enumerate(points)
            ),
            css=f"chart-series-{n % 5}",
            total=sum(points),
        )
        for n, (name, points) in enumerate(series.items())
    ]
    every = max(1, len(x_labels) // 6)
    labels = [
        (round(PAD_LEFT + i * step, 1), label) for i, label in enumerate(x_labels) if i % every == 0
    ]
    return Chart(WIDTH, HEIGHT, top, [], lines, labels, baseline)
