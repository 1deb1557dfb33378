"""Build hook: the wheel carries the default model.

The repository keeps the default model in ``models/default`` (training writes it there); a wheel
gets a copy as ``clauseclf/models/default``, where ``clauseclf.inference.model.default_model_dir``
finds it once installed. Editable installs get no copy: they read ``models/default`` in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODEL_SOURCE = Path("models") / "default"
MODEL_TARGET = "clauseclf/models/default"


class DefaultModelHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds ``models/default`` to a regular (not editable) wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        source = Path(self.root) / MODEL_SOURCE
        if not (source / "config.json").is_file():
            raise FileNotFoundError(
                f"{source} holds no model (no config.json): a wheel without the default model "
                "would install a clauseclf that cannot analyze anything"
            )
        build_data["force_include"][str(source)] = MODEL_TARGET
