"""Where the default model is: one place per kind of install, chosen explicitly, never guessed.

- ``$CLAUSECLF_DEFAULT_MODEL``, when set, names the folder (and nothing else is looked at);
- an installed wheel carries the model inside the package, as ``clauseclf/models/default``
  (``hatch_build.py`` copies the repository's ``models/default`` there);
- a source checkout (the package is ``<root>/src/clauseclf`` beside ``<root>/pyproject.toml``,
  imported from there directly or through an editable install) reads ``<root>/models/default``,
  where training writes it.

A package that is both (a model copy inside ``src/clauseclf`` of a checkout) is refused rather
than served from either copy, since the two may be different models.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from clauseclf.errors import ModelFormatError

__all__ = ["DEFAULT_MODEL_ENV", "PACKAGED_MODEL", "default_model_dir", "locate_default_model"]

DEFAULT_MODEL_ENV = "CLAUSECLF_DEFAULT_MODEL"
#: The packaged copy's place inside the ``clauseclf`` package folder of an installed wheel.
PACKAGED_MODEL = Path("models") / "default"
_CONFIG_FILE = "config.json"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def checkout_root(package_dir: Path) -> Path | None:
    """The source checkout ``package_dir`` sits in (``<root>/src/clauseclf``), or None."""
    root = package_dir.parent.parent
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def locate_default_model(package_dir: Path, environ: Mapping[str, str]) -> Path:
    """The default model folder for the ``clauseclf`` package at ``package_dir``.

    Raises ``FileNotFoundError`` naming the place looked at when it holds no model, and when
    neither a packaged copy nor a checkout is there; ``ModelFormatError`` for a checkout that
    also holds a packaged copy.
    """
    configured = environ.get(DEFAULT_MODEL_ENV)
    if configured:
        return _checked(Path(configured), f"${DEFAULT_MODEL_ENV}")
    packaged = package_dir / PACKAGED_MODEL
    root = checkout_root(package_dir)
    if root is not None and packaged.exists():
        raise ModelFormatError(
            f"two default models: {packaged} and {root / PACKAGED_MODEL}; the checkout's model "
            f"is {root / PACKAGED_MODEL}: remove the stray copy {packaged}"
        )
    if root is not None:
        return _checked(root / PACKAGED_MODEL, "the source checkout")
    if packaged.exists():
        return _checked(packaged, "the installed package")
    raise FileNotFoundError(
        f"clauseclf at {package_dir} has no default model: it is neither an installed wheel "
        f"(which carries {PACKAGED_MODEL.as_posix()} inside the package) nor a source checkout; "
        f"reinstall clauseclf, set {DEFAULT_MODEL_ENV}, or pass a model path"
    )


def default_model_dir() -> Path:
    """The default model folder of this clauseclf (see ``locate_default_model``)."""
    return locate_default_model(_PACKAGE_DIR, os.environ)


def _checked(directory: Path, where: str) -> Path:
    if not (directory / _CONFIG_FILE).is_file():
        raise FileNotFoundError(
            f"the default model of {where} is missing: no {_CONFIG_FILE} in {directory}"
        )
    return directory
