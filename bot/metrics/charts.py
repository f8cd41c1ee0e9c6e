"""Dashboard charts drawn with matplotlib's Agg renderer, returned as PNG bytes.

Figures are built with the object-oriented API (no ``pyplot``), so charts can
be drawn from worker threads without touching global state. matplotlib is
imported when a chart is drawn, not when this module is imported.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import TYPE_CHECKING, Callable, Dict, Mapping, Optional, Sequence

from bot.metrics.queries import DaySentiment, SupportMetrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CHART_NAMES = ("sentiment", "escalations", "csat")
WIDTH_INCHES = 8.0
HEIGHT_INCHES = 4.2
DPI = 100
NO_DATA = "No data yet"
NEGATIVE_COLOUR = "#c0392b"
NEUTRAL_COLOUR = "#7f8c8d"
BOT_COLOUR = "#2e86de"
HUMAN_COLOUR = "#27ae60"


class UnknownChartError(KeyError):
    """No chart has this name."""


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    return figure, axes


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _no_data(axes: Axes) -> None:
    axes.text(
        0.5,
        0.5,
        NO_DATA,
        ha="center",
        va="center",
        fontsize=14,
        color=NEUTRAL_COLOUR,
        transform=axes.transAxes,
    )
    axes.set_xticks([])
    axes.set_yticks([])


def sentiment_chart(days: Sequence[DaySentiment]) -> bytes:
    """A line of the customers' average sentiment per day (-1 to 1)."""
    figure, axes = _figure()
    axes.set_title("Customer sentiment per day")
    if not days:
        _no_data(axes)
        return _png(figure)
    x = [day.day for day in days]
    axes.axhline(0.0, color=NEUTRAL_COLOUR, linewidth=0.8, linestyle="--")
    axes.plot(x, [day.average for day in days], marker="o", color=BOT_COLOUR, linewidth=2)
    axes.set_ylim(-1.05, 1.05)
    axes.set_ylabel("Average sentiment (-1 negative, 1 positive)")
    axes.set_xlabel("Day (UTC)")
    ticks = x if len(x) <= 14 else x[:: math.ceil(len(x) / 10)]
    axes.set_xticks(ticks)
    axes.set_xticklabels([day.strftime("%d %b") for day in ticks], rotation=45, ha="right")
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def escalations_chart(counts: Mapping[str, int]) -> bytes:
    """Horizontal bars: how many conversations went to a person, per reason."""
    figure, axes = _figure()
    axes.set_title("Handoffs to a person, by reason")
    if not counts:
        _no_data(axes)
        return _png(figure)
    reasons = list(counts)[::-1]
    values = [counts[reason] for reason in reasons]
    labels = [textwrap.fill(reason.capitalize(), 28) for reason in reasons]
    bars = axes.barh(labels, values, color=NEGATIVE_COLOUR)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("Handoffs")
    axes.margins(x=0.12)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def csat_chart(bot_only: Optional[float], human: Optional[float]) -> bytes:
    """Two bars: average CSAT (1-5) with the assistant alone and with a person."""
    figure, axes = _figure()
    axes.set_title("Customer satisfaction (CSAT, 1-5)")
    if bot_only is None and human is None:
        _no_data(axes)
        return _png(figure)
    labels = ["Assistant only", "With a person"]
    values = [bot_only or 0.0, human or 0.0]
    bars = axes.bar(labels, values, color=[BOT_COLOUR, HUMAN_COLOUR], width=0.5)
    axes.bar_label(
        bars,
        labels=[
            f"{value:.2f}" if value is not None else "no ratings" for value in (bot_only, human)
        ],
        padding=3,
    )
    axes.set_ylim(0, 5.4)
    axes.set_ylabel("Average rating")
    return _png(figure)


def render_chart(name: str, metrics: SupportMetrics) -> bytes:
    """Draws the chart called ``name`` (one of :data:`CHART_NAMES`).

    Raises:
        UnknownChartError: For any other name.
    """
    charts: Dict[str, Callable[[], bytes]] = {
        "sentiment": lambda: sentiment_chart(metrics.sentiment_per_day),
        "escalations": lambda: escalations_chart(metrics.escalations_by_reason),
        "csat": lambda: csat_chart(metrics.csat_bot_only, metrics.csat_human),
    }
    if name not in charts:
        raise UnknownChartError(name)
    return charts[name]()
