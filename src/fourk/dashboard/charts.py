"""Bar charts as plain geometry for server-rendered SVG (pure; no JavaScript, no library).

`bar_chart` turns one value list per series (stacked bottom to top) into rectangles, a y
axis rounded up to a number people read at a glance (1, 2, 2.5 or 5 times a power of ten)
and a few date labels. The template draws them and gives every day a <title> tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH = 480
HEIGHT = 160
LEFT = 40  # room for the y labels
TOP = 10
BOTTOM = 28  # room for the date labels
RIGHT = 6


@dataclass(frozen=True, slots=True)
class Segment:
    series: int  # index of the series (its colour)
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    values: tuple[int, ...]  # one per series
    x: float
    width: float
    slot_x: float  # the whole column (the hover and tooltip area)
    slot_width: float
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right: float  # x where the plot ends
    top: float  # y of the axis' top value
    baseline: float  # y of zero
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]
    total: int

    @property
    def empty(self) -> bool:
        return self.total == 0


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is at least `value` (at least 1)."""
    if value <= 1:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 2.5, 5):
            if step * scale >= value and float(step * scale).is_integer():
                return int(step * scale)
        scale *= 10


def compact(number: float) -> str:
    """1234 → 1.2k, 5600000 → 5.6M (for axis labels and headline numbers)."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(number) >= size:
            text = f"{number / size:.1f}".removesuffix(".0")
            return text + suffix
    return f"{number:g}"


def compact_dollars(micro: float) -> str:
    """Micro-dollars for an axis: 2_500_000 → $2.5, 50_000 → $0.05, 1.5e9 → $1.5k."""
    dollars = Decimal(int(micro)).scaleb(-6)
    if abs(dollars) >= 1000:
        return "$" + compact(float(dollars))
    return "$" + format(dollars.normalize(), "f")


def bar_chart(
    days: Sequence[date],
    series: Sequence[Sequence[int]],
    label: Callable[[float], str] = compact,
) -> Chart:
    """Stacked bars, one per day; `series[i][d]` is series i's value on days[d]. `label`
    writes the y axis' values (money charts pass a formatter of micro-dollars)."""
    totals = [sum(values[d] for values in series) for d in range(len(days))]
    top = nice_ceiling(max(totals, default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bars = []
    for d, day in enumerate(days):
        y = baseline
        segments = []
        for s, values in enumerate(series):
            height = values[d] / top * plot_height
            if height > 0:
                y -= height
                segments.append(Segment(s, round(y, 2), round(height, 2)))
        x = LEFT + d * slot
        bars.append(
            Bar(
                day=day,
                values=tuple(values[d] for values in series),
                x=round(x + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                slot_x=round(x, 2),
                slot_width=round(slot, 2),
                segments=tuple(segments),
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=float(WIDTH - RIGHT),
        top=float(TOP),
        baseline=baseline,
        bars=tuple(bars),
        ticks=tuple(
            Tick(round(baseline - share * plot_height, 2), label(top * share))
            for share in (0, 0.5, 1)
            if float(top * share).is_integer()
        ),
        labels=_date_labels(days, slot),
        total=sum(totals),
    )


def _date_labels(days: Sequence[date], slot: float) -> tuple[Label, ...]:
    """Every seventh day counted back from the last one, as MM-DD."""
    last = len(days) - 1
    return tuple(
        Label(round(LEFT + d * slot + slot / 2, 2), days[d].strftime("%m-%d"))
        for d in range(last, -1, -7)
    )
