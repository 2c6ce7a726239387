"""Benchmark from file to answer: chokepoint's commands against the naive script, same run.

    python benchmarks/file_to_answer.py                       # 100k and 1M edges: cutoff
    python benchmarks/file_to_answer.py --sizes 100000 --commands cutoff analyse
    python benchmarks/run.py --file-to-answer ...             # the same, through run.py

For each size (edges; nodes = edges / 5) a seeded acyclic graph is generated to a JSON file
(``chokepoint generate --cycles 0``: the naive script sorts topologically), then each is run
as its own process, timed (wall clock) and measured (peak RSS) by ``/usr/bin/time -v``:

- ``naive``: ``benchmarks/naive_cutoff.py``: ``json.load``, a networkx DiGraph, one topological
  propagation, ``json.dump`` of each product's availability (the analyst's own script);
- ``cutoff``: ``chokepoint cutoff FILE --country CN --json`` (validation, the cutoff, its
  bounds, the chain explaining every product's loss, the evidence grade);
- ``analyse`` (optional): ``chokepoint analyse FILE --json`` (every node's knockout three times,
  exposure, dominators, the target test and the country sweep);
- ``sweep`` (optional): ``chokepoint sweep FILE --json``.

The ratio is the command's time over the naive script's, measured side by side in the same run
(the machine is shared: compare ratios, not absolute times). The naive answer and chokepoint's
``cutoff --json`` are checked to agree on every product (1e-9).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = "<!-- file-to-answer -->"
SRC = HERE.parent / "src"
COUNTRY = "CN"


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def measured(argv, stdout=None) -> dict:
    """Run ``argv`` under ``/usr/bin/time -v``: wall seconds and peak RSS (MB)."""
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    proc = subprocess.run(timer + list(argv), stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=_env(), text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return {"seconds": wall, "rss_mb": int(rss.group(1)) / 1024 if rss else float("nan")}


def generate(edges: int, path: Path, seed: int) -> None:
    subprocess.run([sys.executable, "-m", "chokepoint", "generate", "--nodes", str(edges // 5), "--edges",
                    str(edges), "--seed", str(seed), "--cycles", "0", "-o", str(path), "--force"],
                   check=True, env=_env(), stdout=subprocess.DEVNULL)


def naive_answer(graph: Path, out: Path) -> dict:
    return measured([sys.executable, str(HERE / "naive_cutoff.py"), str(graph), COUNTRY, str(out)])


#: The commands measured: name -> (input format, arguments after the graph, output to a file or stdout).
#: ``{out}`` is a file in the work folder; "stdout" captures the standard output to ``{out}``.
COMMANDS = {
    "cutoff": ("json", ["--country", COUNTRY, "--json"], "stdout"),
    "cutoff-csv": ("csv", ["--country", COUNTRY, "--json"], "stdout"),
    "cutoff-parquet": ("parquet", ["--country", COUNTRY, "--json"], "stdout"),
    "validate": ("json", [], "stdout"),
    "validate-parquet": ("parquet", [], "stdout"),
    "sweep": ("json", ["--json"], "stdout"),
    "sweep-parquet": ("parquet", ["-o", "{out}.parquet", "--force"], "file"),
    "sweep-samples": ("parquet", ["--samples", "1000", "-o", "{out}.parquet", "--force"], "file"),
    "analyse": ("json", ["--json"], "stdout"),
    "analyse-parquet": ("parquet", ["--json"], "stdout"),
    # the default export: past 100,000 edges without the analysis columns (it says so)
    "export": ("parquet", ["--format", "graphml", "-o", "{out}.graphml", "--force"], "file"),
    "export-analysis": ("parquet", ["--format", "graphml", "--analysis", "-o", "{out}.graphml", "--force"], "file"),
}
FORMAT_SUFFIX = {"json": ".json", "csv": ".csv", "parquet": ".parquet"}


def chokepoint_answer(command: str, graph: Path, out: Path) -> dict:
    verb = command.split("-")[0]
    _, tail, kind = COMMANDS[command]
    argv = [sys.executable, "-m", "chokepoint", verb, str(graph)] + [a.replace("{out}", str(out)) for a in tail]
    if kind == "file":
        return measured(argv)
    with open(out, "w", encoding="utf-8") as f:
        return measured(argv, stdout=f)


def help_time(repeats: int = 5) -> dict:
    """``chokepoint --help``: the best of ``repeats`` runs, and the heavy modules it imported."""
    best = min(measured([sys.executable, "-m", "chokepoint", "--help"])["seconds"] for _ in range(repeats))
    probe = subprocess.run([sys.executable, "-X", "importtime", "-m", "chokepoint", "--help"], env=_env(),
                           capture_output=True, text=True)
    heavy = sorted({m for m in ("pandas", "networkx", "numpy", "scipy", "matplotlib", "pydantic")
                    if re.search(rf"\|\s+{m}$", probe.stderr, re.MULTILINE)})
    return {"seconds": best, "heavy": heavy}


def compare(naive_out: Path, cutoff_out: Path) -> float:
    """The largest difference between the naive availabilities and chokepoint's; raises when a
    product is missing on either side."""
    naive = json.loads(naive_out.read_text(encoding="utf-8"))
    ours = {p["id"]: p["availability"] for p in json.loads(cutoff_out.read_text(encoding="utf-8"))["products"]}
    if set(naive) != set(ours):
        raise AssertionError(f"products differ: {sorted(set(naive) ^ set(ours))[:5]}")
    return max((abs(naive[k] - ours[k]) for k in naive), default=0.0)


def run(sizes, commands, seed: int, repeats: int, workdir: Path, log=print, naive: bool = True) -> list[dict]:
    rows = []
    for edges in sizes:
        graph = workdir / f"g{edges}.json"
        formats = {COMMANDS[c][0] for c in commands} | ({"json"} if naive else set())
        inputs = {}
        for fmt in sorted(formats):
            inputs[fmt] = workdir / f"g{edges}{FORMAT_SUFFIX[fmt]}"
            generate(edges, inputs[fmt], seed)
        size_mb = graph.stat().st_size / 1e6 if "json" in inputs else float("nan")
        best: dict = {}
        for _ in range(repeats):  # interleaved, so that load on the machine hits both alike
            for name in (["naive"] if naive else []) + list(commands):
                out = workdir / f"{name}-{edges}.json"
                m = naive_answer(graph, out) if name == "naive" else \
                    chokepoint_answer(name, inputs[COMMANDS[name][0]], out)
                if name not in best or m["seconds"] < best[name]["seconds"]:
                    best[name] = m
                log(f"{edges:>10,} edges  {name:<16} {m['seconds']:8.2f} s  {m['rss_mb']:8.0f} MB")
        diffs = {c: compare(workdir / f"naive-{edges}.json", workdir / f"{c}-{edges}.json")
                 for c in commands if c.startswith("cutoff") and naive}
        rows.append({"edges": edges, "nodes": edges // 5, "file_mb": size_mb, "best": best, "max_diff": diffs})
    return rows


def table(rows, commands) -> str:
    lines = ["| edges | JSON MB | command | seconds | peak MB | / naive |", "|---:|---:|---|---:|---:|---:|"]
    for row in rows:
        b = row["best"]
        naive = b["naive"]["seconds"] if "naive" in b else None
        for name in [n for n in ["naive", *commands] if n in b]:
            ratio = f"{b[name]['seconds'] / naive:.2f}x" if naive else "(no naive run)"
            mb = "-" if row["file_mb"] != row["file_mb"] else f"{row['file_mb']:.0f}"
            lines.append(f"| {row['edges']:,} | {mb} | {name} | {b[name]['seconds']:.2f} | "
                         f"{b[name]['rss_mb']:.0f} | {ratio} |")
    diffs = "; ".join(f"{r['edges']:,} edges: " + ", ".join(f"{c} {d:.1e}" for c, d in r["max_diff"].items())
                      for r in rows if r["max_diff"])
    if diffs:
        lines += ["", f"Largest difference between the naive availabilities and each cutoff's: {diffs}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="edge counts")
    parser.add_argument("--commands", nargs="+", default=["cutoff"], choices=list(COMMANDS))
    parser.add_argument("--help-time", action="store_true", help="also time `chokepoint --help`")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each (the fastest is kept)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the graphs and answers here")
    parser.add_argument("--no-naive", action="store_true",
                        help="skip the naive script (e.g. at 10M edges, where its JSON and networkx need ~10 GB)")
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/RESULTS.md")
    parser.add_argument("--append", action="store_true",
                        help="with --write: add the table to the file-to-answer section instead of replacing it")
    parser.add_argument("--src", type=Path, default=None,
                        help="run chokepoint from this source tree (e.g. an older commit's, for before/after)")
    args = parser.parse_args(argv)
    if args.src is not None:
        global SRC
        SRC = args.src.resolve()
    commands = list(dict.fromkeys(args.commands if args.no_naive else ["cutoff", *args.commands]))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        rows = run(args.sizes, commands, args.seed, args.repeats, workdir, log=lambda s: print(s, flush=True),
                   naive=not args.no_naive)
    text = table(rows, commands)
    if args.help_time:
        start = help_time()
        text += (f"\n\n`chokepoint --help`: {start['seconds']:.3f} s (best of 5), heavy modules imported: "
                 f"{', '.join(start['heavy']) or 'none'}.")
    print()
    print(text)
    if args.write:
        write_results(text, args)
    return 0


def write_results(text: str, args) -> None:
    """Put the table in RESULTS.md's file-to-answer section (from the marker on), replacing it."""
    path = HERE / "RESULTS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    command = (f"`python benchmarks/file_to_answer.py --sizes {' '.join(map(str, args.sizes))} "
               f"--commands {' '.join(args.commands)} --repeats {args.repeats}"
               f"{' --no-naive' if args.no_naive else ''} --write` (seed {args.seed}).")
    if args.append and MARK in old:
        path.write_text(old.rstrip("\n") + "\n\n" + command + "\n\n" + text + "\n", encoding="utf-8")
        return
    head = old[:old.index(MARK)].rstrip("\n") if MARK in old else old.rstrip("\n")
    section = [MARK, "", "## From file to answer", "",
               command + " Each command is its own process, timed with `/usr/bin/time -v` (wall clock, peak RSS)"
               + ("." if args.no_naive else ", interleaved with the naive script (benchmarks/naive_cutoff.py) on "
                  "the same acyclic generated graph."), "", text, ""]
    path.write_text((head + "\n\n" if head else "") + "\n".join(section), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
