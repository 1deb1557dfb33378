"""The quick probe of the head's features used by the real-clause benchmarks: TF-IDF word 1-2
grams beside the shipped encoder's embedding at weight 0.5, one LinearSVC per type (C=0.5,
decision > 0), and micro-F1 over the types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def probe_features(texts: Sequence[str], encoder: Any, char_weight: float = 0.0) -> Any:
    """The probe's feature rows (a CSR matrix) of ``texts``; with a positive ``char_weight``
    also the head's character block (``char_wb`` 2-5 grams in at least 3 texts, the 20,000 most
    frequent, sublinear TF-IDF) times that weight."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
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
