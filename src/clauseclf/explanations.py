"""Plain-language texts for findings: per clause type and severity, why the clause matters and
what it means for the user.

They live in the package data file ``explanations.json`` (our own words), apart from
``taxonomy.json`` so the taxonomy stays comparable with the shared data's. Every type of the
package taxonomy except ``other`` has both texts for every severity of the scale (a test checks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from clauseclf.errors import TaxonomyError
from clauseclf.taxonomy import SEVERITY_SCALE

EXPLANATION_FIELDS = ("why_it_matters", "what_it_means")


@dataclass(frozen=True)
class Explanation:
    """Why a clause of a type and severity matters, and what it means for the user."""

    type: str
    severity: str
    why_it_matters: str
    what_it_means: str

    def to_dict(self) -> dict[str, str]:
        """The two texts by field name, as in ``explanations.json``."""
        return {"why_it_matters": self.why_it_matters, "what_it_means": self.what_it_means}


def explanations_from_dict(data: Any) -> dict[tuple[str, str], Explanation]:
    """(type, severity) -> ``Explanation`` from the layout of ``explanations.json``;
    ``TaxonomyError`` naming the bad entry otherwise."""
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise TaxonomyError("explanations: expected an object with a 'types' object")
    table: dict[tuple[str, str], Explanation] = {}
    for type_id, by_severity in data["types"].items():
        if not isinstance(by_severity, dict):
            raise TaxonomyError(f"explanations.{type_id} must be an object of severities")
        for severity, texts in by_severity.items():
            where = f"explanations.{type_id}.{severity}"
            if severity not in SEVERITY_SCALE:
                raise TaxonomyError(f"{where}: unknown severity {severity!r}")
            if not isinstance(texts, dict) or set(texts) != set(EXPLANATION_FIELDS):
                raise TaxonomyError(f"{where} must have exactly the keys {EXPLANATION_FIELDS}")
            for key in EXPLANATION_FIELDS:
                if not isinstance(texts[key], str) or not texts[key].strip():
                    raise TaxonomyError(f"{where}.{key} must be a non-empty string")
            table[(type_id, severity)] = Explanation(type_id, severity, **texts)
    return table


@cache
def default_explanations() -> dict[tuple[str, str], Explanation]:
    """The package's explanations, (type, severity) -> ``Explanation``."""
    text = resources.files("clauseclf").joinpath("explanations.json").read_text(encoding="utf-8")
    return explanations_from_dict(json.loads(text))


def explain(type_id: str, severity: str) -> Explanation | None:
    """The explanation of a finding of ``type_id`` at ``severity``; None for ``other`` or a type
    the package does not know (a custom taxonomy's)."""
    return default_explanations().get((type_id, severity))
