"""Plots on the Agg backend: assertions on artists (titles, bars, colourbars, labels), not pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import chokepoint  # noqa: E402
from chokepoint.analysis.evidence import is_estimate  # noqa: E402
from chokepoint.api import sensitivity, target  # noqa: E402
from chokepoint.errors import InputError  # noqa: E402
from chokepoint.formats.files import written_by_chokepoint  # noqa: E402
from chokepoint.plot import (  # noqa: E402
    AVAILABILITY_CMAP,
    KINDS,
    evidence_caption,
    plot,
    plot_exposure,
    plot_network,
    plot_sweep,
    plot_target,
    plot_tornado,
    save_figure,
    wrap,
)
from chokepoint.analysis.scenarios import exposure, sweep  # noqa: E402

from conftest import country, doc, item, requires, supplies  # noqa: E402

NAMES = chokepoint.bundled_names()


@pytest.fixture(autouse=True)
def no_pyplot_figures_left():
    """The plot functions build Figure objects directly: nothing registered with pyplot, nothing to leak."""
    yield
    assert plt.get_fignums() == []
    plt.close("all")


def bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def has_colorbar(fig, ax):
    return any(other is not ax and other.get_label() == "<colorbar>" for other in fig.axes)


def caption(fig, ax):
    """The caption: at the foot of a figure the plot made, under the axes of one it was given."""
    found = [t.get_text() for t in [*fig.texts, *ax.texts] if t.get_gid() == "caption"]
    assert len(found) == 1, found
    return found[0]


def evidence_graph(write_graph):
    """Four supplies edges, one per kind of evidence: a reported number, a level word, a range and
    a number marked estimated; two bases."""
    nodes = [country("CN"), country("JP"), item("M", "material"), item("C"), item("P", "product")]
    edges = [supplies("CN", "M", 0.5, basis="global production", source="S", year=2024),
             supplies("JP", "M", "minor", estimated=True, basis="global production", note="n"),
             supplies("CN", "C", [0.3, 0.6], basis="US imports", note="n"),
             supplies("JP", "C", 0.2, estimated=True, basis="US imports", note="n"),
             requires("M", "C"), requires("C", "P")]
    data = doc(nodes, edges)
    data["sources"] = {"S": {"title": "A report"}}
    return chokepoint.load_graph(write_graph(data))


def test_network_layers_colours_and_legend():
    g = chokepoint.load_graph("quantum")
    fig, ax = plot_network(g)
    assert "supply network" in ax.get_title(loc="left")
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in scatters) == len(g.nodes)
    legend = ax.get_legend()
    assert legend is not None
    texts = {t.get_text() for t in legend.get_texts()}
    assert {"countries", "components", "products", "requires"} <= texts
    assert not has_colorbar(fig, ax)
    labels = {t.get_text() for t in ax.texts}
    for n in g.nodes:  # wrapped, never cut
        label = wrap(g.label(n), 30)
        assert label in labels
        assert label.replace("-\n", "-").replace("\n", " ") == " ".join(g.label(n).split())
        assert all(len(line) <= 30 for line in label.split("\n"))
    assert any("\n" in label for label in labels), "quantum has labels longer than 30 characters"
    xs = [sorted(set(c.get_offsets()[:, 0])) for c in scatters]  # one scatter per kind, in layer order
    assert xs[0] == [0.0], "countries in the leftmost column"
    assert all(left[-1] < right[0] for left, right in zip(xs, xs[1:])), "kinds left to right"


def test_network_with_a_cutoff_has_a_colourbar():
    fig, ax = plot_network("quantum", with_cutoff=["CN"])
    assert ax.get_title(loc="left").endswith("under a cutoff of CN")
    assert has_colorbar(fig, ax)
    bar_ax = next(a for a in fig.axes if a.get_label() == "<colorbar>")
    assert "availability" in bar_ax.get_ylabel()
    filled = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_array() is not None]
    assert filled and all(c.get_cmap().name == "cividis" for c in filled), "a colour-blind-safe scale"
    assert AVAILABILITY_CMAP == "cividis"


def test_network_draws_estimated_shares_dashed(write_graph):
    """Each supplies segment is solid for a reported number and dashed for a level word, a range or
    an estimated: true number; the legend says which is which."""
    g = evidence_graph(write_graph)
    fig, ax = plot_network(g)
    lines = next(c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "supplies")
    edges = [e for e in g.document.edges if e.type == "supplies"]
    styles = lines.get_linestyles()
    assert len(styles) == len(edges) == len(lines.get_segments())
    dashed = [dashes is not None for _, dashes in styles]
    assert dashed == [False, True, True, True]
    assert dashed == [is_estimate(e) for e in edges]
    requires_lines = next(c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "requires")
    assert all(dashes is None for _, dashes in requires_lines.get_linestyles())
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"supplies, reported (width = share)", "supplies, estimated"} <= legend


def test_bundled_network_dashes_exactly_its_estimates():
    g = chokepoint.load_graph("quantum")
    fig, ax = plot_network(g)
    lines = next(c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "supplies")
    edges = [e for e in g.document.edges if e.type == "supplies"]
    dashed = [dashes is not None for _, dashes in lines.get_linestyles()]
    assert dashed == [is_estimate(e) for e in edges] and any(dashed) and not all(dashed)


def test_captions_name_the_bases_and_count_the_estimates(write_graph):
    """M's shares are of global production, C's of US imports; three of the four are estimates."""
    g = evidence_graph(write_graph)
    text = evidence_caption(g, ["M", "C"])
    assert text == ("Shares of US imports (1 item), global production (1 item): mixed bases, not directly "
                    "comparable. 3 of 4 shares are estimates (level words, ranges or marked estimated).")
    assert evidence_caption(g, ["M"]) == ("Shares of global production (1 item). 1 of 2 shares are estimates "
                                          "(level words, ranges or marked estimated).")
    fig, ax = plot_network(g)
    assert " ".join(caption(fig, ax).split()) == text[:-1] + ", drawn dashed."
    for plotter in (plot_exposure, plot_sweep):
        fig, ax = plotter(g)
        assert " ".join(caption(fig, ax).split()) == text


def test_caption_inside_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4))
    axes = fig.subplots(1, 2)
    plot_target("quantum", ax=axes[0])
    text = caption(fig, axes[0])
    assert "global production" in " ".join(text.split()) and "are estimates" in text
    assert not [t for t in fig.texts if t.get_gid() == "caption"], "nothing written across the caller's figure"


def test_exposure_bars_per_country_and_product():
    g = chokepoint.load_graph("quantum")
    fig, ax = plot_exposure(g, top=3)
    frame = exposure(g, sweep(g), top=3)
    assert len(bars(ax)) == frame["country"].nunique() * frame["product"].nunique()
    assert ax.get_xlabel() and ax.get_ylabel() == "product availability"
    assert "cut off" in ax.get_title(loc="left")
    assert len(ax.get_legend().get_texts()) == frame["product"].nunique()
    heights = sorted(round(b.get_height(), 6) for b in bars(ax))
    assert heights == sorted(round(v, 6) for v in frame["availability"])


def test_sweep_heatmap():
    g = chokepoint.load_graph("quantum")
    fig, ax = plot_sweep(g)
    image = ax.images[0]
    assert image.get_array().shape == (len(g.products), len(g.countries))
    assert has_colorbar(fig, ax)
    assert ax.get_xlabel().startswith("country cut off") and ax.get_ylabel() == "product"
    assert "availability" in ax.get_title(loc="left")
    assert image.get_cmap().name == "cividis"
    assert [t.get_text() for t in ax.get_yticklabels()] == [wrap(g.label(p), 36) for p in sweep(g).pipe(
        lambda f: f.pivot(index="product", columns="countries", values="availability")).mean(axis=1)
        .sort_values(kind="mergesort").index]


def test_target_bars_against_the_threshold():
    g = chokepoint.load_graph("minerals")
    frame = target(g)
    tested = frame[frame["status"] != "no data"]
    fig, ax = plot_target(g)
    assert len(bars(ax)) == len(tested)
    assert [round(b.get_width(), 9) for b in bars(ax)] == [round(v, 9) for v in tested["top_share"][::-1]]
    assert any(line.get_xdata()[0] == 0.65 for line in ax.lines), "the 65% line"
    assert ax.get_xlabel() and ax.get_ylabel()
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert "65% target" in legend and set(tested["status"]) <= legend
    assert "65%" in ax.get_title(loc="left")


def test_plots_draw_into_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 2)
    got_fig, got_ax = plot_target("quantum", ax=axes[0])
    assert got_fig is fig and got_ax is axes[0]
    got_fig, got_ax = plot_sweep("quantum", ax=axes[1])
    assert got_fig is fig and got_ax is axes[1]


def test_tornado_bars_are_the_swings():
    """One blue bar (share at its low end) and one orange bar (high end) per ranked swing, each
    from the product's point availability to the availability at that end."""
    result = sensitivity("quantum", blocs=["G7"], top=6)
    ranking = result.ranking
    fig, ax = plot_tornado("quantum", blocs=["G7"], top=6)
    low_bars = [b for b in bars(ax) if b.get_facecolor()[:3] == matplotlib.colors.to_rgb("#0072B2")]
    high_bars = [b for b in bars(ax) if b.get_facecolor()[:3] == matplotlib.colors.to_rgb("#E69F00")]
    assert len(low_bars) == len(high_bars) == len(ranking) == 6
    for bar_, row in zip(low_bars, ranking.itertuples()):
        assert bar_.get_x() == pytest.approx(row.baseline) and bar_.get_x() + bar_.get_width() == pytest.approx(row.at_low)
    for bar_, row in zip(high_bars, ranking.itertuples()):
        assert bar_.get_x() + bar_.get_width() == pytest.approx(row.at_high)
    ticks = [t.get_text() for t in sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])]
    assert ticks[0].startswith("DE -> laser-diodes [0.2-1] (F12)"), "the largest swing on top"
    assert ticks[0].endswith("=> neutral-atom quantum computer")
    assert "G7" in ax.get_title(loc="left") and "G7" in ax.get_xlabel()
    assert "ranged shares varied" in caption(fig, ax)


