"""The clause taxonomy: clause types, their categories and the severity scale.

The package carries its own copy of the taxonomy (``taxonomy.json``); a test checks it agrees with
the shared data's ``taxonomy.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

OTHER = "other"
SEVERITY_SCALE: tuple[str, ...] = ("none", "low", "medium", "high")


class TaxonomyError(ValueError):
    """A taxonomy file is malformed."""


@dataclass(frozen=True)
class ClauseType:
    """One clause type of the taxonomy."""

    id: str
    category: str | None
    default_severity: str
    description: str


@dataclass(frozen=True)
class Taxonomy:
    """Clause types (``other`` last), categories and the ordered severity scale."""

    version: str
    types: tuple[ClauseType, ...]
    categories: dict[str, str]
    severity_scale: tuple[str, ...]
    severity_meaning: dict[str, str]

    @property
    def type_ids(self) -> tuple[str, ...]:
        """The ids of the real clause types, in taxonomy order, without ``other``."""
        return tuple(t.id for t in self.types if t.id != OTHER)

    def get(self, type_id: str) -> ClauseType:
        """The clause type with this id; ``KeyError`` naming the id if there is none."""
        for clause_type in self.types:
            if clause_type.id == type_id:
                return clause_type
        raise KeyError(f"unknown clause type {type_id!r}")

    def severity_rank(self, severity: str) -> int:
        """Position of ``severity`` on the scale (0 = none); ``ValueError`` if unknown."""
        try:
            return self.severity_scale.index(severity)
        except ValueError:
            raise ValueError(
                f"unknown severity {severity!r}; expected one of {list(self.severity_scale)}"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy in the JSON layout of ``taxonomy.json``."""
        return {
            "version": self.version,
            "severity_scale": list(self.severity_scale),
            "severity_meaning": dict(self.severity_meaning),
            "categories": dict(self.categories),
            "types": [
                {
                    "id": t.id,
                    "category": t.category,
                    "default_severity": t.default_severity,
                    "description": t.description,
                }
                for t in self.types
            ],
        }


def taxonomy_from_dict(data: dict[str, Any]) -> Taxonomy:
    """Build and validate a taxonomy from the JSON layout of ``taxonomy.json``."""
    try:
        scale = tuple(data["severity_scale"])
        categories = dict(data["categories"])
        raw_types = data["types"]
    except (KeyError, TypeError) as exc:
        raise TaxonomyError(f"taxonomy is missing a required field: {exc}") from None
    types: list[ClauseType] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_types):
        try:
            clause_type = ClauseType(
                id=str(raw["id"]),
                category=raw.get("category"),
                default_severity=str(raw["default_severity"]),
                description=str(raw.get("description", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise TaxonomyError(f"taxonomy type #{position} is malformed: {exc}") from None
        if clause_type.id in seen:
            raise TaxonomyError(f"taxonomy type {clause_type.id!r} is defined twice")
        if clause_type.default_severity not in scale:
            raise TaxonomyError(
                f"taxonomy type {clause_type.id!r} has unknown default severity "
                f"{clause_type.default_severity!r}"
            )
        if clause_type.category is not None and clause_type.category not in categories:
            raise TaxonomyError(
                f"taxonomy type {clause_type.id!r} has unknown category {clause_type.category!r}"
            )
        seen.add(clause_type.id)
        types.append(clause_type)
    if OTHER not in seen:
        raise TaxonomyError(f"taxonomy has no {OTHER!r} type")
    types.sort(key=lambda t: t.id == OTHER)  # keep order, move "other" last
    return Taxonomy(
        version=str(data.get("version", "")),
        types=tuple(types),
        categories=categories,
        severity_scale=scale,
        severity_meaning=dict(data.get("severity_meaning", {})),
    )


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file, or the package's own taxonomy when ``path`` is None."""
    if path is None:
        return default_taxonomy()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path}: {exc}") from None
    return taxonomy_from_dict(data)


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package."""
    text = resources.files("clauseclf").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return taxonomy_from_dict(json.loads(text))
