"""Charts as inline SVG, drawn on the server (pure functions returning markup): no script and
no build step, readable by a screen reader (`role="img"` with a title and a description, the
numbers also as text) and not by colour alone (a legend names each series, and each bar's
`<title>` says what it counts).

`daily_bars`: stacked bars per day (replies sent, held, blocked over the last 14 days);
`funnel_bars`: one horizontal bar per funnel stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

# Colours with at least 4.5:1 contrast on white (WCAG AA for the text drawn in them too).
SERIES_COLOURS: Mapping[str, str] = {"sent": "#1a7f37", "held": "#9a6700",
                                     "blocked": "#cf222e"}
FUNNEL_COLOUR = "#0550ae"
TEXT_COLOUR = "#1f2328"


@dataclass(frozen=True)
class Day:
    day: date
    counts: Mapping[str, int]  # series name -> count


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _opening(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    """A chart's `<svg>` with its title and description, which name it for screen readers."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{_text(chart_id)}-title {_text(chart_id)}-desc">',
        f'<title id="{_text(chart_id)}-title">{_text(title)}</title>',
        f'<desc id="{_text(chart_id)}-desc">{_text(desc)}</desc>',
    ]


def nice_max(value: int) -> int:
    """The axis' top: the smallest of 1, 2, 5 x 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def daily_bars(days: Sequence[Day], series: Sequence[str], *, title: str,
               chart_id: str, width: int = 640, height: int = 220) -> Markup:
    """Stacked bars, one per day, the `series` bottom to top, with the days' labels below
    and the axis' top on the left."""
    left, right, top, bottom, legend = 36, 8, 8, 40, 18
    plot_w, plot_h = width - left - right, height - top - bottom - legend
    peak = nice_max(max((sum(d.counts.get(s, 0) for s in series) for d in days), default=0))
    total = {s: sum(d.counts.get(s, 0) for d in days) for s in series}
    desc = ", ".join(f"{s}: {total[s]}" for s in series) + f" over {len(days)} days"
    parts = [
        *_opening(chart_id, title, desc, width, height),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">0</text>',
    ]
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y = float(top + plot_h)
        for s in series:
            n = d.counts.get(s, 0)
            if n <= 0:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{SERIES_COLOURS.get(s, FUNNEL_COLOUR)}">'
                f'<title>{_text(d.day.isoformat())}: {n} {_text(s)}</title></rect>')
        if len(days) <= 16 or i % 2 == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'font-size="10" fill="{TEXT_COLOUR}">{d.day:%m-%d}</text>')
    lx = left
    for s in series:
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" '
                     f'fill="{SERIES_COLOURS.get(s, FUNNEL_COLOUR)}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 5}" font-size="11" '
                     f'fill="{TEXT_COLOUR}">{_text(s)} ({total[s]})</text>')
        lx += 14 + 8 * (len(s) + len(str(total[s])) + 3)
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel_bars(stages: Sequence[tuple[str, int]], *, title: str, chart_id: str,
                width: int = 640, row: int = 26) -> Markup:
    """One horizontal bar per stage, as long as its count against the first stage's (the
    widest), labelled with the stage and its count."""
    label_w, count_w = 150, 48
    plot_w = width - label_w - count_w
    height = row * len(stages) + 8
    peak = max((n for _, n in stages), default=0) or 1
    desc = ", ".join(f"{name}: {n}" for name, n in stages) or "no leads"
    parts = [
        *_opening(chart_id, title, desc, width, height),
    ]
    for i, (name, n) in enumerate(stages):
        y = 4 + i * row
        w = plot_w * n / peak
        parts.append(f'<text x="{label_w - 6}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="{TEXT_COLOUR}">{_text(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                     f'fill="{FUNNEL_COLOUR}"><title>{_text(name)}: {n}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}" '
                     f'font-size="12" fill="{TEXT_COLOUR}">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
