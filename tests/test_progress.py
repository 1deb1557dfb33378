"""Progress bars never import tqdm's notebook variant unless they can draw it: in a Jupyter
kernel without ipywidgets that import warns "IProgress not found" into the notebook's output,
even for a disabled bar."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap

from clauseclf._progress import progress_bar
from conftest import EXAMPLE_POLICY, REPO_ROOT

# In a fresh interpreter: score and analyze (more clauses than one progress block) with
# progress off, then print whether tqdm's notebook module was imported.
_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import clauseclf
    from clauseclf import pipeline

    pipeline.PROGRESS_BLOCK = 8
    model = clauseclf.load()
    text = Path(sys.argv[1]).read_text(encoding="utf-8")
    model.score([{"text": text, "platform": "Larkspur"}], progress=False)
    assert len(model.analyze(text, progress=False).clauses) > 8
    print("tqdm.autonotebook" in sys.modules, "tqdm.auto" in sys.modules)
    """
)


def test_scoring_and_analysis_without_progress_do_not_import_the_notebook_bar():
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(EXAMPLE_POLICY)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]


def test_an_enabled_bar_without_ipywidgets_is_the_text_bar(monkeypatch):
    import importlib.util

    from tqdm import tqdm

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ipywidgets" else real(name)
    )
    bar = progress_bar(range(3), disable=False, file=open(os.devnull, "w"))  # noqa: SIM115
    try:
        assert type(bar) is tqdm
        assert list(bar) == [0, 1, 2]
    finally:
        bar.fp.close()


def test_no_module_imports_tqdm_auto_directly():
    """Every bar goes through ``clauseclf._progress.progress_bar``."""
    offenders = []
    for path in sorted((REPO_ROOT / "src" / "clauseclf").rglob("*.py")):
        if path.name == "_progress.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tqdm"):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name.startswith("tqdm") for a in node.names):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []
