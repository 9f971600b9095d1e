"""The SVG charts: well-formed markup, bars proportional to their counts, labels escaped, an
accessible name and description, and empty data drawn without failing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from workers.console.charts import Day, daily_bars, funnel_bars, nice_max

NS = {"s": "http://www.w3.org/2000/svg"}
SERIES = ("sent", "held", "blocked")


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def bars(root: ET.Element) -> list[ET.Element]:
    """The data bars (a rect with a title), not the legend's swatches."""
    return [r for r in root.iter("{http://www.w3.org/2000/svg}rect")
            if r.find("s:title", NS) is not None]


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10),
                                            (10, 10), (11, 20), (99, 100), (501, 1000)])
def test_nice_max(value: int, top: int) -> None:
    assert nice_max(value) == top


def days(*counts: dict[str, int]) -> list[Day]:
    first = date(2026, 12, 1)
    return [Day(first + timedelta(days=i), c) for i, c in enumerate(counts)]


def test_daily_bars_stack_each_day_in_proportion() -> None:
    svg = parse(daily_bars(days({"sent": 4, "held": 1}, {}, {"sent": 2, "blocked": 3}),
                           SERIES, title="Replies", chart_id="r"))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "r-title r-desc"
    assert svg.find("s:title", NS).text == "Replies"  # type: ignore[union-attr]
    assert "sent: 6, held: 1, blocked: 3 over 3 days" in svg.find("s:desc", NS).text  # type: ignore[union-attr,operator]
    drawn = bars(svg)
    assert [r.find("s:title", NS).text for r in drawn] == [  # type: ignore[union-attr]
        "2026-12-01: 4 sent", "2026-12-01: 1 held", "2026-12-03: 2 sent",
        "2026-12-03: 3 blocked"]
    heights = [float(r.get("height", "0")) for r in drawn]
    # the axis' top is 5 (the tallest day holds 5): 4 of 5 and 1 of 5 of the plot's height
    assert heights[0] == pytest.approx(4 * heights[1])
    assert heights[2] + heights[3] == pytest.approx(heights[0] + heights[1])
    # stacked: the held bar sits on the sent bar
    assert float(drawn[1].get("y", "0")) + heights[1] == pytest.approx(
        float(drawn[0].get("y", "0")))


def test_daily_bars_of_nothing() -> None:
    svg = parse(daily_bars(days({}, {}), SERIES, title="Replies", chart_id="r"))
    assert bars(svg) == []
    assert "sent: 0" in svg.find("s:desc", NS).text  # type: ignore[union-attr,operator]
    parse(daily_bars([], SERIES, title="Replies", chart_id="r"))


def test_labels_and_titles_are_escaped() -> None:
    markup = funnel_bars([("<script>alert(1)</script>", 3), ("a & b", 1)],
                         title='Funnel "x" <y>', chart_id="f")
    assert "<script>" not in markup
    svg = parse(markup)  # still well-formed
    assert svg.find("s:title", NS).text == 'Funnel "x" <y>'  # type: ignore[union-attr]
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>alert(1)</script>" in texts and "a & b" in texts


def test_funnel_bars_in_proportion_to_the_widest() -> None:
    svg = parse(funnel_bars([("new", 10), ("texted", 5), ("booked", 0)], title="F",
                            chart_id="f"))
    widths = [float(r.get("width", "0")) for r in bars(svg)]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    assert [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")][-1] == "0"
    parse(funnel_bars([], title="F", chart_id="f"))
