"""The dependency floors in pyproject.toml stay above known advisories, the installed packages
meet every floor, and the README names the versions the tests ran with."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
README = (REPO_ROOT / "README.md").read_text("utf-8")

#: package -> the first version past a known advisory (why in the README's "Tested versions").
ADVISORY_FLOORS = {
    "pyarrow": "14.0.1",  # CVE-2023-47248: code execution when reading IPC / Parquet
    "tqdm": "4.66.3",  # CVE-2024-34062: eval of command-line arguments
    "pypdf": "6.10.2",  # decompression and stream-size limits (FlateDecode from 6.0.0)
}


def _requirements() -> list[Requirement]:
    extras = [r for group in PROJECT["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*PROJECT["dependencies"], *extras]]


def _floor(requirement: Requirement) -> Version | None:
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return max(floors) if floors else None


@pytest.mark.parametrize(("name", "minimum"), sorted(ADVISORY_FLOORS.items()))
def test_floors_are_past_known_advisories(name, minimum):
    found = [r for r in _requirements() if r.name == name]
    assert found, f"{name} is not a dependency"
    for requirement in found:
        floor = _floor(requirement)
        assert floor is not None and floor >= Version(minimum), f"{requirement}: below {minimum}"


def test_installed_packages_meet_every_floor():
    for requirement in _requirements():
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an extra that is not installed here
        assert Version(installed) in requirement.specifier, f"{requirement}: have {installed}"


def test_readme_names_the_tested_versions():
    section = README.split("Tested versions:", 1)[1].split("\n\n", 1)[0]
    named = dict(re.findall(r"([a-z][a-z0-9-]+) (\d+\.\d+(?:\.\d+)?)", section))
    for name in ("numpy", "pandas", "pyarrow", "scikit-learn", "tokenizers", "lxml", "tqdm"):
        assert named.get(name) == importlib.metadata.version(name), name
    for name, minimum in ADVISORY_FLOORS.items():
        assert f"{name} >= {minimum}" in section
