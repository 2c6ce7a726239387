"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from conftest import REPO

EXAMPLES = sorted((REPO / "examples").glob("*.py"))


def run(script, *args, cwd):
    result = subprocess.run([sys.executable, str(script), *args], cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_there_are_examples_for_each_headline_question():
    assert {p.name for p in EXAMPLES} >= {"analyse_quantum.py", "compare_cutoffs.py", "target_tables.py"}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script, tmp_path):
    out = run(script, cwd=tmp_path)
    assert out.strip()


def test_analyse_quantum_example_names_holmium_copper(tmp_path):
    out = run(REPO / "examples" / "analyse_quantum.py", cwd=tmp_path)
    assert "holmium-copper" in out and "CN" in out


def test_compare_cutoffs_has_three_scenarios(tmp_path):
    out = run(REPO / "examples" / "compare_cutoffs.py", cwd=tmp_path)
    assert "Chip 4" in out and "G7" in out


def test_target_tables_written(tmp_path):
    import chokepoint

    run(REPO / "examples" / "target_tables.py", str(tmp_path / "t"), cwd=tmp_path)
    for name in chokepoint.bundled_names():
        table = pd.read_csv(tmp_path / "t" / f"{name}-target.csv")
        assert {"id", "status", "top_share", "capacity_needed"} <= set(table.columns)
    minerals = pd.read_csv(tmp_path / "t" / "minerals-target.csv").set_index("id")
    assert minerals.loc["lithium-refining", "status"] == "pass"


def test_readme_python_block_runs(tmp_path):
    """The README's Python API block runs as written (from a folder holding the data release)."""
    import re

    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has a Python block"
    (tmp_path / "data").symlink_to(REPO / "data")
    script = tmp_path / "readme_api.py"
    script.write_text("\n".join(blocks))
    run(script, cwd=tmp_path)
    assert (tmp_path / "usgs.yaml").read_text().startswith("# written by chokepoint")
