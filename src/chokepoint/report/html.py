"""``chokepoint report``: one self-contained HTML file that loads nothing from the network.

The page holds the graph drawn in stage columns (cytoscape.js, inlined from ``vendor/``), each
node's supply shares with their ranges, evidence and citations, the precomputed country cutoffs
(every single country from :func:`chokepoint.api.sweep`, plus the ``countries`` scenarios) that
recolour the nodes by availability, and as plain HTML (readable without JavaScript and in print)
the chokepoint and target tables, the figures as inline SVG, the bases of the shares and a
provenance footer (tool version, SHA-256 of the graph document's canonical JSON, date).

The data travel as JSON in a ``<script type="application/json">`` block with ``<``, ``>`` and
``&`` escaped, so no label can close the block. A Content-Security-Policy meta tag forbids any
remote load.
"""

from __future__ import annotations

import datetime as _dt
import html
import io as _io
import json
import math
import re
from importlib import resources
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.colors import to_hex

from ..version import __version__
from ..errors import InputError
from ..model import Graph, country_name
from . import _data
from .facts import load_facts
from ..formats.layout import layered_layout
from ..api import cutoff, find_chokepoints, sweep, target
from ..plot import plot, wrap
from ..formats.exchange import KIND_COLORS
from ..formats.files import GENERATOR, OWNER_MARK, atomic_write, check_overwrite

#: The Content-Security-Policy of every report: inline script and style, data: images, nothing else.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
#: The vendored cytoscape.js (see vendor/PROVENANCE.md).
CYTOSCAPE_VERSION = "3.35.0"
REPORT_SUFFIXES = (".html", ".htm")
FIGURE_KINDS = ("network", "exposure", "sweep", "target")
FIGURE_TITLES = {"network": "Supply network", "exposure": "Product availability when one country is cut off",
                 "sweep": "Availability of each product with each country cut off",
                 "target": "The 65% target"}
#: Shares and availabilities: shown as percentages in the tables.
PERCENT_COLUMNS = {"top_share", "top_share_low", "top_share_high", "knockout_loss", "exposure", "margin",
                   "share_unknown", "capacity_needed", "availability", "availability_low", "availability_high",
                   "loss", "loss_low", "loss_high", "top3_share"}
CHOKEPOINT_COLUMNS = ["id", "label", "kind", "score", "knockout_loss", "products_hit", "exposure",
                      "worst_country", "top_country", "top_share", "reason"]
TARGET_COLUMNS = ["id", "label", "stage", "top_country", "top_share", "top_share_low", "top_share_high",
                  "status", "margin", "share_unknown", "bases", "facts"]
PRODUCT_COLUMNS = ["id", "label", "availability", "availability_low", "availability_high", "loss",
                   "months_to_shortage", "path"]
#: Columns never shown in the HTML tables (shown elsewhere or too technical).
HIDDEN = {"betweenness"}
KIND_SHAPES = {"country": "rectangle", "facility": "diamond", "material": "hexagon", "component": "ellipse",
               "product": "pentagon"}
VIRIDIS_STOPS = 11
#: Model units between columns and between nodes of a column; a column is folded past MAX_ROWS nodes.
COLUMN_GAP, ROW_GAP, MAX_ROWS = 320.0, 100.0, 25


def _asset(name: str) -> str:
    return resources.files("chokepoint.report").joinpath(name).read_text(encoding="utf-8")


def vendored_cytoscape() -> str:
    """The vendored cytoscape.min.js."""
    return _asset("vendor/cytoscape.min.js")


# --- data --------------------------------------------------------------------------------------

def _viridis(n: int = VIRIDIS_STOPS) -> list[str]:
    cmap = matplotlib.colormaps["viridis"]
    return [to_hex(cmap(i / (n - 1))) for i in range(n)]


