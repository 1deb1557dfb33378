"""The clause taxonomy: clause types, their categories and the severity scale.

The package carries its own copy of the taxonomy (``taxonomy.json``); a test checks it agrees with
the shared data's ``taxonomy.json``. The package copy adds, per type, the regulations a compliance
analyst would check (``regulations``: pointers for review, not legal advice); ``regulations_for``
reads them from the package taxonomy, for models whose own taxonomy has none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from clauseclf import _json, limits
from clauseclf.errors import TaxonomyError, TooLargeError

OTHER = "other"
SEVERITY_SCALE: tuple[str, ...] = ("none", "low", "medium", "high")


@dataclass(frozen=True)
class RegulationRef:
    """A regulation to check for a clause type: ``regulation`` (e.g. "GDPR"), ``reference``
    (e.g. "Art. 6(1)"; None when no single provision is cited) and ``topic``."""

    regulation: str
    reference: str | None
    topic: str

    def to_dict(self) -> dict[str, str | None]:
        """The JSON layout of an entry of a type's ``regulations``."""
        return {"regulation": self.regulation, "reference": self.reference, "topic": self.topic}

    def __str__(self) -> str:
        where = f" {self.reference}" if self.reference else ""
        return f"{self.regulation}{where}: {self.topic}"


@dataclass(frozen=True)
class ClauseType:
    """One clause type of the taxonomy, with the regulations to check for it (may be empty)."""

    id: str
    category: str | None
    default_severity: str
    description: str
    regulations: tuple[RegulationRef, ...] = ()


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
            "types": [_type_to_dict(t) for t in self.types],
        }


def _type_to_dict(clause_type: ClauseType) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": clause_type.id,
        "category": clause_type.category,
        "default_severity": clause_type.default_severity,
        "description": clause_type.description,
    }
    if clause_type.regulations:
        data["regulations"] = [ref.to_dict() for ref in clause_type.regulations]
    return data


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
        if "regulations" in raw:
            clause_type = replace(
                clause_type, regulations=_regulations(raw["regulations"], clause_type.id)
            )
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


_REGULATION_KEYS = ("regulation", "reference", "topic")


def _regulations(raw: Any, type_id: str) -> tuple[RegulationRef, ...]:
    """Validate a type's ``regulations``: a list of {regulation, reference, topic} objects."""
    where = f"taxonomy type {type_id!r}: regulations"
    if not isinstance(raw, list):
        raise TaxonomyError(f"{where} must be a list, not {type(raw).__name__}")
    refs = []
    for position, entry in enumerate(raw):
        at = f"{where}[{position}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{at} must be an object, not {type(entry).__name__}")
        if set(entry) != set(_REGULATION_KEYS):
            missing = [key for key in _REGULATION_KEYS if key not in entry]
            unknown = sorted(map(str, set(entry) - set(_REGULATION_KEYS)))
            problems = [f"missing keys {missing}"] if missing else []
            problems += [f"unknown keys {unknown}"] if unknown else []
            raise TaxonomyError(f"{at} has {' and '.join(problems)}")
        for key in ("regulation", "topic"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise TaxonomyError(f"{at}: {key!r} must be a non-empty str")
        reference = entry["reference"]
        if reference is not None and (not isinstance(reference, str) or not reference.strip()):
            raise TaxonomyError(f"{at}: 'reference' must be a non-empty str or null")
        ref = RegulationRef(entry["regulation"], reference, entry["topic"])
        if ref in refs:
            raise TaxonomyError(f"{at} repeats an earlier entry")
        refs.append(ref)
    return tuple(refs)


def regulations_for(type_name: str) -> tuple[RegulationRef, ...]:
    """The regulations to check for clause type ``type_name``, from the package taxonomy (so
    also for models whose own taxonomy has none); ``KeyError`` for an unknown type. Pointers for
    review, not legal advice; ``other`` has none."""
    return default_taxonomy().get(type_name).regulations


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file, or the package's own taxonomy when ``path`` is None;
    ``TaxonomyError`` for an unreadable file or one larger than ``limits.MAX_JSON_BYTES``."""
    if path is None:
        return default_taxonomy()
    try:
        data = _json.loads(
            limits.read_capped_bytes(Path(path), limits.MAX_JSON_BYTES).decode("utf-8")
        )
    except TooLargeError as exc:
        raise TaxonomyError(f"cannot read taxonomy file: {exc}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path}: {exc}") from None
    return taxonomy_from_dict(data)


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package."""
    text = resources.files("clauseclf").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return taxonomy_from_dict(json.loads(text))
