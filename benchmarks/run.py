"""Benchmark: the naive networkx cutoff against the compiled engine's full sweep, same process.

    python benchmarks/run.py                                  # 10k, 100k and 1M edges
    python benchmarks/run.py --sizes 10000 100000 1000000 --ten-million
    python benchmarks/run.py --sizes 10000 --naive 3 --no-write

For each size (edges; nodes = edges / 5) a seeded generated graph (``chokepoint.generate``) is
built as arrays, compiled straight from them (no pydantic objects), and:

- the naive baseline of issue 6 runs on a few single-country cutoffs: copy the networkx graph,
  drop the country, topological sort, a dict loop with sum for suppliers and min (max for
  ``needs: any``) for required inputs;
- the engine sweeps every country (200) in one call: float64 with exact sums (the default, equal
  to the reference), float64 with plain sums, and float32;
- it prints time per scenario for each, the ratio, the engine's peak memory (tracemalloc, numpy
  buffers included) and the process's peak RSS, and the largest difference between the naive
  results and the engine's;
- the memory-bandwidth floor: bytes that must move per scenario (one read per edge, one write
  per node, 8 bytes each) over the bandwidth of a numpy copy measured here.

The naive baseline needs an acyclic graph (it sorts topologically), so the comparison graphs are
generated without cycles; the engine is also timed on the default generator (with cycles).
Results go to ``benchmarks/RESULTS.md`` (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FILE_TO_ANSWER_MARK = "<!-- file-to-answer -->"
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from chokepoint.engine import COUNTRY, FACILITY, REQUIRES, SUPPLIES, evaluate  # noqa: E402
from chokepoint.generate import generate  # noqa: E402


# ---------------------------------------------------------------------------------------------
# the naive baseline


def to_networkx(made):
    """The generated graph as a networkx DiGraph with the attributes the naive loop reads."""
    import networkx as nx

    compiled_shares = _point_shares(made)
    g = nx.DiGraph()
    ids = made.ids
    kinds = made.kind.tolist()
    for i, ident in enumerate(ids):
        attrs = {"kind": int(kinds[i]), "any": bool(made.needs_any[i])}
        if kinds[i] == FACILITY:
            attrs["country"] = ids[int(made.country[i])]
        g.add_node(ident, **attrs)
    supplied = np.zeros(made.n_nodes, dtype=bool)
    total = np.zeros(made.n_nodes)
    for s, d, t, share in zip(made.src.tolist(), made.dst.tolist(), made.etype.tolist(), compiled_shares.tolist()):
        if t == SUPPLIES:
            g.add_edge(ids[s], ids[d], type=SUPPLIES, share=share)
            supplied[d] = True
            total[d] += share
        else:
            g.add_edge(ids[s], ids[d], type=REQUIRES)
    for i in np.flatnonzero(supplied).tolist():
        g.nodes[ids[i]]["unknown"] = max(0.0, 1.0 - total[i])
    return g


def _point_shares(made):
    """Point shares as the engine reads them (midpoints, scaled down where an item passes 1)."""
    point = np.where(made.etype == SUPPLIES, (made.low + made.high) / 2, 0.0)
    total = np.bincount(made.dst, weights=point, minlength=made.n_nodes)
    scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
    return point * scale[made.dst]


def naive_cutoff(g, country: str) -> dict:
    """Issue 6's naive cutoff: copy, drop the country, topological sort, a dict loop."""
    import networkx as nx

    h = g.copy()
    h.remove_node(country)
    avail = {}
    for node in nx.topological_sort(h):
        data = h.nodes[node]
        kind = data["kind"]
        if kind == COUNTRY:
            avail[node] = 1.0
            continue
        if kind == FACILITY:
            value = avail.get(data["country"], 1.0 if data["country"] in h else 0.0)
        elif "unknown" in data:
            value = sum(d["share"] * avail[u] for u, _, d in h.in_edges(node, data=True) if d["type"] == SUPPLIES)
            value = min(1.0, value + data["unknown"])
        else:
            value = 1.0
        inputs = [avail[u] for u, _, d in h.in_edges(node, data=True) if d["type"] == REQUIRES]
        if inputs:
            value = min(value, max(inputs) if data["any"] else min(inputs))
        avail[node] = value
    return avail


