"""`explain` and `sensitivity`: what a node's figures rest on, and which estimate moves the results."""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import BLOC_HELP, COUNTRY_HELP, GRAPH_HELP, app, echo_json
from .render import console, frame_table, pct


def _share_range(low: float, high: float) -> str:
    return pct(low) if low == high else f"{pct(low)}-{pct(high)}"


@app.command()
def explain(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    node: str = typer.Argument(..., help="The node to explain (its id)."),
    country: Optional[List[str]] = typer.Option(None, "--country", "-c", help=COUNTRY_HELP),
    bloc: Optional[List[str]] = typer.Option(None, "--bloc", "-b", help=BLOC_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The figures behind a node (share, evidence, source, fact, seed line), the notes behind its inputs,
    and with --country/--bloc the chain that explains its loss and the assumptions on it."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    import pandas as pd  # start-up: loaded when a command runs, not for --help
    result = api.explain(graph, node, countries=tuple(country or ()), blocs=tuple(bloc or ()))
    if as_json:
        echo_json(result.to_dict())
        return
    out = console()
    what = ", ".join(x for x in (result.kind, result.stage, f"in {result.country}" if result.country else "") if x)
    out.print(f"{result.node}: {result.label} ({what}) in {result.graph}")
    if result.supplies:
        counts = f"{len(result.supplies) - result.estimated} reported, {result.estimated} estimated"
        remainder = f"; other or unknown suppliers {pct(result.unknown_share)}" if result.unknown_share else ""
        rows = pd.DataFrame([{
            "from": s.supplier, "share": s.share_text, "range": _share_range(s.low, s.high), "evidence": s.evidence,
            "basis": s.basis or "", "year": "" if s.year is None else str(s.year), "source": s.source or "",
            "fact": s.fact or "",
        } for s in result.supplies])
        out.print(frame_table(rows, f"Supplied by ({counts}{remainder})"))
        out.print("Facts:")
        for s in result.supplies:
            _print_citation(out, s)
        sources = dict.fromkeys((s.source, s.source_title) for s in result.supplies if s.source)
        out.print("Sources: " + "; ".join(f"{key}: {title}" for key, title in sources))
    elif result.kind != "country":
        out.print("No supplies edges: limited only by its inputs.")
    if result.requires:
        rows = pd.DataFrame([{"input": r.input, "note": r.note or "no note"} for r in result.requires])
        out.print()
        out.print(frame_table(rows, f"Requires (needs {result.needs}: "
                                    + ("every input" if result.needs == "all" else "any one input") + ")"))
    chain = result.chain
    if chain is None:
        return
    who = ", ".join(chain.countries)
    if chain.blocs:
        who = f"{' + '.join(chain.blocs)} ({who})"
    out.print()
    if not chain.path:
        out.print(f"Cutoff of {who}: availability {pct(chain.availability)}, no loss to explain.")
        return
    out.print(f"Cutoff of {who}: availability {pct(chain.availability)} (loss {pct(chain.loss)}), "
              f"evidence {chain.evidence}")
    out.print("Chain: " + " -> ".join(chain.path), overflow="fold")
    for number, link in enumerate(chain.links, start=1):
        if link.link == "hosts":
            text = f"{link.from_} hosts {link.to}"
        elif link.link == "supplies":
            text = f"{link.from_} supplies {link.share_text} of {link.to} ({link.evidence}, {link.fact or 'no fact'})"
        else:
            text = f"{link.from_} is an input of {link.to}"
        text += f": {link.to} at {pct(link.availability_to)}"
        if link.link != "hosts":
            text += f"; note: {link.note}" if link.note else "; no note"
        out.print(f" {number}. {text}")
    if chain.assumptions:
        out.print("Assumptions on this chain:")
        for a in chain.assumptions:
            fact = f" ({a.fact})" if a.fact else ""
            mark = " [on the chain]" if a.on_chain else ""
            out.print(f" - {a.what}{fact}{mark}" + (f": {a.note}" if a.note else ""))
    else:
        out.print("Assumptions on this chain: none (every share under it is reported).")


def _print_citation(out, s) -> None:
    c = s.citation
    head = f" {s.supplier} -> {c.fact or 'no fact cited'}"
    if c.kind == "facts.csv":
        out.print(f"{head}: {c.report}, {c.item}: \"{c.statement}\" ({c.where})")
    elif c.kind == "seed":
        also = f"; facts.csv rows on that line: {', '.join(c.same_line)}" if c.same_line else ""
        report = f"{c.report}, " if c.report else ""
        out.print(f"{head}: {report}{c.statement}, {c.where}{also}")
    elif c.kind == "data release":
        out.print(f"{head}: {c.report_title}, {c.item} ({c.url})")
    elif c.kind == "not in facts.csv":
        out.print(f"{head}: not a row of facts.csv")
    else:
        out.print(f"{head}")


@app.command()
def sensitivity(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    country: Optional[List[str]] = typer.Option(None, "--country", "-c", help=COUNTRY_HELP),
    bloc: Optional[List[str]] = typer.Option(None, "--bloc", "-b", help=BLOC_HELP),
    product: Optional[List[str]] = typer.Option(None, "--product", "-p", help="Only this product (repeat for several)."),
    top: int = typer.Option(10, "--top", min=1, help="How many swings to show (largest first)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Under a cutoff, set each estimated share to each end of its range, one at a time, and rank the
    products' availability swings."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    import pandas as pd  # start-up: loaded when a command runs, not for --help
    result = api.sensitivity(graph, countries=tuple(country or ()), blocs=tuple(bloc or ()),
                             products=tuple(product or ()), top=top)
    if as_json:
        echo_json(result.to_dict())
        return
    out = console()
    who = ", ".join(result.countries)
    if result.blocs:
        who = f"{' + '.join(result.blocs)} ({who})"
    out.print(f"Cutoff of {who} in {result.graph}: {result.varied} ranged share{'s' if result.varied != 1 else ''} "
              "varied one at a time (the others at their point values)")
    if result.note:
        out.print(result.note)
    ranking = result.ranking
    if ranking.empty:
        out.print("No estimated share moves any product's availability under this cutoff.")
    else:
        table = pd.DataFrame({
            "#": range(1, len(ranking) + 1),
            "share": [f"{r['from']} -> {r['to']}" for _, r in ranking.iterrows()],
            "as written": ranking["share"], "fact": ranking["fact"], "product": ranking["product"],
            "point": ranking["baseline"].map(pct), "at low": ranking["at_low"].map(pct),
            "at high": ranking["at_high"].map(pct), "swing": ranking["swing"].map(pct),
        })
        moving = int((result.frame["swing"] > 1e-12).sum())
        more = f" of {moving}" if moving > len(ranking) else ""
        out.print(frame_table(table, f"Top {len(ranking)}{more} availability swings (share at its low end, "
                                     "at its high end)"))
    if result.fixed:
        shown = ", ".join(result.fixed[:5]) + (f" and {len(result.fixed) - 5} more" if len(result.fixed) > 5 else "")
        out.print(f"Estimated shares written as one number (no range to vary): {shown}")
