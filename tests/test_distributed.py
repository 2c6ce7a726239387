"""Sweeps on a real dask.distributed LocalCluster equal local ones exactly, even when a worker dies."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from chokepoint import api, load_graph  # noqa: E402
from chokepoint.analysis.distributed import _sweep_block, map_blocks, sweep as dask_sweep  # noqa: E402
from chokepoint.engine import compile_graph, evaluate  # noqa: E402
from chokepoint.generate import generate  # noqa: E402
from chokepoint.model.graph import Graph  # noqa: E402
from chokepoint.analysis.montecarlo import monte_carlo_sweep  # noqa: E402
from chokepoint.model.validate import parse_document  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def graph():
    made = generate(600, 3000, 21, cycles=6)
    document, _ = parse_document(made.to_document(), "g")
    return Graph(document)


def test_sweep_equals_local_exactly(client, graph):
    seen = []
    remote = dask_sweep(graph, client=client, block=9, progress=seen.append)
    assert remote.equals(api.sweep(graph).frame)
    assert seen[-1] == len(graph.countries) and seen == sorted(seen)


def test_pairs_and_spare_capacity_equal_local(client):
    quantum = load_graph("quantum")
    remote = dask_sweep(quantum, client=client, pairs=True, spare_capacity=0.2, block=5)
    assert remote.equals(api.sweep(quantum, pairs=True, spare_capacity=0.2).frame)


def test_monte_carlo_equals_local_exactly(client, graph):
    remote = dask_sweep(graph, client=client, samples=24, seed=5, block=5)
    assert remote.equals(monte_carlo_sweep(graph, samples=24, seed=5))


def slow_block(compiled, cuts, spare, rows, index):
    """The real task, made slow enough that a worker can be killed while blocks are running."""
    time.sleep(0.25)
    return _sweep_block(compiled, cuts, spare, rows, index)


def test_a_worker_dying_mid_sweep_loses_and_duplicates_nothing(client, graph):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import the tests
    compiled = compile_graph(graph)
    cuts = [[c] for c in graph.countries]
    rows = compiled.rows(graph.products)
    spans = [(a, min(len(cuts), a + 4)) for a in range(0, len(cuts), 4)]
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = []

    def progress(done):
        if not killed and done >= 8:  # two blocks in: kill a worker process while others run
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    parts = map_blocks(client, compiled, slow_block, [(cuts[a:b],) for a, b in spans], 0.0, rows,
                       progress=progress, sizes=[b - a for a, b in spans])
    assert killed
    assert victim not in client.run(os.getpid).values()  # the process really died (the nanny restarted it)
    assert [p.shape[-1] for p in parts] == [b - a for a, b in spans]
    assert np.array_equal(np.concatenate(parts, axis=-1)[0], evaluate(compiled, cuts, rows=rows))


def test_cli_sweep_on_a_local_cluster(cli):
    local = json.loads(cli("sweep", "quantum", "--json").out)
    remote = cli("sweep", "quantum", "--workers", "1", "--json")
    assert remote.code == 0, remote.err
    assert json.loads(remote.out) == local
    both = cli("sweep", "quantum", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1")
    assert both.code == 1 and "not both" in both.err


def test_unreachable_scheduler_is_a_one_line_error(cli, monkeypatch):
    monkeypatch.setattr("chokepoint.analysis.distributed.CONNECT_TIMEOUT", "1s")
    result = cli("sweep", "quantum", "--scheduler", "tcp://127.0.0.1:9")
    assert result.code == 1 and result.err.startswith("error: cannot reach the Dask scheduler")
    assert len(result.err.splitlines()) == 1
