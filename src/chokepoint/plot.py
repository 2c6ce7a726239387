"""Figures for reports: the supply network, country exposure, the sweep matrix, the 65% target, and
the tornado of the estimates that move a cutoff's results most.

Figures show the evidence: estimated shares (level words, ranges, ``estimated: true``) are drawn
dashed in the network; availability is on a colour-blind-safe scale (cividis); labels wrap rather
than being cut; every figure's caption names the bases its shares are on and how many of them are
estimates.

The only module that imports matplotlib. Figures are built on :class:`matplotlib.figure.Figure`
(no pyplot state, no display needed: safe on the Agg backend and in servers). Every ``plot_*``
takes ``ax=None`` and returns ``(fig, ax)``; :func:`save_figure` writes PNG, SVG or PDF atomically.
"""

from __future__ import annotations

import io as _io
import textwrap
import weakref
from pathlib import Path

import matplotlib
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .analysis.evidence import is_estimate
from .analysis.scenarios import exposure
from .api import cutoff, find_chokepoints, sensitivity, sweep, target
from .errors import InputError
from .formats.exchange import KIND_COLORS, KIND_ORDER
from .formats.files import FIGURE_SUFFIXES, GENERATOR, atomic_write, check_overwrite
from .formats.graphs import load_graph
from .formats.layout import layered_layout
from .model import DEFAULT_THRESHOLD, Graph
from .remedies.figures import plot_timeline

KINDS = ("network", "exposure", "sweep", "target", "tornado", "timeline")
KIND_MARKERS = {"country": "s", "facility": "D", "material": "h", "component": "o", "product": "p"}
KIND_PLURAL = {"country": "countries", "facility": "facilities", "material": "materials",
               "component": "components", "product": "products"}
STATUS_COLORS = {"fail": "#D55E00", "undetermined": "#E69F00", "pass": "#009E73"}
#: Availability 0..1: perceptually uniform and readable with colour-vision deficiencies.
AVAILABILITY_CMAP = "cividis"
#: Supplies edges: a reported share solid, an estimate dashed.
ESTIMATE_STYLE = "--"
#: Tornado bars (Okabe-Ito blue and orange).
LOW_END_COLOR, HIGH_END_COLOR = "#0072B2", "#E69F00"
CAPTION_SIZE = 7.0
#: Figures the plot functions made themselves (their captions go at the foot of the figure).
_OWN = weakref.WeakSet()


def _graph(graph) -> Graph:
    return graph if isinstance(graph, Graph) else load_graph(graph)


def _figure(ax, size):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    _OWN.add(fig)
    return fig, fig.add_subplot()


def wrap(text: str, width: int = 30) -> str:
    """``text`` wrapped onto lines of at most ``width`` characters: nothing is cut."""
    return "\n".join(textwrap.wrap(text, width)) or text


def _country(g: Graph, code: str) -> str:
    return f"{code} ({wrap(g.label(code), 16)})" if code in g.nodes else code


def evidence_caption(g: Graph, items, *, dashed: bool = False) -> str:
    """What the shares into ``items`` rest on: the bases they are on (and how many items each), and
    how many of them are estimates (level words, ranges or marked estimated)."""
    bases: dict[str, set] = {}
    shares = estimates = 0
    for item in sorted(set(items)):
        for s in g.supplies.get(item, ()):
            bases.setdefault(s.edge.basis or "basis not given", set()).add(item)
            shares += 1
            estimates += is_estimate(s.edge)
    if not shares:
        return "No supply shares."
    parts = [f"{basis} ({len(found)} item{'s' if len(found) != 1 else ''})" for basis, found in sorted(bases.items())]
    text = "Shares of " + ", ".join(parts)
    text += ": mixed bases, not directly comparable. " if len(bases) > 1 else ". "
    text += (f"{estimates} of {shares} shares are estimates (level words, ranges or marked estimated)"
             + (", drawn dashed." if dashed and estimates else "."))
    return text


