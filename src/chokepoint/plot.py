"""Figures for reports: the supply network, country exposure, the sweep matrix, the 65% target.

The only module that imports matplotlib. Figures are built on :class:`matplotlib.figure.Figure`
(no pyplot state, no display needed: safe on the Agg backend and in servers). Every ``plot_*``
takes ``ax=None`` and returns ``(fig, ax)``; :func:`save_figure` writes PNG, SVG or PDF atomically.
"""

from __future__ import annotations

import io as _io
import textwrap
from pathlib import Path

import matplotlib
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .analysis.scenarios import exposure
from .api import cutoff, find_chokepoints, sweep, target
from .errors import InputError
from .formats.exchange import KIND_COLORS, KIND_ORDER
from .formats.files import FIGURE_SUFFIXES, GENERATOR, atomic_write, check_overwrite
from .formats.graphs import load_graph
from .formats.layout import layered_layout
from .model import DEFAULT_THRESHOLD, Graph

KINDS = ("network", "exposure", "sweep", "target")
KIND_MARKERS = {"country": "s", "facility": "D", "material": "h", "component": "o", "product": "p"}
KIND_PLURAL = {"country": "countries", "facility": "facilities", "material": "materials",
               "component": "components", "product": "products"}
STATUS_COLORS = {"fail": "#D55E00", "undetermined": "#E69F00", "pass": "#009E73"}
AVAILABILITY_CMAP = "RdYlGn"


def _graph(graph) -> Graph:
    return graph if isinstance(graph, Graph) else load_graph(graph)


