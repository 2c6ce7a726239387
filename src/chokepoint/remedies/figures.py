"""Figures for remedies: the timeline of a cutoff (``chokepoint plot --kind timeline``).

Built on :class:`matplotlib.figure.Figure` like :mod:`chokepoint.plot` (no pyplot state);
``ax=None`` in, ``(fig, ax)`` out; save with :func:`chokepoint.plot.save_figure`.
"""

from __future__ import annotations

import math

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..errors import InputError
from .timeline import TimelineResult, timeline


def _who(result: TimelineResult) -> str:
    who = ", ".join(result.countries)
    return f"{' + '.join(result.blocs)} ({who})" if result.blocs else who


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip(" ,(-/") + "…"


def plot_timeline(result=None, *, graph=None, ids=None, max_lines: int = 10, ax=None, **options):
    """Availability of each product (solid) and stockpiled node (dashed) month by month.

    Pass a :class:`~chokepoint.remedies.timeline.TimelineResult`, or ``graph=`` with the keywords
    of :func:`~chokepoint.remedies.timeline.timeline` (``countries``, ``blocs``, ``duration``,
    ``stockpile``, ``ramp``, ``ramp_share``, ``spare_capacity``, ``step``). ``ids`` picks the
    nodes drawn (default: those that run short first, at most ``max_lines``). A dot marks where
    each drawn node's shortage starts (the closed-form month). Returns ``(fig, ax)``.
    """
    if result is None:
        if graph is None:
            raise InputError("plot_timeline needs a timeline result or a graph")
        result = timeline(graph, **options)
    elif options or graph is not None:
        raise InputError("give either a timeline result or a graph with options, not both")
    table = result.table.set_index("id")
    if ids is None:
        ids = list(table.index[:max_lines])
    else:
        ids = [ids] if isinstance(ids, str) else list(ids)
        missing = [i for i in ids if i not in table.index]
        if missing:
            raise InputError(f"not in the timeline (products and stockpiled nodes): {', '.join(missing)}")
    if not ids:
        raise InputError(f"{result.graph}: no products or stockpiled nodes to draw")
    if ax is None:
        fig = Figure(figsize=(9.0, 4.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    colors = matplotlib.colormaps["tab10"]
    series = result.series
    for index, ident in enumerate(ids):
        rows = series[series["id"] == ident].sort_values("month")
        months = [*rows["month"].tolist(), result.duration]
        values = [*rows["availability"].tolist(), rows["availability"].iloc[-1]]
        row = table.loc[ident]
        style = "--" if "stockpile" in row["role"] and "product" not in row["role"] else "-"
        label = _short(str(row["label"]))
        if row["stockpile_months"] > 0:
            label += f" ({row['stockpile_months']:g} mo stock)"
        color = colors(index % 10)
        ax.step(months, values, where="post", ls=style, lw=1.8, color=color, label=label)
        start = row["months_to_shortage"]
        if start is not None and not (isinstance(start, float) and math.isnan(start)):
            ax.plot([start], [1.0], "o", color=color, ms=5, zorder=4)
    ax.axvspan(0.0, result.duration, color="#d55e00", alpha=0.06, lw=0)
    ax.set_xlim(0.0, result.duration)
    ax.set_ylim(-0.02, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("months since the cutoff began")
    ax.set_ylabel("delivered fraction of normal supply")
    extra = []
    if result.ramp is not None:
        extra.append(f"replacement ramp {result.ramp:g} months" +
                     (f", capped at {result.ramp_share:.0%}" if result.ramp_share is not None else ""))
    if result.spare_capacity:
        extra.append(f"spare capacity {result.spare_capacity:.0%}")
    title = f"{result.graph}: {_who(result)} cut off for {result.duration:g} months"
    if extra:
        title += "\n" + "; ".join(extra)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="dot: shortage starts", title_fontsize=7.5)
    return fig, ax
