"""Server-side charts: horizontal bar and stacked-bar charts as inline SVG.

No script and no inline style (the pages' content security policy allows neither):
colours come from classes in app.css (``svg.chart .s0`` ...). Every chart is a
``<figure>`` holding an ``<svg role="img">`` with an ``aria-label`` and a ``<title>``
that say what it shows, then the same numbers as a table, so a screen reader, a
text browser or a printout loses nothing. Every text is escaped here: labels come
from data (failure codes, categories) and are never trusted as markup.

Horizontal bars with each label on its own line above its bar: labels (categories,
failure codes, in Chinese or English) are long, and a phone screen is narrow. The
drawing is 400 units wide, so on a phone its text stays close to its set size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400
LEFT = 4
RIGHT_PAD = 56  # room for the value printed after the longest bar
LABEL_HEIGHT = 16  # a bar's label line above it
BAR_HEIGHT = 16
ROW_GAP = 10
TOP = 22  # the category axis's name
AXIS_HEIGHT = 44
VALUE_GAP = 4
LABEL_UNITS = 54  # Latin characters that fit on a label line (a CJK one counts two)
SERIES_CLASSES = 6


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value (an int) and, optionally, how to print the value."""

    label: str
    value: int
    shown: str | None = None

    @property
    def text(self) -> str:
        return self.shown if self.shown is not None else str(self.value)


@dataclass(frozen=True, slots=True)
class Series:
    """One layer of a stacked chart: its name, one value per category (in order) and,
    optionally, a tone (``ok``, ``bad``, ``muted``) for layers whose colour means something."""

    label: str
    values: tuple[int, ...]
    tone: str = ""

    def css(self, number: int) -> str:
        return f"s{number % SERIES_CLASSES}" + (f" tone-{self.tone}" if self.tone else "")