# ---------------------------------------------------------------------------------------------
# measurements


def bandwidth() -> tuple[float, float]:
    """(copy, read) bandwidth in bytes/s: best of 5 on 400 MB arrays (a copy counts read + write)."""
    a = np.ones(50_000_000)
    b = np.empty_like(a)
    copy = read = 0.0
    for _ in range(5):
        t = time.perf_counter()
        np.copyto(b, a)
        copy = max(copy, 2 * a.nbytes / (time.perf_counter() - t))
        t = time.perf_counter()
        a.sum()
        read = max(read, a.nbytes / (time.perf_counter() - t))
    del a, b
    return copy, read


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_sweep(compiled, cuts, repeats: int, **options):
    """(best time, cold time, peak traced bytes, result) of the full sweep.

    The cold run is the first in this process (plan building, fresh memory); the peak is taken
    in a separate run under tracemalloc (numpy buffers included), which is not timed.
    """
    gc.collect()
    t = time.perf_counter()
    result = evaluate(compiled, cuts, **options)
    cold = time.perf_counter() - t
    times = [cold]
    for _ in range(max(0, repeats - 1)):
        gc.collect()
        t = time.perf_counter()
        result = evaluate(compiled, cuts, **options)
        times.append(time.perf_counter() - t)
    gc.collect()
    tracemalloc.start()
    evaluate(compiled, cuts, **options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), cold, peak, result