def test_tornado_needs_a_cutoff_that_moves_something(write_graph):
    with pytest.raises(InputError, match="needs a cutoff"):
        plot("quantum", kind="tornado")
    with pytest.raises(InputError, match="no estimated share moves"):
        plot_tornado(evidence_graph(write_graph), with_cutoff=["US"])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_for_every_bundled_graph(name, kind):
    options = {}
    if kind in ("tornado", "timeline"):  # the cutoff of the country whose loss costs most
        options["with_cutoff"] = [chokepoint.sweep(name).ranking.index[0]]
    try:
        fig, ax = plot(name, kind=kind, **options)
    except InputError as exc:  # a graph can legitimately have nothing to test or cut
        pytest.skip(str(exc))
    assert ax.get_title(loc="left")
    assert ax.get_legend() is not None or has_colorbar(fig, ax)


def test_plot_refuses_bad_kinds_and_options():
    with pytest.raises(InputError, match="unknown plot kind"):
        plot("quantum", kind="pie")
    with pytest.raises(InputError, match="--kind network, tornado and timeline"):
        plot("quantum", kind="sweep", with_cutoff=["CN"])
    with pytest.raises(InputError, match="timeline needs a cutoff"):
        plot("quantum", kind="timeline")


def test_wrap_keeps_every_word():
    assert wrap("short") == "short"
    long = wrap("semiconductor saturable absorber mirrors (SESAM)", 20)
    assert long == "semiconductor\nsaturable absorber\nmirrors (SESAM)"
    assert all(len(line) <= 20 for line in long.split("\n"))


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_figure_is_atomic_ours_and_stable(tmp_path, suffix):
    fig, _ = plot_target("quantum")
    path = save_figure(fig, tmp_path / f"t{suffix}")
    assert written_by_chokepoint(path)
    first = path.read_bytes()
    save_figure(plot_target("quantum")[0], path)  # ours: replaced without force; same bytes
    assert path.read_bytes() == first
    foreign = tmp_path / f"other{suffix}"
    foreign.write_bytes(b"someone else's figure")
    with pytest.raises(InputError, match="--force"):
        save_figure(fig, foreign)
    save_figure(fig, foreign, force=True)
    assert written_by_chokepoint(foreign)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, foreign.name])


