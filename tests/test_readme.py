"""The README's Python examples run as tests, from the repository root, with the shipped model."""

import os
import re

import pytest

from conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_examples():
    assert len(EXAMPLES) >= 3


def test_quick_start_has_exactly_two_commands():
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    install, test = commands
    # the first installs the core only (scoring needs no extra); the second adds the dev extras
    assert "pip install -c constraints.txt -e . &&" in install and "[" not in install
    assert 'pip install -c constraints.txt -e ".[dev]" && ' in test
    assert test.endswith("-m pytest")
    assert "torch==2.13.0" in (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_readme_example_runs(number, capsys):
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        exec(compile(EXAMPLES[number], f"README.md example {number + 1}", "exec"), {})
    finally:
        os.chdir(cwd)
    assert capsys.readouterr().out.strip()