def run_size(edges: int, *, naive: int, repeats: int, seed: int, log) -> dict:
    nodes = edges // 5
    row = {"edges": edges, "nodes": nodes}
    t = time.perf_counter()
    made = generate(nodes, edges, seed, cycles=0)
    row["generate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    compiled = made.compile()
    row["compile_s"] = time.perf_counter() - t
    cuts = [[c] for c in compiled.country_codes]
    row["countries"] = len(cuts)
    log(f"{edges:>10,} edges: generated in {row['generate_s']:.2f} s, compiled in {row['compile_s']:.2f} s, "
        f"{compiled.n_levels} levels, {len(cuts)} countries")

    # what a sweep reports: every product under every cutoff
    best, cold, peak, full = timed_sweep(compiled, cuts, repeats, rows=compiled.products)
    row.update(engine_sweep_s=best, engine_cold_s=cold, engine_peak_mb=peak / 2**20)
    best32, _, peak32, _ = timed_sweep(compiled, cuts, repeats, dtype=np.float32, rows=compiled.products)
    bestfast, _, _, fast = timed_sweep(compiled, cuts, repeats, exact=False, rows=compiled.products)
    row.update(engine32_sweep_s=best32, engine32_peak_mb=peak32 / 2**20, enginefast_sweep_s=bestfast,
               fast_vs_exact=float(np.abs(fast - full).max()))
    log(f"{'':>12} engine sweep of {len(cuts)}: {best:.3f} s (cold {cold:.3f} s), float64 plain sums "
        f"{bestfast:.3f} s, float32 {best32:.3f} s; peak {peak / 2**20:.0f} MB")

    if naive:
        t = time.perf_counter()
        g = to_networkx(made)
        row["networkx_build_s"] = time.perf_counter() - t
        worst = 0.0
        times = []
        # the biggest producers first: the costliest cutoffs, and the same ones at every size
        chosen = cuts[:naive]
        every_node = evaluate(compiled, chosen)  # the engine's value of every node, for the agreement
        for j, (country,) in enumerate(chosen):
            t = time.perf_counter()
            avail = naive_cutoff(g, country)
            times.append(time.perf_counter() - t)
            column = every_node[:, j]
            for ident, value in avail.items():
                worst = max(worst, abs(value - column[compiled.index[ident]]))
        row["naive_per_scenario_s"] = float(np.mean(times))
        row["naive_scenarios"] = len(times)
        row["agreement"] = worst
        row["ratio"] = row["naive_per_scenario_s"] / (best / len(cuts))
        log(f"{'':>12} naive: {row['naive_per_scenario_s']:.3f} s per scenario ({len(times)} run), "
            f"ratio {row['ratio']:,.0f}x, max |naive - engine| = {worst:.1e}")
        del g
    row["engine_per_scenario_s"] = best / len(cuts)
    row["rss_mb"] = peak_rss_mb()
    del full, fast
    gc.collect()
    return row


def run_cycles(edges: int, *, repeats: int, seed: int, log) -> dict:
    made = generate(edges // 5, edges, seed)
    compiled = made.compile()
    cuts = [[c] for c in compiled.country_codes]
    best, cold, peak, _ = timed_sweep(compiled, cuts, repeats, rows=compiled.products)
    n_cyclic = int(sum(compiled.level_ptr[1:] - compiled.cyclic_ptr))
    log(f"{edges:>10,} edges with cycles ({n_cyclic} nodes in cycles): engine sweep {best:.3f} s (cold {cold:.3f} s)")
    return {"edges": edges, "cyclic_nodes": n_cyclic, "engine_sweep_s": best, "engine_cold_s": cold,
            "engine_peak_mb": peak / 2**20}


def run_big(edges: int, *, seed: int, log) -> dict:
    t = time.perf_counter()
    made = generate(edges // 5, edges, seed)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    compiled = made.compile()
    comp = time.perf_counter() - t
    del made
    gc.collect()
    cuts = [[c] for c in compiled.country_codes]
    best, cold, peak, result = timed_sweep(compiled, cuts, 1, rows=compiled.products)
    row = {"edges": edges, "nodes": compiled.n_nodes, "generate_s": gen, "compile_s": comp, "engine_sweep_s": best,
           "engine_peak_mb": peak / 2**20, "rss_mb": peak_rss_mb(), "products": len(compiled.products),
           "countries": len(cuts), "min_availability": float(result.min())}
    log(f"{edges:>10,} edges: generated {gen:.1f} s, compiled {comp:.1f} s, sweep of {len(cuts)} in {best:.1f} s, "
        f"engine peak {peak / 2**20:.0f} MB, process peak RSS {row['rss_mb']:.0f} MB")
    return row


def floor(rows, bw_copy, bw_read):
    for row in rows:
        per = (row["edges"] + row["nodes"]) * 8  # one 8-byte read per edge, one write per node
        row["floor_per_scenario_s"] = per / bw_copy
        row["floor_sweep_s"] = row["floor_per_scenario_s"] * row["countries"]
        row["from_floor"] = row["engine_sweep_s"] / row["floor_sweep_s"]


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import scipy

    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM; Python {platform.python_version()}, "
            f"numpy {np.__version__}, scipy {scipy.__version__}")


def report(rows, cyc, big, bw_copy, bw_read, args) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run {_dt.date.today().isoformat()}: `python benchmarks/run.py {' '.join(sys.argv[1:])}`",
        "",
        f"Machine: {machine()}. Shared and noisy: times are the best of {args.repeats} runs (cold: the first).",
        f"Measured bandwidth: numpy copy {bw_copy / 1e9:.1f} GB/s (read + write), sum {bw_read / 1e9:.1f} GB/s (read).",
        "",
        "Graphs: `chokepoint.generate` (seed {}), nodes = edges / 5, 200 countries; the comparison graphs "
        "have no cycles (the naive baseline sorts topologically). Naive: issue 6's loop (networkx copy, drop "
        "the country, topological sort, dict loop) on the costliest cutoffs. Engine: every country cut in turn "
        "in one `evaluate` call returning every product (what `sweep` reports), float64 with exact sums (the "
        "default; equal to the reference); the agreement is over every node.".format(args.seed),
        "",
        "| edges | nodes | naive s/scenario | engine s/scenario | ratio | engine sweep (all countries) | cold | "
        "float64 plain sums | float32 | engine peak MB | process peak RSS MB | max abs diff naive vs engine |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        naive = f"{r['naive_per_scenario_s']:.3f}" if "naive_per_scenario_s" in r else "n/a"
        ratio = f"{r['ratio']:,.0f}x" if "ratio" in r else "n/a"
        agree = f"{r['agreement']:.1e}" if "agreement" in r else "n/a"
        lines.append(f"| {r['edges']:,} | {r['nodes']:,} | {naive} | {r['engine_per_scenario_s'] * 1e3:.3f} ms | "
                     f"{ratio} | {r['engine_sweep_s']:.3f} s | {r['engine_cold_s']:.3f} s | "
                     f"{r['enginefast_sweep_s']:.3f} s | {r['engine32_sweep_s']:.3f} s | {r['engine_peak_mb']:.0f} | "
                     f"{r['rss_mb']:.0f} | {agree} |")
    lines += ["", "Memory-bandwidth floor: one 8-byte read per edge and one 8-byte write per node per scenario, "
              "at the measured copy bandwidth.", "",
              "| edges | floor per scenario | floor, all countries | engine sweep | engine / floor |",
              "|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['edges']:,} | {r['floor_per_scenario_s'] * 1e3:.3f} ms | {r['floor_sweep_s']:.3f} s | "
                     f"{r['engine_sweep_s']:.3f} s | {r['from_floor']:.1f}x |")
    if cyc:
        lines += ["", "With cycles (the default generator: short requires-cycles, some through a plant's share, "
                  "iterated to 1e-13 per scenario):", "",
                  "| edges | nodes in cycles | engine sweep | cold | engine peak MB |", "|---:|---:|---:|---:|---:|"]
        for r in cyc:
            lines.append(f"| {r['edges']:,} | {r['cyclic_nodes']} | {r['engine_sweep_s']:.3f} s | "
                         f"{r['engine_cold_s']:.3f} s | {r['engine_peak_mb']:.0f} |")
    if big:
        lines += ["", "Large graphs (engine only, products returned, default memory budget per chunk):", "",
                  "| edges | nodes | generate | compile | sweep of 200 countries | engine peak MB | process peak RSS MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        for r in big:
            lines.append(f"| {r['edges']:,} | {r['nodes']:,} | {r['generate_s']:.1f} s | {r['compile_s']:.1f} s | "
                         f"{r['engine_sweep_s']:.1f} s | {r['engine_peak_mb']:.0f} | {r['rss_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def _in_child(function, *args, **kwargs):
    """Run one measurement in a fresh process, so that its peak RSS is its own."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(function, args, kwargs)


def _print(text):
    print(text, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="edge counts")
    parser.add_argument("--naive", type=int, default=3, help="naive scenarios per size (0: skip the baseline)")
    parser.add_argument("--repeats", type=int, default=3, help="engine runs per measurement (best is kept)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cycles", type=int, nargs="*", default=[1_000_000], help="sizes also timed with cycles")
    parser.add_argument("--ten-million", action="store_true", help="also sweep a 10M-edge graph (engine only)")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/RESULTS.md")
    parser.add_argument("--file-to-answer", action="store_true",
                        help="instead: the file-to-answer benchmark against the naive script "
                             "(benchmarks/file_to_answer.py; the options after it are its own)")
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--file-to-answer" in argv:
        from file_to_answer import main as file_to_answer  # the sibling script (benchmarks/ is on sys.path)

        return file_to_answer([a for a in argv if a != "--file-to-answer"])
    args = parser.parse_args(argv)

    log = _print
    rows = [_in_child(run_size, size, naive=args.naive, repeats=args.repeats, seed=args.seed, log=log)
            for size in args.sizes]
    cyc = [_in_child(run_cycles, size, repeats=args.repeats, seed=args.seed, log=log) for size in args.cycles or []]
    big = [_in_child(run_big, 10_000_000, seed=args.seed, log=log)] if args.ten_million else []
    # last, in a child: its 800 MB of arrays must not count in the others' peak RSS
    bw_copy, bw_read = _in_child(bandwidth)
    log(f"bandwidth: copy {bw_copy / 1e9:.1f} GB/s, read {bw_read / 1e9:.1f} GB/s")
    floor(rows, bw_copy, bw_read)
    for r in rows:
        log(f"{r['edges']:>10,} edges: floor {r['floor_sweep_s']:.3f} s per sweep; engine is {r['from_floor']:.1f}x the floor")
    text = report(rows, cyc, big, bw_copy, bw_read, args)
    if not args.no_write:
        path = HERE / "RESULTS.md"
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if FILE_TO_ANSWER_MARK in old:  # the file-to-answer section is file_to_answer.py's: kept
            text = text.rstrip("\n") + "\n\n" + old[old.index(FILE_TO_ANSWER_MARK):]
        path.write_text(text, encoding="utf-8")
        log(f"wrote {HERE / 'RESULTS.md'}")
    else:
        log(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