def test_save_figure_needs_a_figure_suffix(tmp_path):
    fig, _ = plot_target("quantum")
    with pytest.raises(InputError, match=r"\.png, \.svg or \.pdf"):
        save_figure(fig, tmp_path / "t.jpg")


def test_cli_plot(cli, tmp_path):
    result = cli("plot", "quantum", "--kind", "network", "--with-cutoff", "CN", "-o", tmp_path / "n.png")
    assert result.code == 0, result.err
    assert (tmp_path / "n.png").read_bytes().startswith(b"\x89PNG")
    assert cli("plot", "quantum", "--kind", "sweep", "-o", tmp_path / "s.svg").code == 0
    result = cli("plot", "quantum", "--kind", "tornado", "--with-cutoff", "CN", "-o", tmp_path / "t.png")
    assert result.code == 0, result.err
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")
    result = cli("plot", "quantum", "--kind", "tornado", "-o", tmp_path / "t2.png")
    assert result.code == 1 and "needs a cutoff" in result.err and not (tmp_path / "t2.png").exists()
    result = cli("plot", "quantum", "--kind", "pie", "-o", tmp_path / "x.png")
    assert result.code == 1 and result.err.startswith("error: ") and result.err.count("\n") == 1
    result = cli("plot", "quantum", "-o", tmp_path / "x.gif")
    assert result.code == 1 and ".png, .svg or .pdf" in result.err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.gif").exists()


def test_network_figure_is_bounded_however_deep_the_graph(write_graph):
    """A 60-layer requires chain would be 121 inches wide at two inches a column: capped at 40."""
    from conftest import country, doc, item, requires, supplies

    n = 60
    nodes = [country("CN")] + [item(f"c{i}", "component") for i in range(n)] + [item("p", "product")]
    edges = [supplies("CN", "c0", 0.5)] + [requires(f"c{i}", f"c{i + 1}") for i in range(n - 1)] + \
        [requires(f"c{n - 1}", "p")]
    fig, _ = plot(chokepoint.load_graph(write_graph(doc(nodes, edges))), kind="network")
    assert fig.get_figwidth() <= 40.0 and fig.get_figheight() <= 24.0 + 3.0  # the caption may add a little
