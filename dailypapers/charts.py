"""Charts drawn with matplotlib on the server: topic trends as SVG for the web page, PNG for the CLI.

No JavaScript and no CDN: the page inlines the SVG. Output is deterministic (fixed hash salt, no dates in
the metadata) and safe to inline: text stays `<text>` that matplotlib escapes, math parsing is off (a `$`
in a query is just a dollar), and the prologue and the global `<style>` matplotlib writes are dropped.
"""

from __future__ import annotations

import io
import re

LEGEND_CHARS = 40  # a long query is shortened in the legend; the table below the chart shows it whole
STYLE = {"svg.hashsalt": "dailypapers", "svg.fonttype": "none", "text.usetex": False, "font.size": 10,
         "axes.spines.top": False, "axes.spines.right": False}
_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style>", re.S)


def _label(text: str) -> str:
    return text if len(text) <= LEGEND_CHARS else text[:LEGEND_CHARS - 1] + "…"


def trend_chart(months: list[str], series: list[tuple[str, list[float]]], fmt: str = "svg") -> bytes:
    """A line per (query, shares of papers per month), shares as percentages; `fmt` is svg or png."""
    # deferred: matplotlib takes a noticeable time to import, and only charts need it
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.use("Agg")  # no display, ever: a server draws into files

    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(8, 4), dpi=100, layout="constrained")
        axes = figure.subplots()
        positions = range(len(months))
        lines = [axes.plot(positions, [100 * share for share in shares], marker="o", markersize=3, linewidth=2)[0]
                 for _, shares in series]
        step = max(1, len(months) // 12)  # at most about a dozen month labels
        axes.set_xticks(list(positions)[::step], months[::step], rotation=45, ha="right")
        axes.set_ylabel("share of the month's papers (%)")
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", alpha=0.3)
        # Above the plot, not over the lines: a share can reach 100%.
        legend = figure.legend(lines, [_label(query) for query, _ in series], loc="outside upper left",
                               ncols=min(len(series), 2), frameon=False)
        for text in legend.get_texts():
            text.set_parse_math(False)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    data = buffer.getvalue()
    if fmt == "svg":
        data = _STYLE_ELEMENT.sub("", _PROLOGUE.sub("", data.decode(), count=1), count=1).encode()
    return data