@dataclass(frozen=True, slots=True)
class Labels:
    """The words around a chart, in the page's language."""

    title: str
    value_axis: str
    category_axis: str
    table: str  # the summary of the data-table fallback ("Data table")
    empty: str  # shown instead of a chart with nothing to draw


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k that is at least ``value`` (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _ticks(top: int) -> list[int]:
    """Tick values from 0 to ``top``: quarters when they are whole, else halves or ends."""
    parts = next(n for n in (4, 2, 1) if top % n == 0)
    return [top * i // parts for i in range(parts + 1)]


def _x(value: int, top: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT_PAD) * value / top


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _axis(top: int, y: int, labels: Labels) -> list[str]:
    parts = [f'<line class="axis" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT_PAD}" y2="{y}"/>']
    for tick in _ticks(top):
        x = _fmt(_x(tick, top))
        parts.append(f'<line class="tick" x1="{x}" y1="{y}" x2="{x}" y2="{y + 4}"/>')
        anchor = "start" if tick == 0 else "middle"
        parts.append(f'<text x="{x}" y="{y + 17}" text-anchor="{anchor}">{tick}</text>')
    middle = _fmt((LEFT + WIDTH - RIGHT_PAD) / 2)
    parts.append(
        f'<text class="axis-label" x="{middle}" y="{y + 36}" text-anchor="middle">'
        f"{escape(labels.value_axis)}</text>"
    )
    return parts


def _svg(height: int, aria: str, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{escape(aria)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _short(label: str, limit: int = LABEL_UNITS) -> str:
    """``label`` cut to fit its line: a CJK character is about two Latin ones wide."""
    used = 0
    for index, char in enumerate(label):
        used += 2 if ord(char) >= 0x2E80 else 1
        if used > limit:
            return label[: max(index - 1, 1)] + "…"
    return label


def _row_label(label: str, y: int) -> str:
    return f'<text class="bar-label" x="{LEFT}" y="{y + LABEL_HEIGHT - 4}">{escape(_short(label))}</text>'


def _category_axis(labels: Labels) -> str:
    return (
        f'<text class="axis-label" x="{LEFT}" y="{TOP - 8}">{escape(labels.category_axis)}</text>'
    )


def bar_chart(bars: Sequence[Bar], labels: Labels) -> Markup:
    """A horizontal bar chart of ``bars`` (in the order given) with its data table."""
    if not bars or all(b.value == 0 for b in bars):
        return Markup('<p class="empty">{}</p>').format(labels.empty)
    top = nice_ceiling(max(b.value for b in bars))
    body: list[str] = [_category_axis(labels)]
    y = TOP
    for bar in bars:
        bar_y = y + LABEL_HEIGHT
        end = _x(bar.value, top)
        body.append(
            _row_label(bar.label, y)
            + f'<rect class="bar s0" x="{LEFT}" y="{bar_y}" width="{_fmt(end - LEFT)}" '
            f'height="{BAR_HEIGHT}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text class="value" x="{_fmt(end + VALUE_GAP)}" y="{bar_y + BAR_HEIGHT - 3}">'
            f"{escape(bar.text)}</text>"
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    body.extend(_axis(top, y, labels))
    summary = "; ".join(f"{b.label}: {b.text}" for b in bars)
    svg = _svg(y + AXIS_HEIGHT, f"{labels.title}. {summary}", labels.title, body)
    rows = "".join(
        f'<tr><th scope="row">{escape(b.label)}</th><td class="num">{escape(b.text)}</td></tr>'
        for b in bars
    )
    table = (
        f"<details><summary>{escape(labels.table)}</summary><table>"
        f'<thead><tr><th scope="col">{escape(labels.category_axis)}</th>'
        f'<th scope="col" class="num">{escape(labels.value_axis)}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
    )
    return Markup(f'<figure class="chart">{svg}{table}</figure>')  # noqa: S704 - every text escaped above


def stacked_bar_chart(
    categories: Sequence[str], series: Sequence[Series], labels: Labels
) -> Markup:
    """One horizontal bar per category, split into ``series`` (with a legend and table)."""
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("each series needs one value per category")
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    if not categories or not any(totals):
        return Markup('<p class="empty">{}</p>').format(labels.empty)
    top = nice_ceiling(max(totals))
    body: list[str] = [_category_axis(labels)]
    y = TOP
    for index, category in enumerate(categories):
        bar_y = y + LABEL_HEIGHT
        body.append(_row_label(category, y))
        start = 0
        for number, layer in enumerate(series):
            value = layer.values[index]
            if value:
                x0, x1 = _x(start, top), _x(start + value, top)
                body.append(
                    f'<rect class="bar {layer.css(number)}" x="{_fmt(x0)}" y="{bar_y}" '
                    f'width="{_fmt(x1 - x0)}" height="{BAR_HEIGHT}"><title>{escape(category)}, '
                    f"{escape(layer.label)}: {value}</title></rect>"
                )
            start += value
        body.append(
            f'<text class="value" x="{_fmt(_x(totals[index], top) + VALUE_GAP)}" '
            f'y="{bar_y + BAR_HEIGHT - 3}">{totals[index]}</text>'
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    body.extend(_axis(top, y, labels))
    summary = "; ".join(
        f"{category}: " + ", ".join(f"{layer.label} {layer.values[i]}" for layer in series)
        for i, category in enumerate(categories)
    )
    svg = _svg(y + AXIS_HEIGHT, f"{labels.title}. {summary}", labels.title, body)
    legend = "".join(
        f'<li><span class="swatch {layer.css(n)}" aria-hidden="true"></span>'
        f"{escape(layer.label)}</li>"
        for n, layer in enumerate(series)
    )
    head = "".join(f'<th scope="col" class="num">{escape(layer.label)}</th>' for layer in series)
    rows = "".join(
        f'<tr><th scope="row">{escape(category)}</th>'
        + "".join(f'<td class="num">{layer.values[i]}</td>' for layer in series)
        + "</tr>"
        for i, category in enumerate(categories)
    )
    table = (
        f"<details><summary>{escape(labels.table)}</summary><table>"
        f'<thead><tr><th scope="col">{escape(labels.category_axis)}</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
    )
    return Markup(  # noqa: S704 - every text escaped above
        f'<figure class="chart">{svg}<ul class="legend">{legend}</ul>{table}</figure>'
    )
