"""The wheel: built from this repository, installed in a fresh venv outside the checkout, it
analyzes a policy from any folder with the default model it carries.

The venv gets the wheel without its dependencies (``--no-deps``) and reads them from the
site-packages of the interpreter running the tests (a ``.pth`` line, which adds the folder but
not that folder's own ``.pth`` files, so an editable clauseclf there stays out of sight): no
download beyond hatchling when it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import clauseclf
from conftest import EXAMPLE_POLICY, REPO_ROOT

pytestmark = pytest.mark.slow

_HAS_HATCHLING = importlib.util.find_spec("hatchling") is not None


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload, no-any-return]


def _clean_env() -> dict[str, str]:
    """This environment without what would point the venv at the checkout or another model."""
    drop = {"PYTHONPATH", "PYTHONHOME", "CLAUSECLF_DEFAULT_MODEL", "VIRTUAL_ENV"}
    return {key: value for key, value in os.environ.items() if key not in drop}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the repository (offline with hatchling installed, as in
    ``clauseclf[dev]``; otherwise pip fetches hatchling into an isolated build environment)."""
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", str(out)]
    if _HAS_HATCHLING:
        command.append("--no-build-isolation")
    build = _run([*command, str(REPO_ROOT)], env=_clean_env())
    if build.returncode != 0 and not _HAS_HATCHLING:
        pytest.skip(
            "cannot build the wheel: hatchling is not installed (pip install 'clauseclf[dev]') "
            f"and pip could not fetch it: {build.stderr.strip().splitlines()[-1:]}"
        )
    assert build.returncode == 0, build.stderr
    (built,) = out.glob("clauseclf-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (outside the checkout) with the wheel installed; returns its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    assert made.returncode == 0, made.stderr
    python = root / "bin" / "python"
    install = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--no-cache-dir", str(wheel)],
        env=_clean_env(),
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    dependencies = sysconfig.get_paths()["purelib"]
    Path(site.stdout.strip(), "_clauseclf_test_dependencies.pth").write_text(dependencies + "\n")
    return root / "bin"


def test_the_wheel_carries_the_default_model(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        config = archive.read("clauseclf/models/default/config.json")
    repository = REPO_ROOT / "models" / "default"
    expected = {
        "clauseclf/models/default/" + path.relative_to(repository).as_posix()
        for path in repository.rglob("*")
        if path.is_file()
    }
    assert expected <= names
    assert {"clauseclf/models/default/config.json", "clauseclf/py.typed"} <= names
    assert json.loads(config)["format"] == "clauseclf-model"
    assert not [name for name in names if name.startswith(("tests/", "models/", "src/"))]


def test_the_installed_cli_analyzes_a_policy_from_any_folder(venv: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EXAMPLE_POLICY, elsewhere / "some_policy.txt")
    where = _run(
        [str(venv / "python"), "-c",
         "import clauseclf; from clauseclf.inference.default_model import default_model_dir;"
         "print(clauseclf.__file__); print(default_model_dir())"],
        cwd=elsewhere, env=_clean_env(),
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    package_file, model_dir = (Path(line) for line in where.stdout.splitlines())
    venv_root = venv.parent.resolve()
    assert package_file.is_relative_to(venv_root), package_file
    assert model_dir == package_file.parent / "models" / "default"

    table = _run([str(venv / "clauseclf"), "analyze", "some_policy.txt"], cwd=elsewhere,
                 env=_clean_env())  # fmt: skip
    assert table.returncode == 0, table.stderr
    as_json = _run(
        [str(venv / "clauseclf"), "analyze", "some_policy.txt", "--format", "json"],
        cwd=elsewhere, env=_clean_env(),
    )  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)

    # The same labels as this checkout's code gives with the packaged model folder.
    expected = clauseclf.load(model_dir).analyze(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    got = [(c["text"], c["label"], c["severity"]) for c in report["clauses"]]
    assert got == [(c.text, c.label, c.severity) for c in expected.clauses]
    assert any(label in table.stdout for _, label, _ in got if label != "other")


@pytest.mark.skipif(not _HAS_HATCHLING, reason="needs hatchling (pip install 'clauseclf[dev]')")
def test_an_editable_wheel_carries_no_model_copy(tmp_path: Path) -> None:
    """Editable installs read models/default in place: a copy beside them would go stale."""
    build = _run(
        [sys.executable, "-c",
         f"from hatchling.build import build_editable; print(build_editable({str(tmp_path)!r}))"],
        cwd=REPO_ROOT, env=_clean_env(),
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    with zipfile.ZipFile(tmp_path / build.stdout.strip().splitlines()[-1]) as archive:
        names = archive.namelist()
    assert any(name.endswith(".pth") for name in names)
    assert not [name for name in names if "models/" in name]
