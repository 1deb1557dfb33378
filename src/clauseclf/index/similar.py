"""``ClauseIndex.similar``'s answer (``SimilarClauses``) and its ranking: the filters (type,
stance, platform), the score of each candidate, the minimum similarity and the reason when
nothing passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.index.practice_names import practice_name
from clauseclf.index.search import _ann_rows, _exact_scores, _rank, _select
from clauseclf.index.stance import clause_stance

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

    from clauseclf.index.core import ClauseIndex

#: ``similarity``: the ranking score (see ``MIN_SIMILARITY``); ``wording_similarity``: the
#: encoder cosine; ``stance``: ``clauseclf.index.stance``; ``practice``: the readable name of the
#: practice the clause and the query most likely share (empty when ranking by wording).
SIMILAR_COLUMNS = (
    "platform",
    "document",
    "text",
    "label",
    "severity",
    "stance",
    "practice",
    "similarity",
    "wording_similarity",
)

#: The default minimum ``similarity`` per ``ClauseIndex.measure``: below it ``similar`` returns
#: nothing and says so. Chosen with ``benchmarks/similarity.py`` on platforms the model was not
#: trained on: for the practice measure, the lowest cut-off at which the shown neighbours share
#: the query's practice as often as the previous ranking's did at its cut-off, chosen on training
#: folds (see the README's "Similar clauses" section for the figures).
MIN_SIMILARITY = {"practices": 0.28, "wording": 0.50}

#: The practice measure's score of an indexed clause for a query is the weighted mean
#: ``(PRACTICE_WEIGHT * practice + WORDING_WEIGHT * wording + TFIDF_WEIGHT * tfidf
#: + SAME_TYPE_BOOST * same_type)`` over the sum of the four: ``practice`` the dot product of their
#: practice profiles (the probability that they express the same practice), ``wording`` their
#: encoder cosine, ``tfidf`` the cosine of their TF-IDF rows by the head's vectoriser,
#: ``same_type`` 1 when the clause's predicted type is the query's (a clause identical to the query
#: scores close to 1). Chosen on training folds only, in every held-out fold, by
#: ``benchmarks/similarity_blends.py`` (benchmarks/results/similarity_blends_2026-12-05.txt:
#: precision@5 0.533 against 0.517 for half practice and half wording, 0.504 against 0.446 with
#: 40% of the practices unseen by the map, which alone fails on practices it was not trained on).
PRACTICE_WEIGHT = 0.3
#: See ``PRACTICE_WEIGHT``.
WORDING_WEIGHT = 0.3
#: See ``PRACTICE_WEIGHT``.
TFIDF_WEIGHT = 0.4
#: See ``PRACTICE_WEIGHT``; applies with ``same_type=False`` too (the query's predicted type).
SAME_TYPE_BOOST = 0.2
#: Candidate counts up to this are all scored; beyond, only a shortlist (``_practice_scores``).
_FULL_SCAN = 65_536
#: How many of the best practice-profile candidates a large index re-ranks with the blend.
_SHORTLIST = 1024


@dataclass(frozen=True, eq=False)
class SimilarClauses:
    """The answer of ``ClauseIndex.similar``.

    ``clauses``: the similar clauses (columns ``SIMILAR_COLUMNS``; the DataFrame's index is
    each clause's row in ``ClauseIndex.clauses``), best first, all at or above
    ``min_similarity``; empty when none qualifies, and then ``reason`` says why (else ``""``).
    ``best_similarity``: the best score among the clauses that passed the filters (None when
    none did), so an empty answer shows how far the nearest clause was. ``label`` is the query's
    type when ``same_type`` filtered by it (else None), ``stance`` the query's stance, ``measure``
    what ``similarity`` is (``ClauseIndex.measure``) and ``practice`` the readable name of the
    query's most likely practice (empty when ranking by wording).
    """

    query: str
    clauses: pd.DataFrame
    min_similarity: float
    measure: str
    stance: str
    label: str | None
    practice: str
    best_similarity: float | None
    reason: str

    def __len__(self) -> int:
        return len(self.clauses)

    @property
    def empty(self) -> bool:
        """True when no clause qualified (``reason`` says why)."""
        return len(self.clauses) == 0

    def __str__(self) -> str:
        if self.empty:
            return f"No similar clauses: {self.reason}"
        return (
            f"{len(self)} similar clause(s) by {self.measure}, similarity "
            f"{self.clauses['similarity'].iloc[0]:.2f} to {self.clauses['similarity'].iloc[-1]:.2f}"
            f" (minimum {self.min_similarity:.2f})"
        )


def _similar(
    index: ClauseIndex,
    clause_or_text: Any,
    *,
    k: int,
    same_type: bool,
    same_stance: bool,
    exclude_platform: str | None,
    one_per_platform: bool,
    min_similarity: float | None,
) -> SimilarClauses:
    """``ClauseIndex.similar``."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if min_similarity is None:
        min_similarity = MIN_SIMILARITY[index.measure]
    if not (np.isfinite(min_similarity) and -1.0 <= min_similarity <= 1.0):
        raise ValueError(f"min_similarity must be in [-1, 1], got {min_similarity}")
    blend = index.profiles is not None
    text, label, platform = index._query(clause_or_text, need_label=same_type or blend)
    if exclude_platform is None:
        exclude_platform = platform if platform else None
    stance = clause_stance(text)
    keep = index._filter(
        label if same_type else None, stance if same_stance else None, exclude_platform
    )
    query = index._encode(text)
    query_profile = None
    if index.profiles is not None:
        query_profile = index.model.practice_profiles([text], query[None]).toarray()[0]
        rows, scores = _practice_scores(index, text, label, query, query_profile, keep)
        chosen, similarity = _rank(index, rows, scores, k, one_per_platform)
    else:
        chosen, similarity = _select(index, query, keep, k, one_per_platform)
    best = float(similarity[0]) if len(chosen) else None
    passed = int(np.sum(similarity >= min_similarity - 1e-6))
    chosen, similarity = chosen[:passed], similarity[:passed]
    rows = np.asarray(chosen, dtype=np.int64)
    wording = _exact_scores(index, query[None], rows)[:, 0]
    result = _frame(
        index,
        rows,
        stance=index.stances[rows],
        practice=_shared_practices(index, query_profile, chosen),
        similarity=similarity.astype(np.float64),
        wording_similarity=wording.astype(np.float64),
    )
    reason = ""
    if not passed:
        filters = ["other platforms" if exclude_platform else "any platform"]
        if same_type:
            filters.append(f"type {label}")
        if same_stance:
            filters.append(f"stance '{stance}'")
        if best is None:
            reason = f"no indexed clause passes the filters ({', '.join(filters)})"
        else:
            reason = (
                f"no clause reaches the minimum similarity {min_similarity:.2f} "
                f"(best {best:.2f}; {', '.join(filters)})"
            )
    top = "" if query_profile is None else _practice_label(index, int(np.argmax(query_profile)))
    return SimilarClauses(
        query=text,
        clauses=result,
        min_similarity=float(min_similarity),
        measure=index.measure,
        stance=stance,
        label=label if same_type else None,
        practice=top,
        best_similarity=best,
        reason=reason,
    )


def _practice_scores(
    index: ClauseIndex,
    text: str,
    label: str,
    query: np.ndarray,
    profile: np.ndarray,
    keep: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows (sorted) of ``keep`` that the practice measure scores, and their scores: the
    blend of ``PRACTICE_WEIGHT`` (practice, wording, TF-IDF and same-type terms) for the query
    ``text`` of predicted type ``label``, encoder vector ``query`` and practice ``profile``.

    Up to ``_FULL_SCAN`` rows are all scored; beyond, the ``_SHORTLIST`` best by practice among
    the rows sharing a practice with the query (``_shortlist``; and, with the approximate
    backend, the graph's nearest rows by wording)."""
    assert index.profiles is not None and index.tfidf is not None
    if int(keep.sum()) <= _FULL_SCAN:
        rows = np.flatnonzero(keep)
    else:
        rows = _shortlist(index, profile, keep)
        if index._ann is not None:
            near = _ann_rows(index, query[None], _SHORTLIST)[0]
            rows = np.union1d(rows, near[keep[near]])
        rows = np.sort(rows)
    practice = _row_products(index.profiles, rows, profile)
    wording = _exact_scores(index, query[None], rows)[:, 0]
    words = index.model.head.features.tfidf([text]).toarray()[0]
    tfidf = _row_products(index.tfidf, rows, words)
    code = index._label_code.get(label)
    same_type = (index._label_codes[rows] == code) if code is not None else np.zeros(len(rows))
    scores: np.ndarray = (
        PRACTICE_WEIGHT * practice
        + WORDING_WEIGHT * wording
        + TFIDF_WEIGHT * tfidf
        + SAME_TYPE_BOOST * same_type.astype(np.float32)
    ) / np.float32(PRACTICE_WEIGHT + WORDING_WEIGHT + TFIDF_WEIGHT + SAME_TYPE_BOOST)
    return rows, scores.astype(np.float32)


def _row_products(matrix: sp.csr_matrix, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix[rows] @ vector`` as float32; for most of the rows, one product with every row
    (no copy of the selected rows)."""
    if 4 * len(rows) > matrix.shape[0]:
        every: np.ndarray = np.asarray(matrix @ vector, dtype=np.float32)
        chosen: np.ndarray = every[rows]
        return chosen
    products: np.ndarray = np.asarray(matrix[rows] @ vector, dtype=np.float32)
    return products


def _shortlist(index: ClauseIndex, profile: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The ``_SHORTLIST`` rows of ``keep`` with the largest positive practice product with
    ``profile`` (all of them if fewer), unsorted.

    Reads only the profile columns of the query's practices (``ClauseIndex._profile_columns``),
    about ``top_k / practices`` of the stored numbers, and sums each row's share with
    ``np.bincount``; the rows near the cut are re-scored with the row-major profiles, so the
    shortlist is the one a product with every row would give."""
    assert index.profiles is not None
    columns = index._profile_columns()
    practices = np.flatnonzero(profile)
    starts, stops = columns.indptr[practices], columns.indptr[practices + 1]
    entries = np.concatenate(
        [columns.indices[a:b] for a, b in zip(starts, stops, strict=True)] or [np.zeros(0, int)]
    )
    shares = np.concatenate(
        [columns.data[a:b] * profile[c] for a, b, c in zip(starts, stops, practices, strict=True)]
        or [np.zeros(0, np.float32)]
    )
    sums = np.bincount(entries, weights=shares, minlength=len(index))
    rows: np.ndarray = np.flatnonzero(sums > 0)
    rows = rows[keep[rows]]
    if len(rows) <= _SHORTLIST:
        return rows
    approximate = sums[rows]
    cut = approximate[np.argpartition(-approximate, _SHORTLIST - 1)[_SHORTLIST - 1]]
    # the sums above are float64 in another order than the row-major product: re-score exactly
    # every row within rounding of the cut, then cut again on the exact products
    near: np.ndarray = rows[approximate >= cut - 1e-5 * max(1.0, abs(cut))]
    if len(near) <= _SHORTLIST:
        return near
    practice = np.asarray(index.profiles[near] @ profile, dtype=np.float32)
    best: np.ndarray = near[np.argpartition(-practice, _SHORTLIST)[:_SHORTLIST]]
    return best


def _frame(index: ClauseIndex, rows: np.ndarray, **computed: Any) -> pd.DataFrame:
    """The ``SIMILAR_COLUMNS`` frame of ``rows`` (its index), built in one step: the stored
    columns keep their object dtype, the ``computed`` ones are given whole."""
    import pandas as pd

    labels = pd.Index(rows, dtype="int64")
    data: dict[str, Any] = {
        column: pd.Series(index.clauses[column].to_numpy()[rows], index=labels, dtype=object)
        for column in SIMILAR_COLUMNS
        if column not in computed
    }
    for column in ("stance", "practice"):  # strings (object when empty), as pandas infers
        data[column] = pd.Series(np.asarray(computed[column], dtype=object), index=labels)
    for column in ("similarity", "wording_similarity"):
        data[column] = pd.Series(computed[column], index=labels, dtype=np.float64)
    return pd.DataFrame(data, columns=list(SIMILAR_COLUMNS))


def _shared_practices(
    index: ClauseIndex, query_profile: np.ndarray | None, rows: list[int]
) -> list[str]:
    """The readable name of the practice each row most likely shares with the query."""
    if query_profile is None or index.profiles is None:
        return [""] * len(rows)
    joint = index.profiles[np.asarray(rows, dtype=np.int64)].multiply(query_profile[None, :])
    best = np.asarray(joint.argmax(axis=1)).ravel()
    return [_practice_label(index, int(column)) for column in best]


def _practice_label(index: ClauseIndex, column: int) -> str:
    assert index.model.practices is not None
    return practice_name(index.model.practices.names[column])
