"""The quick probe of the head's features used by the real-clause benchmarks: TF-IDF word 1-2
grams beside the shipped encoder's embedding at weight 0.5, one LinearSVC per type (C=0.5,
decision > 0), and micro-F1 over the types."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def probe_features(
    texts: Sequence[str], encoder: Any, char_weight: float = 0.0, max_words: int | None = None
) -> Any:
    """The probe's feature rows (a CSR matrix) of ``texts``; with a positive ``char_weight``
    also the head's character block (``char_wb`` 2-5 grams in at least 3 texts, the 20,000 most
    frequent, sublinear TF-IDF) times that weight; ``max_words`` keeps only the most frequent
    word n-grams (default: every one in at least 2 texts)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=max_words, sublinear_tf=True)
    embedded = sp.csr_matrix(normalize(encoder.encode(list(texts))))
    blocks = [tfidf.fit_transform(texts), 0.5 * embedded]
    if char_weight > 0:
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=3, max_features=20000, sublinear_tf=True
        )
        blocks.append(char_weight * chars.fit_transform(texts))
    return sp.csr_matrix(sp.hstack(blocks))


def probe_predict(x: Any, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Predicted type matrix of the rows ``test``, one LinearSVC per column of ``y`` fitted on
    the rows ``train``."""
    from sklearn.svm import LinearSVC

    out = np.zeros((len(test), y.shape[1]), dtype=bool)
    for column in range(y.shape[1]):
        fitted = LinearSVC(C=0.5).fit(x[train], y[train, column])
        out[:, column] = fitted.decision_function(x[test]) > 0
    return out


def micro_f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Micro-F1 of boolean type matrices."""
    tp = int((predicted & truth).sum())
    wrong = int((predicted != truth).sum())
    return 2 * tp / max(1, 2 * tp + wrong)


def probe_data(
    labels: Path, data: Path, folds: int, seed: int
) -> tuple[Any, list[Any], list[str], np.ndarray, list[np.ndarray]]:
    """The shipped model, the real clauses of ``labels`` (text read from ``data``'s
    policies-2023), their texts, their type matrix (the model's type order) and ``folds`` test
    folds grouped by platform and near-duplicate wording."""
    from real_clauses import near_duplicate_groups

    from clauseclf.annotations import load_annotations
    from clauseclf.inference.model import ClauseModel
    from clauseclf.training import group_folds

    model = ClauseModel.load()
    types = list(model.taxonomy.type_ids)
    records = list(load_annotations(labels, documents=data / "policies-2023", strict=True).records)
    texts = [r.text for r in records]
    y = np.array([[t in r.labels for t in types] for r in records])
    return model, records, texts, y, group_folds(near_duplicate_groups(records), folds, seed)
