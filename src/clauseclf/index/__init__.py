"""A clause index across platforms: similar clauses, prevalence and uniqueness.

Built from a scored DataFrame (``ClauseModel.score``): every clause is embedded with the model's
encoder and kept with its platform, document, label and severity. Vectors are stored as int8 with
one float32 scale per row (a quarter of float32's memory, cosine error below 0.002). Search is
exact by default (a float32 dot product over cache-sized blocks, about 0.1 s per query over a
million clauses); ``use_backend("hnsw")`` adds an approximate HNSW graph (the optional extra
``pip install 'clauseclf[ann]'``, usearch) behind the same methods::

    index = ClauseIndex.build(model, documents)
    index.similar("We may train AI models on your content.", k=5)
    index.prevalence("ai_training")          # Prevalence(platforms=31, total=343, does=29, ...)
    index.uniqueness("We may train ...")     # platforms with a near-identical wording
    index.use_backend("hnsw")                # approximate search for large indexes

``similar`` ranks by *practice*: when the model has a practice map (``ClauseModel.practices``,
trained on ToS;DR cases), each clause keeps its practice profile, its TF-IDF row by the head's
vectoriser and its predicted type, and a clause's score for a query blends the probability that
they express the same practice, their encoder cosine, their TF-IDF cosine and whether the clause
has the query's predicted type (``clauseclf.index.similar.PRACTICE_WEIGHT``), so "we never sell
your data" finds other platforms' no-sale promises, and a practice the map never saw still finds
its wording. It keeps the query's stance (``clauseclf.index.stance``) and answers a
``SimilarClauses``, empty with a reason below the measure's ``MIN_SIMILARITY``; each neighbour
names the practice it shares with the query by a readable name (``practice_names``). An index of
a model without a practice map ranks by wording (encoder cosine); ``index.measure`` says which.
Near-identical wording (``uniqueness``) always uses the encoder vectors.

Saved as a folder without pickle: ``vectors.npy`` (int8), ``scales.npy`` (float32),
``profiles.npz`` and ``tfidf.npz`` (practice profiles and TF-IDF rows, sparse),
``clauses.parquet``, ``index.json`` and, with the approximate backend, ``ann.usearch`` (usearch's
own file format, checked against its SHA-256 in ``index.json`` on load).

Modules: ``core`` (``ClauseIndex``: building, backends, queries), ``search`` (exact and
approximate search over the int8 vectors, quantisation), ``similar`` (``SimilarClauses``, the
ranking and the cut-off), ``stance``, ``practice_names``, ``prevalence`` (``Prevalence``,
``Uniqueness``), ``storage`` (the saved folder and its format checks). Everything public is
re-exported here: import from ``clauseclf.index``.
"""

from __future__ import annotations

from clauseclf.index.core import INDEX_COLUMNS, ClauseIndex
from clauseclf.index.practice_names import PRACTICE_NAMES, practice_name
from clauseclf.index.prevalence import NEAR_IDENTICAL, Prevalence, Uniqueness
from clauseclf.index.search import ANN_INSTALL, BACKENDS
from clauseclf.index.similar import MIN_SIMILARITY, SIMILAR_COLUMNS, SimilarClauses
from clauseclf.index.stance import DOES, DOES_NOT, STANCES, clause_stance
from clauseclf.index.storage import (
    ANN_FILE,
    INDEX_FORMAT,
    INDEX_FORMAT_VERSION,
    MEASURES,
    PROFILES_FILE,
    READABLE_FORMAT_VERSIONS,
    TFIDF_FILE,
)

__all__ = [
    "ANN_FILE",
    "ANN_INSTALL",
    "BACKENDS",
    "DOES",
    "DOES_NOT",
    "INDEX_COLUMNS",
    "INDEX_FORMAT",
    "INDEX_FORMAT_VERSION",
    "MEASURES",
    "MIN_SIMILARITY",
    "NEAR_IDENTICAL",
    "PRACTICE_NAMES",
    "PROFILES_FILE",
    "READABLE_FORMAT_VERSIONS",
    "SIMILAR_COLUMNS",
    "STANCES",
    "TFIDF_FILE",
    "ClauseIndex",
    "Prevalence",
    "SimilarClauses",
    "Uniqueness",
    "clause_stance",
    "practice_name",
]
