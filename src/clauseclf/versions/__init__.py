"""Policy versions: what changed between two analysed versions of a policy, and the history of
each clause over many dated versions.

``diff(old, new)`` aligns the clauses of two ``DocumentReport``s:

1. the same ``clause_id`` (the same normalised wording, ``clauseclf.provenance``) ->
   ``unchanged``;
2. the remaining clauses are paired one-to-one, most similar pair first (greedy), when the
   ``difflib.SequenceMatcher`` ratio of their normalised words is at least ``threshold``
   (``SIMILARITY_THRESHOLD`` = 0.6) -> ``reworded``, with a word-level diff;
3. what is left is ``added`` (only in the new version) or ``removed`` (only in the old one).

An aligned clause whose position relative to the other aligned clauses changed is ``moved``
(the fewest clauses that explain the new order: those off a longest increasing subsequence).

The summary (``PolicyDiff.changes``; the adverse ones in ``worse()``): a clause added (adverse
at severity medium or high) or removed (adverse when it protected the user: severity none), a
severity raised (adverse) or lowered on a reworded clause, a type gained (adverse at medium or
high) or dropped (adverse when protective) by a reworded clause. Predictions of text-identical
clauses are not compared: a change of model is not a change of policy (``same_model`` tells
whether both reports come from the same model).

Modules: ``alignment`` (normalised words, ``similarity``, ``word_diff``, the alignment of two
versions' clauses; standard library only), ``changes`` (``ClauseChange``, ``Change`` and the
summary), ``policy_diff`` (``PolicyDiff``, ``diff`` and their text, JSON, DataFrame and HTML
outputs), ``history`` (``PolicyHistory``, clause lineages over dated versions; ``clause_lineages``
for versions given as clause sequences, e.g. rows of a scored table). Everything public
is re-exported here: import from ``clauseclf.versions``.
"""

from __future__ import annotations

from clauseclf.versions.alignment import (
    SIMILARITY_THRESHOLD,
    WordOp,
    WordOpKind,
    similarity,
    word_diff,
)
from clauseclf.versions.changes import ADVERSE_SEVERITY, Change, ChangeKind, ClauseChange, Status
from clauseclf.versions.history import (
    HISTORY_COLUMNS,
    ClauseLike,
    ClauseLineage,
    DateLike,
    PolicyHistory,
    PolicyVersion,
    StabilityLabel,
    clause_lineages,
    parse_date,
)
from clauseclf.versions.policy_diff import DIFF_COLUMNS, PolicyDiff, diff

__all__ = [
    "ADVERSE_SEVERITY",
    "DIFF_COLUMNS",
    "HISTORY_COLUMNS",
    "SIMILARITY_THRESHOLD",
    "Change",
    "ChangeKind",
    "ClauseChange",
    "ClauseLike",
    "ClauseLineage",
    "DateLike",
    "PolicyDiff",
    "PolicyHistory",
    "PolicyVersion",
    "StabilityLabel",
    "Status",
    "WordOp",
    "WordOpKind",
    "clause_lineages",
    "diff",
    "parse_date",
    "similarity",
    "word_diff",
]
