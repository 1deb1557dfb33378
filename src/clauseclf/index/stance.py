"""A clause's stance: whether it does a practice (``DOES``: "we may sell your data") or promises
not to (``DOES_NOT``: "we do not sell your data"). ``ClauseIndex.similar`` keeps the query's
stance by default and ``ClauseIndex.prevalence`` counts platforms by stance.

The stance is the head's ``negated_practice`` cue (``clauseclf.head.cues``: a negation a few words
before a practice verb such as sell, share, use, train, track; also "not sold"), except where the
negation sits in a condition put to the user ("if you do not want us to share ..."), which states
no promise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from clauseclf.head.cues import cue_regex

#: The clause does the practice it is about (or states something without a negated practice).
DOES = "does"
#: The clause promises not to do the practice ("we never sell", "we do not share").
DOES_NOT = "does not"
#: Every stance, in this order.
STANCES = (DOES, DOES_NOT)

_NEGATED = cue_regex("negated_practice")
#: Negated past participles the cue's verb stems miss ("your data is not sold").
_NEGATED_PARTICIPLE = re.compile(r"(?:\bnot|\bnever|n't)\s+(?:\w+\s+){0,2}?(?:sold|rented)\b")
#: A condition just before the negation: "if you do not ...", "unless you ...", "whether or not".
_CONDITION = re.compile(r"\b(?:if|unless|whether|when|should|in case)\b(?:\s+[\w']+){0,3}\s*$")


def clause_stance(text: str) -> str:
    """``DOES_NOT`` if ``text`` negates a practice outside a condition, else ``DOES``."""
    lowered = text.lower().replace("\u2019", "'")
    for match in (*_NEGATED.finditer(lowered), *_NEGATED_PARTICIPLE.finditer(lowered)):
        if not _CONDITION.search(lowered[max(0, match.start() - 40) : match.start()]):
            return DOES_NOT
    return DOES


def clause_stances(texts: Sequence[str]) -> np.ndarray:
    """``clause_stance`` of each text, as an object array."""
    return np.array([clause_stance(text) for text in texts], dtype=object)