def _positions(g: Graph) -> dict[str, tuple[float, float]]:
    """Preset positions: the stage columns of :func:`chokepoint.export.layered_layout` (countries,
    facilities, materials, components, products; an item that requires one of its own kind further
    right), a column taller than :data:`MAX_ROWS` folded into side-by-side sub-columns, in order."""
    layout = layered_layout(g)
    columns: dict[int, list[tuple[float, str]]] = {}
    for node, (col, y) in layout.items():
        columns.setdefault(col, []).append((y, node))
    out, x = {}, 0.0
    for col in sorted(columns):
        members = [node for _, node in sorted(columns[col])]
        folds = -(-len(members) // MAX_ROWS)
        rows = -(-len(members) // folds)
        for i, node in enumerate(members):
            sub, row = divmod(i, rows)
            height = min(rows, len(members) - sub * rows)
            out[node] = (round(x + sub * COLUMN_GAP, 2) + 0.0, round((row - (height - 1) / 2) * ROW_GAP, 2) + 0.0)
        x += folds * COLUMN_GAP
    return out


def _scenarios(g: Graph, countries) -> tuple[list[dict], list]:
    """Every single-country cutoff of the sweep, then the named scenarios; and the named results."""
    singles = list(dict.fromkeys(sweep(g).frame["countries"]))
    named = _data.named_cutoffs(g, countries)
    out, seen = [], set()
    for group, results in (("named", named), ("single", [cutoff(g, countries=(c,)) for c in singles])):
        for result in results:
            key = _data.scenario_key(result)
            if key in seen:
                continue
            seen.add(key)
            out.append(_scenario_record(g, result, group))
    return out, named


def _scenario_record(g: Graph, result, group: str) -> dict:
    nodes = result.nodes
    avail, extra = {}, {}
    bounds = [c for c in ("availability_low", "availability_high") if c in nodes.columns]
    others = [c for c in nodes.columns if c not in ("id", "label", "kind", "availability", *bounds)]
    for row in _data.frame_records(nodes):
        a = row["availability"]
        values = {c: row[c] for c in bounds}
        if a is not None and a >= 1.0 - 1e-12 and all(v is None or v >= 1.0 - 1e-12 for v in values.values()):
            continue  # untouched: not stored (the page reads a missing node as 1)
        avail[row["id"]] = None if a is None else round(a, 6)
        detail = {c: (round(v, 6) if isinstance(v, float) else v) for c, v in values.items()}
        detail.update({c: row[c] for c in others if row[c] is not None})
        if detail:
            extra[row["id"]] = detail
    hit = []
    for row in _data.frame_records(result.products):
        if row["loss"] is not None and row["loss"] > 1e-12:
            hit.append({"id": row["id"], "availability": round(row["availability"], 6), "path": row["path"],
                        **{c: row[c] for c in row if c not in ("id", "label", "availability", "loss", "path")
                           and row[c] is not None}})
    names = ", ".join(f"{c} ({g.label(c) if c in g.nodes else _country_name(c)})" for c in result.countries)
    return {"key": _data.scenario_key(result), "group": group, "label": f"{names} cut off",
            "countries": list(result.countries), "note": result.note, "bases_note": result.bases_note,
            "availability": avail, "extra": extra, "products_hit": hit}


def _country_name(code: str) -> str:
    return country_name(code)


def _node_records(g: Graph, edges: list[dict], choke: pd.DataFrame, target_all: pd.DataFrame) -> list[dict]:
    pos = _positions(g)
    choke_by_id = {r["id"]: r for r in _data.frame_records(choke)}
    target_by_id = {r["id"]: r for r in _data.frame_records(target_all)}
    incoming: dict[str, list[int]] = {}
    outgoing: dict[str, list[int]] = {}
    for i, e in enumerate(edges):
        incoming.setdefault(e["to"], []).append(i)
        outgoing.setdefault(e["from"], []).append(i)
    top = max((r["score"] or 0.0 for r in choke_by_id.values()), default=0.0) or 1.0
    out = []
    for node in g.document.nodes:
        c = choke_by_id.get(node.id)
        t = target_by_id.get(node.id)
        score = (c or {}).get("score") or 0.0
        x, y = pos[node.id]
        out.append({
            "id": node.id, "label": g.label(node.id), "short": wrap(g.label(node.id), 28),
            "kind": node.kind, "shape": KIND_SHAPES[node.kind], "stage": node.stage or "",
            "country": node.country or "", "needs": node.needs if node.id in g.inputs else "",
            "critical_mineral": node.critical_mineral, "stockpile_months": node.stockpile_months,
            "note": node.note or "", "x": x, "y": y,
            "size": round(26.0 + 40.0 * score / top, 2) if node.kind != "product" else 44.0,
            "chokepoint": {k: v for k, v in c.items() if k not in ("id", "label", "kind", "betweenness")} if c else None,
            "target": {k: v for k, v in t.items() if k not in ("id", "label", "stage")} if t else None,
            "in": incoming.get(node.id, []), "out": outgoing.get(node.id, []),
        })
    return out


def report_data(g: Graph, *, countries=(), date: str) -> tuple[dict, dict]:
    """The JSON embedded in the page, and the frames the static tables are drawn from."""
    facts = load_facts()
    edges = _data.edge_records(g, facts)
    choke = find_chokepoints(g)
    target_all = target(g, all_items=True)
    scenarios, named = _scenarios(g, countries)
    cited = {e["fact"] for e in edges if e["fact"]}
    data = {
        "graph": {"name": g.name, "title": g.title, "description": g.document.description or ""},
        "nodes": _node_records(g, edges, choke, target_all),
        "edges": [{k: v for k, v in e.items() if k != "source_title"} for e in edges],  # titles: "sources"
        "sources": {k: s.model_dump(exclude_none=True) for k, s in g.document.sources.items()},
        "facts": {k: v for k, v in facts.items() if k in cited},
        "scenarios": scenarios,
        "kind_colors": dict(KIND_COLORS),
        "viridis": _viridis(),
        "provenance": {"tool": f"chokepoint {__version__}", "sha256": _data.graph_sha256(g), "date": date,
                       "cytoscape": CYTOSCAPE_VERSION},
    }
    tgt, scope = _data.target_frame(g)
    frames = {"chokepoints": choke, "target": tgt, "target_scope": scope, "named": named}
    return data, frames


def _finite(value):
    """``value`` with infinities as ``None`` (JSON has no infinity; NaN is already ``None``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def embed_json(data) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``, ``&``
    and the JavaScript line separators are escaped, so ``</script>`` cannot appear."""
    text = json.dumps(_finite(data), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --- figures -----------------------------------------------------------------------------------

_SVG_ID = re.compile(r'\bid="([^"]+)"')


def figure_svg(g: Graph, kind: str, prefix: str) -> str:
    """The figure of ``kind`` (:func:`chokepoint.plot.plot`) as an inline ``<svg>`` element whose
    ids carry ``prefix`` (several figures share one page)."""


    # heatmap cells embedded as they are (scaled by the SVG, not resampled to the figure's size):
    # sharp and small
    with matplotlib.rc_context({"svg.hashsalt": "chokepoint", "svg.fonttype": "none",
                                "image.interpolation": "none", "image.resample": False}):
        fig, _ = plot(g, kind=kind)
        buffer = _io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Creator": GENERATOR, "Date": None}, facecolor="white")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    ids = set(_SVG_ID.findall(text))
    if ids:
        pattern = re.compile(r'(id="|url\(#|href="#)(' + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r')(?=[")])')
        text = pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    # scale to the page's width; the viewBox keeps the drawing
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)
    return text.replace("<svg", f'<svg role="img" aria-label="{html.escape(FIGURE_TITLES[kind])}" class="figure"', 1)


def _figures(g: Graph) -> list[tuple[str, str]]:
    out = []
    for i, kind in enumerate(FIGURE_KINDS):
        try:
            out.append((kind, figure_svg(g, kind, f"fig{i}")))
        except InputError as exc:
            out.append((kind, f'<p class="note">No figure: {html.escape(str(exc))}</p>'))
    return out


# --- static HTML -------------------------------------------------------------------------------

def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt_cell(column: str, value) -> str:
    """A table cell's text: percentages for shares and availabilities, 3 significant digits otherwise."""
    value = _data.plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞"
        if column in PERCENT_COLUMNS:
            return f"{100 * value:.1f}%"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list):
        return " → ".join(map(str, value))
    return str(value)


def ordered_columns(frame: pd.DataFrame, preferred) -> list[str]:
    """``preferred`` columns present in ``frame``, then any other (a column the results gain later,
    such as an evidence grade or availability bounds, is shown, not dropped)."""
    first = [c for c in preferred if c in frame.columns]
    return first + [c for c in frame.columns if c not in first and c not in HIDDEN]


def html_table(frame: pd.DataFrame, preferred, *, caption: str, table_id: str, empty: str) -> str:
    if frame.empty:
        return f'<p class="note" id="{_esc(table_id)}-empty">{_esc(empty)}</p>'
    columns = ordered_columns(frame, preferred)
    head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in columns)
    rows = []
    for record in frame[columns].to_dict(orient="records"):
        cells = []
        for c in columns:
            text = fmt_cell(c, record[c])
            numeric = isinstance(_data.plain(record[c]), (int, float)) and not isinstance(record[c], bool)
            cells.append(f'<td class="num">{_esc(text)}</td>' if numeric else f"<td>{_esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="table-wrap"><table id="{_esc(table_id)}"><caption>{_esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _edges_table(g: Graph, edges: list[dict]) -> str:
    supplies = [e for e in edges if e["type"] == "supplies"]
    if not supplies:
        return '<p class="note">No supply shares in this graph.</p>'
    rows = []
    for e in sorted(supplies, key=lambda e: (g.label(e["to"]).lower(), -(e["point"] or 0), e["from"])):
        seed = f'{e["seed_file"]} line {e["seed_line"]}' if e["in_facts_csv"] else "not in facts.csv"
        rng = "" if e["low"] == e["high"] else f'{100 * e["low"]:.1f}–{100 * e["high"]:.1f}%'
        rows.append("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in (
            g.label(e["to"]), g.label(e["from"]), e["share"], rng, e.get("evidence", ""), e["basis"],
            "" if e["year"] is None else e["year"], e["fact"], _source_title(g, e["source"]), seed)) + "</tr>")
    head = "".join(f'<th scope="col">{h}</th>' for h in (
        "item", "supplier", "share as written", "range", "evidence", "basis", "year", "fact", "source",
        "report line (facts.csv)"))
    estimated = sum(1 for e in supplies if e["estimated"])
    return (f'<p>{len(supplies)} supply shares; {estimated} of them estimated (a level word such as '
            '“dominant”, or a figure the source does not state), the rest reported.</p>'
            f'<div class="table-wrap"><table id="edges-table"><caption>Supply shares and their citations</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _source_title(g: Graph, key: str) -> str:
    source = g.document.sources.get(key) if key else None
    return source.title if source else key


def _bases_note(g: Graph) -> str:
    bases = g.bases()
    if not bases:
        return '<p class="note">No supply shares, so no bases.</p>'
    if len(bases) == 1:
        (basis, items), = bases.items()
        return (f'<p id="bases-note">Every share in this graph is on one basis: <strong>{_esc(basis)}</strong> '
                f'({len(items)} item{"s" if len(items) != 1 else ""}).</p>')
    parts = "".join(f"<li><strong>{_esc(b)}</strong>: {_esc(', '.join(g.label(i) for i in items))}</li>"
                    for b, items in bases.items())
    return ('<p id="bases-note">This graph combines shares on different bases (a share of US imports is '
            'not a share of world production); results that mix them are indicative:</p>'
            f"<ul>{parts}</ul>")


def _named_tables(named) -> str:
    if not named:
        return ""
    parts = ['<section id="named-scenarios"><h2>Country scenarios</h2>']
    for i, result in enumerate(named):
        who = ", ".join(result.countries)
        notes = "".join(f'<p class="note">{_esc(n)}</p>' for n in (result.note, result.bases_note) if n)
        parts.append(f"<h3>{_esc(who)} cut off</h3>{notes}")
        parts.append(html_table(result.products, PRODUCT_COLUMNS, caption=f"Products with {who} cut off",
                                table_id=f"scenario-{i}", empty="No products."))
    parts.append("</section>")
    return "".join(parts)


def _options(scenarios: list[dict]) -> str:
    groups = {"named": [], "single": []}
    for s in scenarios:
        groups[s["group"]].append(f'<option value="{_esc(s["key"])}">{_esc(s["label"])}</option>')
    out = ['<option value="">no cutoff (colour by kind)</option>']
    if groups["named"]:
        out.append(f'<optgroup label="named scenarios">{"".join(groups["named"])}</optgroup>')
    if groups["single"]:
        out.append(f'<optgroup label="one country cut off">{"".join(groups["single"])}</optgroup>')
    return "".join(out)


def report_date(date=None) -> str:
    """The footer's date as ``YYYY-MM-DD``: ``date`` (a ``datetime.date`` or ISO text), else today (UTC)."""
    if date is None:
        return _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    if isinstance(date, (_dt.date, _dt.datetime)):
        return date.isoformat()[:10]
    try:
        return _dt.date.fromisoformat(str(date)).isoformat()
    except ValueError:
        raise InputError(f"report date '{date}' is not an ISO date (YYYY-MM-DD)") from None


def build_report(graph, *, countries=(), date=None) -> str:
    """The HTML report of ``graph`` as text.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.graph.Graph`, a bundled graph's name or a path.
    countries
        Extra cutoff scenarios: each entry a country or several joined with ``+`` (cut together);
        with several entries, all of them together as well. Every single-country cutoff is always there.
    date
        The date in the footer (a ``datetime.date`` or ISO text); today (UTC) when ``None``. Pass
        one for byte-identical output.
    """
    g = _data.as_graph(graph)
    date = report_date(date)
    data, frames = report_data(g, countries=countries, date=date)
    figures = _figures(g)
    prov = data["provenance"]
    title = f"{g.title} — chokepoint report"
    warnings = ""
    if g.warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in g.warnings)
        warnings = (f'<details id="warnings"><summary>{len(g.warnings)} note{"s" if len(g.warnings) != 1 else ""} '
                    f'from reading the graph</summary><ul class="note">{items}</ul></details>')
    description = f'<p class="description">{_esc(g.document.description)}</p>' if g.document.description else ""
    legend_kinds = "".join(
        f'<span class="kind"><span class="swatch" style="background:{c}"></span>{_esc(k)}</span>'
        for k, c in data["kind_colors"].items() if any(n["kind"] == k for n in data["nodes"]))
    gradient = ", ".join(data["viridis"])
    figs = "".join(f'<figure id="figure-{k}"><figcaption>{_esc(FIGURE_TITLES[k])}</figcaption>{svg}</figure>'
                   for k, svg in figures)
    sources = "".join(
        f"<li><strong>{_esc(k)}</strong>: {_esc(s.title)}"
        + (f", {_esc(s.publisher)}" if s.publisher else "") + (f" ({s.year})" if s.year else "")
        + (f' — <span class="url">{_esc(s.url)}</span>' if s.url else "") + "</li>"
        for k, s in g.document.sources.items())
    page = f"""<!DOCTYPE html>
<!-- written by chokepoint {__version__}; {OWNER_MARK} -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chokepoint {__version__}">
<title>{_esc(title)}</title>
<style>{_asset("assets/report.css")}</style>
</head>
<body>
<header>
<h1>{_esc(g.title)}</h1>
<p class="subtitle">chokepoint report on the graph <code>{_esc(g.name)}</code>: {len(g.nodes)} nodes,
{len(g.document.edges)} edges, {len(g.products)} products, {len(g.countries)} supplying countries.</p>
{description}{warnings}
</header>
<main>
<section id="interactive" class="interactive">
<h2>The graph</h2>
<p class="hint">Columns: countries → facilities → materials → components → products. Click a node (or an edge)
for its supply shares and citations; choose a cutoff to colour the nodes by what remains available.</p>
<div id="controls">
<label for="scenario">Cutoff scenario</label>
<select id="scenario">{_options(data["scenarios"])}</select>
<span id="scenario-note" class="note"></span>
<div id="legend-kind" class="legend">{legend_kinds}</div>
<div id="legend-availability" class="legend" hidden>
<span>availability 0%</span><span class="gradient" style="background:linear-gradient(to right, {gradient})"></span><span>100%</span>
</div>
</div>
<div class="graph-row">
<div id="cy" aria-label="interactive supply graph"><noscript><p class="note">The interactive graph needs
JavaScript; every table and figure below is plain HTML.</p></noscript></div>
<aside id="detail" aria-live="polite"><p class="note">Click a node to see its suppliers, their shares and
where each figure comes from.</p></aside>
</div>
<div id="scenario-products"></div>
</section>
<section id="chokepoints">
<h2>Chokepoints</h2>
<p>Non-country nodes ranked by score = knockout loss (mean product availability lost when the node
is removed) × exposure (the largest share of it one country controls).</p>
{html_table(frames["chokepoints"], CHOKEPOINT_COLUMNS, caption="Chokepoints", table_id="chokepoints-table",
            empty="No chokepoint candidates (the graph has only countries).")}
</section>
<section id="target">
<h2>The 65% target</h2>
<p>No more than 65% of any material at any stage from one country; tested here on
{_esc(frames["target_scope"])}. A range that straddles 65% is “undetermined”, never passed.</p>
{html_table(frames["target"], TARGET_COLUMNS, caption=f"Target test ({frames['target_scope']})",
            table_id="target-table", empty="No item has supply shares to test.")}
</section>
{_named_tables(frames["named"])}
<section id="bases">
<h2>Bases of the shares</h2>
{_bases_note(g)}
</section>
<section id="figures">
<h2>Figures</h2>
{figs}
</section>
<section id="citations">
<h2>Supply shares and citations</h2>
{_edges_table(g, data["edges"])}
<h3>Sources</h3>
<ul id="sources">{sources or "<li>none given</li>"}</ul>
</section>
</main>
<footer id="provenance">
<p>Made by {_esc(prov["tool"])} on {_esc(date)} from the graph <code>{_esc(g.name)}</code>
(SHA-256 of its canonical JSON: <code id="graph-sha256">{prov["sha256"]}</code>). Interactive graph drawn
with cytoscape.js {CYTOSCAPE_VERSION} (MIT licence, © The Cytoscape Consortium), inlined. This file
loads nothing from the network.</p>
</footer>
<script type="application/json" id="report-data">{embed_json(data)}</script>
<script>{vendored_cytoscape()}</script>
<script>{_asset("assets/report.js")}</script>
</body>
</html>
"""
    return page


def write_report(graph, path, *, countries=(), force: bool = False, date=None) -> Path:
    """Write the HTML report atomically; an existing file not written by chokepoint needs ``force``."""
    target = Path(path)
    if target.suffix.lower() not in REPORT_SUFFIXES:
        raise InputError(f"{target}: a report ends in .html or .htm")
    check_overwrite(target, force=force)
    text = build_report(graph, countries=countries, date=date)
    try:
        return atomic_write(target, text, force=True)
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
