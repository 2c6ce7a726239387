"""Plots on the Agg backend: assertions on artists (titles, bars, colourbars, labels), not pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import chokepoint  # noqa: E402
from chokepoint.api import target  # noqa: E402
from chokepoint.errors import InputError  # noqa: E402
from chokepoint.formats.files import written_by_chokepoint  # noqa: E402
from chokepoint.plot import (  # noqa: E402
    KINDS,
    plot,
    plot_exposure,
    plot_network,
    plot_sweep,
    plot_target,
    save_figure,
    shorten,
)
from chokepoint.analysis.scenarios import exposure, sweep  # noqa: E402

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
    labels = [t.get_text() for t in ax.texts]
    assert all(len(t) <= 30 for t in labels)
    xs = [sorted(set(c.get_offsets()[:, 0])) for c in scatters]  # one scatter per kind, in layer order
    assert xs[0] == [0.0], "countries in the leftmost column"
    assert all(left[-1] < right[0] for left, right in zip(xs, xs[1:])), "kinds left to right"


def test_network_with_a_cutoff_has_a_colourbar():
    fig, ax = plot_network("quantum", with_cutoff=["CN"])
    assert ax.get_title(loc="left").endswith("under a cutoff of CN")
    assert has_colorbar(fig, ax)
    bar_ax = next(a for a in fig.axes if a.get_label() == "<colorbar>")
    assert "availability" in bar_ax.get_ylabel()


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


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_for_every_bundled_graph(name, kind):
    try:
        fig, ax = plot(name, kind=kind)
    except InputError as exc:  # a graph can legitimately have nothing to test or cut
        pytest.skip(str(exc))
    assert ax.get_title(loc="left")
    assert ax.get_legend() is not None or has_colorbar(fig, ax)


def test_plot_refuses_bad_kinds_and_options():
    with pytest.raises(InputError, match="unknown plot kind"):
        plot("quantum", kind="pie")
    with pytest.raises(InputError, match="--kind network"):
        plot("quantum", kind="sweep", with_cutoff=["CN"])


def test_shorten():
    assert shorten("short") == "short"
    long = shorten("semiconductor saturable absorber mirrors (SESAM)", 20)
    assert len(long) <= 20 and long.endswith("…")


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
    result = cli("plot", "quantum", "--kind", "pie", "-o", tmp_path / "x.png")
    assert result.code == 1 and result.err.startswith("error: ") and result.err.count("\n") == 1
    result = cli("plot", "quantum", "-o", tmp_path / "x.gif")
    assert result.code == 1 and ".png, .svg or .pdf" in result.err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.gif").exists()