def _caption(fig, ax, paragraphs, below) -> None:
    """The caption: ``paragraphs`` wrapped to the width available.

    On a figure the plot function made, at its foot: the figure grows by the caption's height and
    the layout keeps clear of it. On an axes the caller gave, under the axes (below the artist
    ``below``: the x label or the legend), wrapped to the axes' width.
    """
    chars_per_inch = 72 / (CAPTION_SIZE * 0.58)
    if fig in _OWN:
        width = max(40, int((fig.get_figwidth() - 0.2) * chars_per_inch))
        text = "\n".join(textwrap.fill(p, width) for p in paragraphs if p)
        lines = text.count("\n") + 1
        extra = (lines * CAPTION_SIZE * 1.25 + 8) / 72
        height = fig.get_figheight()
        fig.set_figheight(height + extra)
        foot = extra / (height + extra)
        fig.text(0.1 / fig.get_figwidth(), 0.04 / (height + extra), text, ha="left", va="bottom",
                 fontsize=CAPTION_SIZE, color="#444444", gid="caption")
        fig.get_layout_engine().set(rect=(0, foot, 1, 1 - foot))
        return
    width = max(30, int(ax.get_position().width * fig.get_figwidth() * chars_per_inch))
    text = "\n".join(textwrap.fill(p, width) for p in paragraphs if p)
    ax.annotate(text, (0.0, 0.0), xycoords=("axes fraction", below), xytext=(0, -6), textcoords="offset points",
                ha="left", va="top", fontsize=CAPTION_SIZE, color="#444444", annotation_clip=False, gid="caption")


def _title(g: Graph, what: str, width: int = 60) -> str:
    return "\n".join(textwrap.wrap(f"{g.title}:", width) + textwrap.wrap(what, width))


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
    # at most 40 x 24 inches, however deep or tall the graph (two inches a column would be 800 inches
    # for a 400-layer chain): memory and time stay bounded; labels may then crowd
    fig, ax = _figure(ax, (min(40.0, max(8.0, 2.0 * ncols + 1.0)), min(24.0, max(5.0, 0.5 * tallest + 2.0))))
    pos = {n: (float(c), 1.0 - y) for n, (c, y) in layout.items()}

    supplies = [e for e in g.document.edges if e.type == "supplies"]
    requires = [e for e in g.document.edges if e.type == "requires"]
    ax.add_collection(LineCollection([(pos[e.from_], pos[e.to]) for e in supplies],
                                     linewidths=[0.4 + 3.0 * e.share.point for e in supplies],
                                     linestyles=[ESTIMATE_STYLE if is_estimate(e) else "solid" for e in supplies],
                                     colors="#9aa5b1", alpha=0.7, zorder=1, gid="supplies"))
    ax.add_collection(LineCollection([(pos[e.from_], pos[e.to]) for e in requires],
                                     linewidths=1.0, colors="#4d4d4d", alpha=0.8, zorder=1, gid="requires"))

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
    # Labels wrap; their size follows the room between the nodes of each column and the most lines
    # a label of that column takes. Too dense: no labels.
    labels = {n: wrap(g.label(n), label_width) for n in g.nodes}
    fontsize = 7.5
    for col in range(ncols):
        members = [n for n, (c, _) in layout.items() if c == col]
        if members:
            room = fig.get_figheight() * 72 * 0.8 / len(members)
            lines = max(labels[n].count("\n") + 1 for n in members)
            fontsize = min(fontsize, 0.8 * room / (1.0 + 0.25 * (lines - 1)) if lines > 1 else 0.8 * room)
    for n, (x, y) in pos.items() if fontsize >= 4.0 else ():
        ax.annotate(labels[n], (x, y), xytext=(0.5 * size[n] ** 0.5 + 3, 0),
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
    handles += [Line2D([], [], color="#9aa5b1", lw=2.5), Line2D([], [], color="#9aa5b1", lw=2.5, ls=ESTIMATE_STYLE),
                Line2D([], [], color="#4d4d4d", lw=1.0)]
    labels += ["supplies, reported (width = share)", "supplies, estimated", "requires"]
    legend = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(8, len(labels)),
                       fontsize=8, frameon=False, title="node size = chokepoint score (products: fixed)",
                       title_fontsize=8)
    _caption(fig, ax, [evidence_caption(g, g.items, dashed=True)], legend)
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
               label=wrap(g.label(product), 34))
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
    _caption(fig, ax, [evidence_caption(g, g.upstream(g.products) & set(g.items))], ax.xaxis.label)
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
    ax.set_yticks(range(rows), [wrap(g.label(p), 36) for p in matrix.index], fontsize=8)
    ax.set_xlabel("country cut off (costliest first)")
    ax.set_ylabel("product")
    ax.set_title(_title(g, "availability (%) of each product when a country is cut off",
                        max(30, int((fig.get_figwidth() - 3.0) * 72 / 6.3))), fontsize=11, loc="left")
    bar = fig.colorbar(image, ax=ax, format=PercentFormatter(1.0))
    bar.set_label("availability")
    _caption(fig, ax, [evidence_caption(g, g.upstream(g.products) & set(g.items))], ax.xaxis.label)
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
    labels = []
    for row in tested.itertuples():
        stage = f" ({row.stage})" if row.stage and row.stage.lower() not in row.label.lower() else ""
        labels.append(wrap(f"{row.label}{stage} - {row.top_country}", 44))
    extra_lines = sum(label.count("\n") for label in labels)
    fig, ax = _figure(ax, (9.0, max(3.0, 0.34 * len(tested) + 0.13 * extra_lines + 2.2)))
    ys = range(len(tested))
    shares = tested["top_share"].to_numpy()
    low, high = tested["top_share_low"].to_numpy(), tested["top_share_high"].to_numpy()
    ax.barh(ys, shares, color=[STATUS_COLORS[s] for s in tested["status"]], height=0.7)
    ranged = [i for i in ys if high[i] - low[i] > 1e-12]
    if ranged:
        ax.errorbar(shares[ranged], ranged, xerr=[shares[ranged] - low[ranged], high[ranged] - shares[ranged]],
                    fmt="none", ecolor="#333333", capsize=3, lw=1)
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
    no_data = "No data: " + ", ".join(missing["id"]) + "." if not missing.empty else ""
    _caption(fig, ax, [evidence_caption(g, tested["id"]), no_data], ax.xaxis.label)
    return fig, ax


