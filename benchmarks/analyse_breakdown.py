"""Where `chokepoint analyse` spends its time, in one process, after the graph is loaded.

    PYTHONPATH=src python benchmarks/analyse_breakdown.py GRAPH

Loads and validates the graph once (not timed as part of the analysis), resets the peak RSS
(Linux ``/proc/self/clear_refs``), then times each step of :func:`chokepoint.api.analyse` and the
parts of :func:`chokepoint.analysis.chokepoints.find_chokepoints` by wrapping the functions it
calls (wall and CPU seconds: on a shared machine CPU time is the steadier figure), and reports
the peak RSS of the analysis. Works on older source trees too (``PYTHONPATH=OLD/src``): steps a
tree does not have are left out.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import time


def rss_mb(field="VmHWM"):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


TIMES: dict[str, list] = {}


def timed(module, name, label=None):
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            entry = TIMES.setdefault(label or name, [0.0, 0.0])
            entry[0] += time.perf_counter() - t
            entry[1] += time.process_time() - c

    setattr(module, name, wrapper)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("graph")
    args = parser.parse_args()
    from chokepoint import api
    from chokepoint.analysis import chokepoints as ch
    from chokepoint.formats.graphs import load_graph

    t = time.perf_counter()
    graph = load_graph(args.graph)
    load = time.perf_counter() - t
    print(f"load+validate {load:.2f} s, RSS {rss_mb('VmRSS'):.0f} MB")
    # what find_chokepoints calls
    for name in ("compile_graph", "evaluate", "bounds", "exposures", "exposure_bounds", "knockout_losses",
                 "knockout_losses_many", "concentration", "dominators", "_reason"):
        if hasattr(ch, name):
            timed(ch, name, "chokepoints." + name)
    # the api's imports, in the module that uses them (api/chokepoints.py since api became a package)
    try:
        where = importlib.import_module("chokepoint.api.chokepoints")
    except ImportError:  # an older tree: api.py
        where = api
    for name in ("_find_chokepoints", "_chokepoints_and_sweep", "_target", "_exposure", "_sweep"):
        if hasattr(where, name):
            timed(where, name, "api." + name)
    timed(api.Graph, "bases", "api.Graph.bases")
    gc.collect()
    reset_peak()
    base = rss_mb("VmRSS")
    t, c = time.perf_counter(), time.process_time()
    result = api.analyse(graph)
    total, cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    result.to_dict()
    to_dict = time.perf_counter() - t
    print(f"analyse {total:.2f} s wall, {cpu:.2f} s CPU (+ to_dict {to_dict:.2f} s); "
          f"RSS before {base:.0f} MB, peak {rss_mb():.0f} MB")
    print(f"  {'step (nested: find_chokepoints holds the chokepoints.* rows)':60s}   wall s    CPU s")
    for key, (wall, cpu) in TIMES.items():
        print(f"  {key:60s} {wall:7.2f}  {cpu:7.2f}")
    print(result.chokepoints.head(3).to_string())


if __name__ == "__main__":
    main()
