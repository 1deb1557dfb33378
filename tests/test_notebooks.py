"""The notebooks run top to bottom (nbclient) on this checkout's clauseclf, show no progress
bar, write nothing to stderr in the quick start and batch notebooks, and are committed without
outputs (the batch notebook's would hold corpus text)."""

from __future__ import annotations

import os

import nbformat
import pytest

from conftest import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
# Notebooks whose cells write nothing at all to stderr. The retraining notebook shows what
# ``clauseclf.train`` logs there and its small-data warning; no notebook shows a progress bar.
SILENT = {"01_quick_start.ipynb", "02_batch_scoring.ipynb"}
PROGRESS_MARKS = ("Tqdm", "IProgress", "it/s]", "%|")


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quick_start.ipynb",
        "02_batch_scoring.ipynb",
        "03_retraining.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_stripped(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # the kernel imports the clauseclf under test, not whichever one is installed
    path_entries = [str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    client.execute(env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path_entries))))
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    stderr = [
        output.text
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert not [text for text in stderr if any(mark in text for mark in PROGRESS_MARKS)]
    if path.name in SILENT:
        assert stderr == []
    assert any(cell.outputs for cell in notebook.cells if cell.cell_type == "code")
