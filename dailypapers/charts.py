"""Charts drawn with matplotlib on the server: topic trends as SVG for the web page, PNG for the CLI.

No JavaScript and no CDN: the page inlines the SVG. Output is deterministic (fixed hash salt, no dates in
the metadata) and safe to inline: text stays `<text>` that matplotlib escapes, math parsing is off (a `$`
in a query is just a dollar), and the prologue and the global `<style>` matplotlib writes are dropped.

The SVG takes the page's colours: it is drawn in stand-in colours that are then replaced by `currentColor`
(text, axes) and `var(--chart-N, fallback)` (the lines), so it follows dark mode; its background is
transparent. It carries role="img" and a title that says what it shows.
"""

from __future__ import annotations

import io
import math
import re
from html import escape
from typing import TYPE_CHECKING

from dailypapers.validators import xml_safe

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

LEGEND_CHARS = 40  # a long query is shortened in the legend; the table below the chart shows it whole
STYLE: dict[RcKeyType, object] = {
    "svg.hashsalt": "dailypapers",
    "svg.fonttype": "none",
    "text.usetex": False,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Line colours readable on light and dark backgrounds alike (the PNG and a standalone SVG use them as they are).
PALETTE = ("#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed")
_INK = "#010203"  # stand-in for the text colour; no real chart uses it
_STAND_INS = tuple(f"#0102{i + 4:02x}" for i in range(len(PALETTE)))
_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style>", re.S)


def _label(text: str) -> str:
    text = xml_safe(text)  # matplotlib escapes markup, not the characters XML 1.0 forbids
    return text if len(text) <= LEGEND_CHARS else text[: LEGEND_CHARS - 1] + "…"


def _colour_svg(svg: str) -> str:
    """The stand-in colours become the page's: currentColor for ink, a CSS variable (with a fallback) per line."""
    svg = svg.replace(_INK, "currentColor")
    for i, (stand_in, colour) in enumerate(zip(_STAND_INS, PALETTE, strict=True)):
        svg = svg.replace(stand_in, f"var(--chart-{i + 1}, {colour})")
    return svg


def _label_svg(svg: str, title: str) -> str:
    """role="img", an accessible name and a <title>: a screen reader hears what the chart shows."""
    text = escape(xml_safe(title), quote=True)
    return re.sub(
        r"<svg\b([^>]*)>", lambda m: f'<svg{m[1]} role="img" aria-label="{text}"><title>{text}</title>', svg, count=1
    )


def trend_chart(
    months: list[str], series: list[tuple[str, list[float | None]]], fmt: str = "svg", title: str = ""
) -> bytes:
    """A line per (query, shares of papers per month), shares as percentages, None for a month without papers
    (a gap in the line); `fmt` is svg or png; `title` names the SVG for screen readers."""
    # deferred: matplotlib takes a noticeable time to import, and only charts need it
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.use("Agg")  # no display, ever: a server draws into files

    svg = fmt == "svg"
    ink = _INK if svg else "#16181d"
    colours = _STAND_INS if svg else PALETTE
    style: dict[RcKeyType, object] = {
        **STYLE,
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.edgecolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "grid.color": ink,
    }
    with matplotlib.rc_context(style):
        figure = Figure(figsize=(8, 4), dpi=100, layout="constrained")
        if svg:
            figure.patch.set_alpha(0)  # the page's background shows through, light or dark
        axes = figure.subplots()
        axes.patch.set_alpha(0)
        positions = range(len(months))
        lines = [
            axes.plot(
                positions,
                [math.nan if share is None else 100 * share for share in shares],
                marker="o",
                markersize=4,
                linewidth=2,
                color=colours[i % len(colours)],
            )[0]
            for i, (_, shares) in enumerate(series)
        ]
        step = max(1, len(months) // 12)  # at most about a dozen month labels
        axes.set_xticks(list(positions)[::step], months[::step], rotation=45, ha="right")
        axes.set_ylabel("share of the month's papers (%)")
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", alpha=0.3)
        # Above the plot, not over the lines: a share can reach 100%.
        legend = figure.legend(
            lines,
            [_label(query) for query, _ in series],
            loc="outside upper left",
            ncols=min(len(series), 2),
            frameon=False,
        )
        for text in legend.get_texts():
            text.set_parse_math(False)
        buffer = io.BytesIO()
        metadata = {"Date": None} if svg else {"Software": None}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    data = buffer.getvalue()
    if svg:
        svg_text = _STYLE_ELEMENT.sub("", _PROLOGUE.sub("", data.decode(), count=1), count=1)
        data = _label_svg(_colour_svg(svg_text), title or "Topic trends chart").encode()
    return data


def map_chart(
    xy: list[tuple[float, float]],
    cluster: list[int],
    labels: list[tuple[float, float, str]],
    fmt: str = "svg",
    title: str = "",
) -> bytes:
    """A map of papers: a dot per paper at `xy` coloured by its cluster, each cluster's label (x, y, text) at its
    centre; `fmt` is svg or png; `title` names the SVG for screen readers."""
    # deferred: matplotlib takes a noticeable time to import, and only charts need it
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.use("Agg")
    svg = fmt == "svg"
    ink = _INK if svg else "#16181d"
    colours = [_STAND_INS[i % len(_STAND_INS)] if svg else PALETTE[i % len(PALETTE)] for i in cluster]
    with matplotlib.rc_context({**STYLE, "text.color": ink}):
        figure = Figure(figsize=(8, 8), dpi=100, layout="constrained")
        if svg:
            figure.patch.set_alpha(0)
        axes = figure.subplots()
        axes.set_axis_off()
        if xy:
            xs, ys = zip(*xy, strict=True)
            axes.scatter(xs, ys, s=6 if len(xy) > 2000 else 14, c=colours, alpha=0.75, linewidths=0)
        for x, y, text in labels:
            label = axes.text(x, y, _label(text), ha="center", va="center", fontsize=9, fontweight="bold")
            label.set_parse_math(False)
        axes.set_xlim(-0.02, 1.02)
        axes.set_ylim(-0.02, 1.02)
        axes.invert_yaxis()  # the same way up as the page's map, whose y grows downwards
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, metadata={"Date": None} if svg else {"Software": None})
    data = buffer.getvalue()
    if svg:
        svg_text = _STYLE_ELEMENT.sub("", _PROLOGUE.sub("", data.decode(), count=1), count=1)
        data = _label_svg(_colour_svg(svg_text), title or "Map of papers").encode()
    return data
