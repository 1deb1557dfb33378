"""``ConfidenceCurve``: the map from a clause's top-label probability to the chance that its
top label is right (``ClauseHead.confidence_curve``)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator


class ConfidenceCurve(BaseEstimator):  # type: ignore[misc]
    """An increasing isotonic regression of P(correct) on the top-label probability, clipped
    to [0, 1] and, outside the probabilities seen, to its ends.

    Fitted: ``curve_`` (2, k), breakpoints (probabilities; P(correct)) for ``np.interp``: a
    flat line at the share correct when fewer than 2 breakpoints remain."""

    def fit(self, top: np.ndarray, correct: np.ndarray) -> ConfidenceCurve:
        """Fit on out-of-fold top-label probabilities ``top`` and 1/0 ``correct``."""
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
        iso.fit(top, correct)
        xs, ys = np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_)
        if len(xs) < 2:
            xs, ys = np.array([0.0, 1.0]), np.array([float(correct.mean())] * 2)
        self.curve_ = np.vstack([xs, ys])
        return self