# --- tornado -----------------------------------------------------------------------------------

def plot_tornado(graph, *, with_cutoff=(), blocs=(), products=(), top: int = 10, ax=None):
    """The ``top`` availability swings under a cutoff (:func:`chokepoint.api.sensitivity`) as
    horizontal bars: from the product's availability at the point values to its availability with
    the estimated share at the low end of its range (blue) and at the high end (orange)."""
    g = _graph(graph)
    if not (with_cutoff or blocs):
        raise InputError("--kind tornado needs a cutoff: --with-cutoff COUNTRY and/or --bloc BLOC")
    result = sensitivity(g, countries=tuple(with_cutoff), blocs=tuple(blocs), products=tuple(products), top=top)
    ranking = result.ranking
    who = _who(result)
    if ranking.empty:
        raise InputError(f"{g.name}: no estimated share moves any product's availability with {who} cut off; "
                         "nothing to plot")
    labels = [wrap(f"{r['from']} -> {r['to']} {r['share']}" + (f" ({r['fact']})" if r["fact"] else ""), 46)
              + "\n" + wrap(f"=> {g.label(r['product'])}", 46) for _, r in ranking.iterrows()]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = _figure(ax, (10.0, max(3.5, 0.16 * lines + 0.2 * len(labels) + 2.4)))
    ys = list(range(len(ranking)))[::-1]  # largest swing on top
    base = ranking["baseline"].to_numpy()
    at_low, at_high = ranking["at_low"].to_numpy(), ranking["at_high"].to_numpy()
    ax.barh(ys, at_low - base, left=base, height=0.36, align="edge", color=LOW_END_COLOR,
            label="share at the low end of its range")
    ax.barh(ys, at_high - base, left=base, height=-0.36, align="edge", color=HIGH_END_COLOR,
            label="share at the high end of its range")
    ax.scatter(base, ys, marker="|", s=260, color="black", zorder=3, label="point values")
    ax.set_yticks(ys, labels, fontsize=7.5)
    ax.set_ylim(-0.7, len(ys) - 0.3)
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"product availability with {who} cut off")
    ax.set_ylabel("estimated share => product")
    ax.set_title(_title(g, f"the estimates that move availability most with {who} cut off "
                           f"(top {len(ranking)} of {int((result.frame['swing'] > 1e-12).sum())} swings)"),
                 fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    text = (f"Each estimated share set to each end of its range in turn, the others at their point values; "
            f"{result.varied} ranged shares varied.")
    if result.fixed:
        text += f" {len(result.fixed)} estimated shares are single numbers and were not varied."
    items = g.upstream(result.products) & set(g.items)
    _caption(fig, ax, [text, evidence_caption(g, items)], ax.xaxis.label)
    return fig, ax


# --- one call for the CLI ---------------------------------------------------------------------

def plot(graph, *, kind: str = "network", with_cutoff=(), blocs=(), threshold: float = DEFAULT_THRESHOLD,
         duration: float = 12.0,
         all_items: bool | None = None, ax=None):
    """The figure of ``kind`` (network, exposure, sweep, target, tornado, timeline); returns ``(fig, ax)``.
    ``duration`` is the timeline's cutoff length in months.

    ``with_cutoff``/``blocs`` shade the network by availability; the tornado needs them (its cutoff).
    User text (labels, titles) is drawn literally: a ``$`` in a label is not matplotlib mathtext.
    """
    with matplotlib.rc_context({"text.parse_math": False}):
        return _plot(graph, kind=kind, with_cutoff=with_cutoff, blocs=blocs, threshold=threshold,
                     duration=duration, all_items=all_items, ax=ax)


def _plot(graph, *, kind, with_cutoff, blocs, threshold, duration, all_items, ax):
    if kind not in KINDS:
        raise InputError(f"unknown plot kind '{kind}' (choose from {', '.join(KINDS)})")
    if (with_cutoff or blocs) and kind not in ("network", "tornado", "timeline"):
        raise InputError(f"--with-cutoff/--bloc apply to --kind network, tornado and timeline, not {kind}")
    if kind == "timeline":
        if not (with_cutoff or blocs):
            raise InputError("--kind timeline needs a cutoff: --with-cutoff COUNTRY and/or --bloc BLOC")
        g = graph if isinstance(graph, Graph) else load_graph(graph)
        return plot_timeline(graph=g, countries=tuple(with_cutoff), blocs=tuple(blocs), duration=duration, ax=ax)
    if kind == "network":
        return plot_network(graph, with_cutoff=with_cutoff, blocs=blocs, ax=ax)
    if kind == "tornado":
        return plot_tornado(graph, with_cutoff=with_cutoff, blocs=blocs, ax=ax)
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
    with matplotlib.rc_context({"svg.hashsalt": "chokepoint", "svg.fonttype": "path", "text.parse_math": False}):
        fig.savefig(buffer, format=suffix[1:], dpi=dpi, metadata=metadata, facecolor="white")
    try:
        return atomic_write(target, buffer.getvalue(), force=True)
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None


def plot_to_file(graph, path, *, kind: str = "network", with_cutoff=(), blocs=(), threshold: float = DEFAULT_THRESHOLD,
                 all_items: bool | None = None, duration: float = 12.0, force: bool = False) -> Path:
    """Draw the figure of ``kind`` and write it to ``path`` (.png, .svg or .pdf): what ``chokepoint plot`` does.

    The suffix is checked before anything is drawn.
    """
    if not str(path).lower().endswith(FIGURE_SUFFIXES):
        raise InputError(f"{path}: a figure must end in .png, .svg or .pdf")
    fig, _ = plot(graph, kind=kind, with_cutoff=with_cutoff, blocs=blocs, threshold=threshold, all_items=all_items,
                  duration=duration)
    return save_figure(fig, path, force=force)
