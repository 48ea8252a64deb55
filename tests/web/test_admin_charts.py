"""Server-side SVG charts (web/charts.py): accessible, escaped, and honest about scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from walletdesk.web.charts import Bar, Labels, Series, bar_chart, nice_ceiling, stacked_bar_chart

LABELS = Labels(
    title="Tickets by channel",
    value_axis="Tickets",
    category_axis="Channel",
    table="Data table",
    empty="Nothing here.",
)
SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup: str) -> ET.Element:
    # The figure is well-formed XML (HTML5 allows the SVG namespace to be implied).
    return ET.fromstring(markup.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_a_bar_chart_is_an_image_with_a_label_and_a_table_of_the_same_numbers() -> None:
    figure = parsed(str(bar_chart([Bar("Email", 3), Bar("Phone", 1)], LABELS)))
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Tickets by channel. Email: 3; Phone: 1"
    assert svg.findtext(f"{SVG}title") == "Tickets by channel"
    rows = figure.findall(".//tbody/tr")
    assert [(r.findtext("th"), r.findtext("td")) for r in rows] == [("Email", "3"), ("Phone", "1")]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Tickets" in texts
    assert "Channel" in texts


def test_bars_are_drawn_to_scale_against_a_round_axis() -> None:
    svg = parsed(str(bar_chart([Bar("a", 40), Bar("b", 10)], LABELS))).find(f"{SVG}svg")
    assert svg is not None
    widths = [float(r.get("width", "0")) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(4 * widths[1])
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") is None]
    assert ticks == ["0", "25", "50"]


def test_labels_from_data_are_escaped_everywhere() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    markup = str(bar_chart([Bar(hostile, 2, shown="<b>2</b>")], LABELS))
    assert "<script>" not in markup
    assert "<b>" not in markup
    assert "&lt;script&gt;" in markup
    parsed(markup)  # still well-formed


def test_long_and_chinese_labels_are_shortened_only_in_the_drawing() -> None:
    long_label = "账户安全与异常登录处理问题汇总说明" * 2  # 34 characters, 68 units wide
    markup = str(bar_chart([Bar(long_label, 1), Bar("Refunds", 1)], LABELS))
    drawn = re.findall(r'class="bar-label"[^>]*>([^<]*)</text>', markup)
    assert drawn[1] == "Refunds"
    assert drawn[0].endswith("…")
    assert len(drawn[0]) < len(long_label)
    assert f'<th scope="row">{long_label}</th>' in markup  # the table keeps it whole


def test_nothing_to_draw_says_so_instead_of_an_empty_chart() -> None:
    assert str(bar_chart([], LABELS)) == '<p class="empty">Nothing here.</p>'
    assert str(bar_chart([Bar("a", 0)], LABELS)) == '<p class="empty">Nothing here.</p>'
    empty = stacked_bar_chart(["First reply"], [Series("Met", (0,))], LABELS)
    assert str(empty) == '<p class="empty">Nothing here.</p>'


def test_a_stacked_chart_has_a_legend_a_segment_per_layer_and_the_totals() -> None:
    markup = str(
        stacked_bar_chart(
            ["First reply", "Resolution"],
            [Series("Met", (3, 1), "ok"), Series("Breached", (1, 0), "bad")],
            LABELS,
        )
    )
    figure = parsed(markup)
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert "First reply: Met 3, Breached 1" in (svg.get("aria-label") or "")
    segments = [r.get("class") for r in svg.iter(f"{SVG}rect")]
    assert segments == ["bar s0 tone-ok", "bar s1 tone-bad", "bar s0 tone-ok"]  # no empty one
    legend = [li.find("span") for li in figure.iter("li")]
    assert [span.tail for span in legend if span is not None] == ["Met", "Breached"]
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "value"] == ["4", "1"]
    with pytest.raises(ValueError, match="one value per category"):
        stacked_bar_chart(["a", "b"], [Series("x", (1,))], LABELS)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (11, 20), (480, 500)]
)
def test_the_axis_ends_at_a_round_number(value: int, expected: int) -> None:
    assert nice_ceiling(value) == expected