def _figure(ax, size):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def shorten(text: str, width: int = 30) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (labels stay legible)."""
    return text if len(text) <= width else text[: width - 1].rstrip(" ,(-/") + "…"


def _country(g: Graph, code: str) -> str:
    return f"{code} ({shorten(g.label(code), 16)})" if code in g.nodes else code


def _title(g: Graph, what: str, width: int = 60) -> str:
    return "\n".join(textwrap.wrap(f"{g.title}:", width) + [what])


def _who(result) -> str:
    who = ", ".join(result.countries)
    return f"{' + '.join(result.blocs)} ({who})" if result.blocs else who


# --- network ----------------------------------------------------------------------------------

def plot_network(graph, *, with_cutoff=(), blocs=(), ax=None, label_width: int = 30):
    """The supply network drawn in layers: countries left, then facilities, materials, components,
    products right. Nodes are coloured by kind and sized by chokepoint score; with a cutoff they
    are filled by availability (colourbar) and outlined by kind. Supplies edges are as thick as the
    share; requires edges are dark.
    """
    g = _graph(graph)
    layout = layered_layout(g)
    ncols = 1 + max(c for c, _ in layout.values())
    tallest = max(sum(1 for c, _ in layout.values() if c == col) for col in range(ncols))
    fig, ax = _figure(ax, (max(8.0, 2.0 * ncols + 1.0), min(24.0, max(5.0, 0.5 * tallest + 2.0))))
    pos = {n: (float(c), 1.0 - y) for n, (c, y) in layout.items()}

    supplies = [e for e in g.document.edges if e.type == "supplies"]
    requires = [e for e in g.document.edges if e.type == "requires"]
    ax.add_collection(LineCollection([(pos[e.from_], pos[e.to]) for e in supplies],
                                     linewidths=[0.4 + 3.0 * e.share.point for e in supplies],
                                     colors="#9aa5b1", alpha=0.7, zorder=1))
    ax.add_collection(LineCollection([(pos[e.from_], pos[e.to]) for e in requires],
                                     linewidths=1.0, colors="#4d4d4d", alpha=0.8, zorder=1))

    score = find_chokepoints(g).set_index("id")["score"].to_dict()
    top = max(score.values(), default=0.0) or 1.0
    avail, result = None, None
    if with_cutoff or blocs:
        result = cutoff(g, countries=tuple(with_cutoff), blocs=tuple(blocs))
        avail = result.nodes.set_index("id")["availability"].to_dict()
    norm = Normalize(0.0, 1.0)
    mappable = None
    # Products have no score (nothing depends on them): a fixed size that shows their fill.
    size = {n: 220.0 if g.nodes[n].kind == "product" else 110.0 + 500.0 * score.get(n, 0.0) / top
            for n in g.nodes}
    for kind in KIND_ORDER:
        ids = [n for n in g.nodes if g.nodes[n].kind == kind]
        if not ids:
            continue
        sizes = [size[n] for n in ids]
        xy = [pos[n] for n in ids]
        common = dict(s=sizes, marker=KIND_MARKERS[kind], zorder=3)
        if avail is None:
            ax.scatter(*zip(*xy), c=KIND_COLORS[kind], edgecolors="white", linewidths=0.8, **common)
        else:
            mappable = ax.scatter(*zip(*xy), c=[avail[n] for n in ids], cmap=AVAILABILITY_CMAP, norm=norm,
                                  edgecolors=KIND_COLORS[kind], linewidths=2.0, **common)
    # Label size follows the room between nodes of the densest column; too dense: no labels.
    room = fig.get_figheight() * 72 * 0.8 / tallest
    fontsize = min(7.5, 0.8 * room)
    for n, (x, y) in pos.items() if fontsize >= 4.0 else ():
        ax.annotate(shorten(g.label(n), label_width), (x, y), xytext=(0.5 * size[n] ** 0.5 + 3, 0),
                    textcoords="offset points",
                    va="center", ha="left", fontsize=fontsize, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.75))
    columns = {}
    for n, (c, _) in layout.items():
        columns.setdefault(c, g.nodes[n].kind)
    for c, kind in sorted(columns.items()):
        if c == 0 or columns[c - 1] != kind:
            ax.text(c, 1.0 + 0.5 / max(tallest, 1) + 0.02, KIND_PLURAL[kind], ha="left", va="bottom",
                    fontsize=9, fontweight="bold", color="#333333")
    ax.set_xlim(-0.25, ncols - 1 + 0.95)
    ax.set_ylim(-0.03, 1.06 + 0.5 / max(tallest, 1))
    ax.axis("off")
    title = f"{g.title}: supply network"
    if result is not None:
        title += f" under a cutoff of {_who(result)}"
    ax.set_title(title, fontsize=11, loc="left")
    kinds = [k for k in KIND_ORDER if any(nd.kind == k for nd in g.nodes.values())]
    handles = [Line2D([], [], marker=KIND_MARKERS[k], ls="", ms=8,
                      mfc=KIND_COLORS[k] if avail is None else "white", mec=KIND_COLORS[k],
                      mew=0.8 if avail is None else 2.0) for k in kinds]
    labels = [KIND_PLURAL[k] for k in kinds]
    handles += [Line2D([], [], color="#9aa5b1", lw=2.5), Line2D([], [], color="#4d4d4d", lw=1.0)]
    labels += ["supplies (width = share)", "requires"]
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(7, len(labels)),
              fontsize=8, frameon=False, title="node size = chokepoint score (products: fixed)", title_fontsize=8)
    if mappable is not None:
        bar = fig.colorbar(mappable, ax=ax, shrink=0.6, pad=0.0, format=PercentFormatter(1.0))
        bar.set_label(f"availability with {_who(result)} cut off")
    return fig, ax


# --- exposure ---------------------------------------------------------------------------------

def plot_exposure(graph, *, top: int = 5, max_products: int = 10, ax=None):
    """Bars: each product's availability when each of the ``top`` costliest countries is cut off."""
    g = _graph(graph)
    frame = exposure(g, sweep(g).frame, top=top)
    if frame.empty:
        raise InputError(f"{g.name}: no country supplies anything; nothing to plot")
    countries = list(dict.fromkeys(frame["country"]))
    worst = frame.groupby("product")["availability"].min().sort_values(kind="mergesort")
    products = list(worst.index[:max_products])
    fig, ax = _figure(ax, (max(7.0, 1.1 * len(countries) * max(1, len(products)) / 3 + 3), 4.8))
    width = 0.8 / len(products)
    colors = matplotlib.colormaps["tab10"]
    for i, product in enumerate(products):
        rows = frame[frame["product"] == product].set_index("country")["availability"]
        xs = [c + (i - (len(products) - 1) / 2) * width for c in range(len(countries))]
        ax.bar(xs, [rows.get(c, 1.0) for c in countries], width=width * 0.92, color=colors(i % 10),
               label=shorten(g.label(product), 34))
    mean_loss = frame.groupby("country")["mean_loss"].first()
    ax.set_xticks(range(len(countries)),
                  [f"{_country(g, c)}\nmean loss {100 * mean_loss[c]:.0f}%" for c in countries], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("country cut off (costliest first)")
    ax.set_ylabel("product availability")
    ax.set_title(_title(g, "product availability when one country is cut off"), fontsize=11, loc="left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="product")
    return fig, ax


# --- sweep ------------------------------------------------------------------------------------

def plot_sweep(graph, *, pairs: bool = False, ax=None):
    """Heatmap of products x countries: availability of each product with each country cut off."""
    g = _graph(graph)
    matrix = sweep(g, pairs=pairs).matrix
    if matrix.empty:
        raise InputError(f"{g.name}: no country supplies anything; nothing to plot")
    matrix = matrix[(1 - matrix).mean().sort_values(ascending=False, kind="mergesort").index]
    matrix = matrix.loc[matrix.mean(axis=1).sort_values(kind="mergesort").index]
    rows, cols = matrix.shape
    fig, ax = _figure(ax, (max(6.0, 0.55 * cols + 4.5), max(3.5, 0.42 * rows + 2.0)))
    image = ax.imshow(matrix.to_numpy(), cmap=AVAILABILITY_CMAP, vmin=0.0, vmax=1.0, aspect="auto")
    if rows * cols <= 600:
        cmap = matplotlib.colormaps[AVAILABILITY_CMAP]
        for i in range(rows):
            for j in range(cols):
                value = matrix.iat[i, j]
                r, gr, b, _ = cmap(value)
                dark = 0.299 * r + 0.587 * gr + 0.114 * b < 0.45
                ax.text(j, i, f"{100 * value:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    ax.set_xticks(range(cols), list(matrix.columns), rotation=90 if pairs else 0, fontsize=8)
    ax.set_yticks(range(rows), [shorten(g.label(p), 36) for p in matrix.index], fontsize=8)
    ax.set_xlabel("country cut off (costliest first)")
    ax.set_ylabel("product")
    ax.set_title(_title(g, "availability (%) of each product when a country is cut off"), fontsize=11, loc="left")
    bar = fig.colorbar(image, ax=ax, format=PercentFormatter(1.0))
    bar.set_label("availability")
    return fig, ax


# --- target -----------------------------------------------------------------------------------

def plot_target(graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool | None = None, ax=None):
    """Per material and stage, the top country's share (whiskers: its range) against the target.

    Critical minerals only; when a graph marks none (or ``all_items``), every supplied item.
    """
    g = _graph(graph)
    frame = target(g, threshold=threshold, all_items=bool(all_items))
    every = bool(all_items)
    if frame.empty and all_items is None:
        frame, every = target(g, threshold=threshold, all_items=True), True
    tested = frame[frame["status"] != "no data"].iloc[::-1]
    missing = frame[frame["status"] == "no data"]
    if tested.empty:
        raise InputError(f"{g.name}: no item has supply shares to test against the target")
    fig, ax = _figure(ax, (9.0, max(3.0, 0.34 * len(tested) + 1.8)))
    ys = range(len(tested))
    shares = tested["top_share"].to_numpy()
    low, high = tested["top_share_low"].to_numpy(), tested["top_share_high"].to_numpy()
    ax.barh(ys, shares, color=[STATUS_COLORS[s] for s in tested["status"]], height=0.7)
    ranged = [i for i in ys if high[i] - low[i] > 1e-12]
    if ranged:
        ax.errorbar(shares[ranged], ranged, xerr=[shares[ranged] - low[ranged], high[ranged] - shares[ranged]],
                    fmt="none", ecolor="#333333", capsize=3, lw=1)
    labels = []
    for row in tested.itertuples():
        stage = f" ({row.stage})" if row.stage and row.stage.lower() not in row.label.lower() else ""
        labels.append(f"{shorten(row.label, 34)}{stage} - {row.top_country}")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.axvline(threshold, color="black", ls="--", lw=1.2)
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("top country's share of supply (whiskers: the sources' range)")
    ax.set_ylabel("material / item (stage) - top country")
    scope = "every supplied item" if every else "critical minerals"
    ax.set_title(_title(g, f"no more than {100 * threshold:g}% from any single country ({scope})"),
                 fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    handles = [Patch(color=STATUS_COLORS[s], label=s) for s in STATUS_COLORS if s in set(tested["status"])]
    handles.append(Line2D([], [], color="black", ls="--", label=f"{100 * threshold:g}% target"))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    if not missing.empty:
        names = ", ".join(missing["id"])
        ax.annotate("no data: " + textwrap.shorten(names, 90), (0, 0), xycoords="axes fraction",
                    xytext=(0, -34), textcoords="offset points", fontsize=7, color="#555555", va="top")
    return fig, ax


# --- one call for the CLI ---------------------------------------------------------------------

def plot(graph, *, kind: str = "network", with_cutoff=(), blocs=(), threshold: float = DEFAULT_THRESHOLD,
         all_items: bool | None = None, ax=None):
    """The figure of ``kind`` (network, exposure, sweep, target); returns ``(fig, ax)``."""
    if kind not in KINDS:
        raise InputError(f"unknown plot kind '{kind}' (choose from {', '.join(KINDS)})")
    if (with_cutoff or blocs) and kind != "network":
        raise InputError(f"--with-cutoff/--bloc apply to --kind network, not {kind}")
    if kind == "network":
        return plot_network(graph, with_cutoff=with_cutoff, blocs=blocs, ax=ax)
    if kind == "exposure":
        return plot_exposure(graph, ax=ax)
    if kind == "sweep":
        return plot_sweep(graph, ax=ax)
    return plot_target(graph, threshold=threshold, all_items=all_items, ax=ax)


def save_figure(fig, path, *, force: bool = False, dpi: int = 150) -> Path:
    """Write a figure as PNG, SVG or PDF (by suffix), atomically and byte-stable.

    The file carries ``chokepoint <version>`` in its Software/Creator metadata, which is how a
    later run recognises it as ours and replaces it without ``force``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise InputError(f"{target}: a figure must end in .png, .svg or .pdf")
    check_overwrite(target, force=force)
    metadata = {".png": {"Software": GENERATOR},
                ".svg": {"Creator": GENERATOR, "Date": None},
                ".pdf": {"Creator": GENERATOR, "Producer": GENERATOR, "CreationDate": None}}[suffix]
    buffer = _io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "chokepoint", "svg.fonttype": "path"}):
        fig.savefig(buffer, format=suffix[1:], dpi=dpi, metadata=metadata, facecolor="white")
    try:
        return atomic_write(target, buffer.getvalue(), force=True)
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None


def plot_to_file(graph, path, *, kind: str = "network", with_cutoff=(), blocs=(), threshold: float = DEFAULT_THRESHOLD,
                 all_items: bool | None = None, force: bool = False) -> Path:
    """Draw the figure of ``kind`` and write it to ``path`` (.png, .svg or .pdf): what ``chokepoint plot`` does.

    The suffix is checked before anything is drawn.
    """
    if not str(path).lower().endswith(FIGURE_SUFFIXES):
        raise InputError(f"{path}: a figure must end in .png, .svg or .pdf")
    fig, _ = plot(graph, kind=kind, with_cutoff=with_cutoff, blocs=blocs, threshold=threshold, all_items=all_items)
    return save_figure(fig, path, force=force)
