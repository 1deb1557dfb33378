"""Cues: named regular expressions over a clause's lower-cased text, in one table (``CUES``)
with the words the model card describes each by.

A *stance* cue is policy wording that decides a practice's severity: a linear model over n-grams
and embeddings cannot tell "we sell" from "we do not sell" well; the stance flags
(``stance_flags``, a block of ``TextFeatures``) let the severity model see the negation, opt-in /
opt-out and anonymisation that decide it. A *topic* cue is what a clause is about rather than
its stance; a head can require one for a type (``ClauseHead.required_cues``): ai_training only
where a clause has AI wording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STANCE = "stance"
TOPIC = "topic"


@dataclass(frozen=True)
class Cue:
    """A cue: its ``name`` (as saved in ``head.json``), ``kind`` (``STANCE`` or ``TOPIC``), the
    ``pattern`` searched in the lower-cased clause text and the card's ``description``."""

    name: str
    kind: str
    pattern: str
    description: str


#: Wording about AI, machine learning, models, algorithms, automation or training (a superset of
#: the keyword groups with which the shared ai_training set was collected, except "improve our
#: services"), assistants, speech, voice, detection or an "engine"; matched on lower-cased text.
AI_WORDING = (
    r"\ba\.?i\b|artificial|intelligen|machine|learn|neural|generative|\bllms?\b|gpt|openai"
    r"|chat ?bot|copilot|assistant|\bmodel|algorithm|\btrain|automat|predict|recogni[sz]"
    r"|large language|speech|voice|engine|detect|biometric|synthe[st]"
)

#: Every cue: the stance cues (in the order of their feature columns), then the topic cues.
CUES: tuple[Cue, ...] = (
    Cue(
        "negated_practice",
        STANCE,
        r"(?:\bnot|\bnever|\bno longer|n't|\bneither|\bnor)\s+(?:\w+\s+){0,3}?(?:sell|rent|"
        r"share|use|"
        r"train|disclose|trade|transfer|collect|track|process|provide|give)",
        "negated practice",
    ),
    Cue(
        "opt_in_or_consent",
        STANCE,
        r"\bopt(?:s|ed)?[- ]?in\b|\bonly (?:with|after) (?:your )?(?:explicit |prior )?consent|"
        r"\bunless you (?:choose|agree|opt|consent|give)",
        "opt-in/consent",
    ),
    Cue(
        "opt_out",
        STANCE,
        r"\bopt(?:s|ed)?[- ]?out\b|\b(?:turn|switch)(?:ed)? (?:it )?off\b|\bdisable\b",
        "opt-out",
    ),
    Cue(
        "no_choice",
        STANCE,
        r"\b(?:cannot|can't|can not|unable to|no way to|not possible to)\s+(?:\w+\s+){0,2}?"
        r"(?:opt|turn|switch|disable|object|refuse)",
        "no choice",
    ),
    Cue(
        "deidentified",
        STANCE,
        r"\b(?:anonymi[sz]ed|aggregated?|de-?identified|pseudonymi[sz]ed)\b",
        "de-identified data",
    ),
    # a rule addressed to the user ("you will not use the Services to train ..."), not a
    # practice of the service (5 platform folds: ai_training F1 0.727 -> 0.751, the other
    # metrics within 0.002)
    Cue(
        "user_prohibition",
        STANCE,
        r"\byou (?:will|shall|may|must|agree|undertake) (?:not|never)\b|"
        r"\byou (?:are|aren't|are not) (?:not )?(?:allowed|permitted)|"
        r"^\W*(?:\(?\w{1,3}\)\s*)?(?:do not|don't|not to|never) use\b|"
        r"\bnot (?:to )?use (?:the|our|any) (?:services?|software|platform|output)",
        'a rule for the user such as "you will not use..."',
    ),
    Cue(
        "ai_wording",
        TOPIC,
        AI_WORDING,
        "AI, machine-learning, model, algorithm, automation, training, assistant, speech or "
        "voice wording",
    ),
)

#: The stance cues as (name, pattern).
STANCE_PATTERNS: tuple[tuple[str, str], ...] = tuple(
    (cue.name, cue.pattern) for cue in CUES if cue.kind == STANCE
)
#: The topic cues as (name, pattern).
TOPIC_PATTERNS: tuple[tuple[str, str], ...] = tuple(
    (cue.name, cue.pattern) for cue in CUES if cue.kind == TOPIC
)
#: The names of the stance cues: the flags a head uses by default.
ALL_STANCE_CUES = tuple(name for name, _ in STANCE_PATTERNS)
#: The stance cues of heads saved before cues were named in ``head.json``.
LEGACY_STANCE_CUES = (
    "negated_practice",
    "opt_in_or_consent",
    "opt_out",
    "no_choice",
    "deidentified",
)

_COMPILED = {cue.name: re.compile(cue.pattern) for cue in CUES}
#: The name of every cue (stance and topic): the names a head may flag or require.
CUE_NAMES = tuple(_COMPILED)
_DESCRIPTIONS = {cue.name: cue.description for cue in CUES}


def cue_regex(name: str) -> re.Pattern[str]:
    """The compiled pattern of the cue ``name`` (``KeyError`` if there is none)."""
    return _COMPILED[name]


def cue_description(name: str) -> str:
    """The model card's words for the cue ``name`` (the name itself for an unknown cue)."""
    return _DESCRIPTIONS.get(name, name)


def has_ai_wording(text: str) -> bool:
    """Whether ``text`` has ``AI_WORDING``."""
    return _COMPILED["ai_wording"].search(text.lower()) is not None


def stance_flags(texts: Sequence[str], cues: Sequence[str] = ALL_STANCE_CUES) -> np.ndarray:
    """(n, len(cues)) 0/1 flags of the ``cues`` (names in ``CUES``) in each text."""
    patterns = [_COMPILED[cue] for cue in cues]
    flags = np.zeros((len(texts), len(patterns)))
    for row, text in enumerate(texts):
        lowered = text.lower().replace("\u2019", "'")
        for column, pattern in enumerate(patterns):
            if pattern.search(lowered):
                flags[row, column] = 1.0
    return flags
