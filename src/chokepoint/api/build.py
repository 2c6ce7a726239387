"""Graph files made: a seeded synthetic graph (``generate``) and published tables imported (``import``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..generate import generate as _generate
from ..importers import ImportResult, import_table, import_usgs

__all__ = ["GeneratedFile", "ImportResult", "generate", "import_table", "import_usgs"]


@dataclass(frozen=True)
class GeneratedFile:
    """What :func:`generate` wrote."""

    path: Path
    name: str
    nodes: int
    edges: int
    seed: int

    def to_dict(self) -> dict:
        return {"output": str(self.path), "name": self.name, "nodes": self.nodes, "edges": self.edges,
                "seed": self.seed}


def generate(nodes: int, edges: int, *, seed: int = 0, countries: int = 200, cycles: int | None = None,
             output, force: bool = False) -> GeneratedFile:
    """Write a seeded synthetic layered supply graph (see :mod:`chokepoint.generate`) to ``output``."""
    if seed < 0:
        raise InputError(f"--seed {seed} must be an integer >= 0")
    if countries < 1:
        raise InputError(f"--countries {countries} must be at least 1")
    if cycles is not None and cycles < 0:
        raise InputError(f"--cycles {cycles} must be 0 or more")
    try:
        made = _generate(nodes, edges, seed, countries=countries, cycles=cycles)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    path = made.write(output, force=force)
    return GeneratedFile(path, made.name, made.n_nodes, made.n_edges, seed)
