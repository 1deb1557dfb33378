"""Active learning: pick the clauses the model is least sure of and write them as tasks for
Label Studio or doccano, the model's labels as pre-annotations (``tools`` reads the answers
back; the label convention is described there)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clauseclf.taxonomy import OTHER

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel
    from clauseclf.predictions import ClausePrediction


def prediction_margins(predictions: Sequence[ClausePrediction]) -> np.ndarray:
    """How sure the model is of each clause: the gap between its two most likely answers.

    The answers compared are every type's probability and the probability that none applies
    (1 - the highest type probability); a small margin means a clause worth labelling.
    """
    margins = np.zeros(len(predictions))
    for row, prediction in enumerate(predictions):
        probabilities = sorted(prediction.probabilities.values(), reverse=True)
        answers = sorted([*probabilities, 1.0 - (probabilities[0] if probabilities else 0.0)])
        margins[row] = answers[-1] - answers[-2] if len(answers) > 1 else 1.0
    return margins


def least_certain(model: ClauseModel, texts: Sequence[str], *, n: int = 50) -> list[int]:
    """Indices of the ``n`` texts with the smallest margin (see ``prediction_margins``)."""
    margins = prediction_margins(model.classify(texts))
    return [int(i) for i in np.argsort(margins, kind="stable")[:n]]


def write_label_studio_tasks(
    path: str | Path,
    texts: Sequence[str],
    predictions: Sequence[ClausePrediction],
    *,
    model_version: str = "clauseclf",
) -> Path:
    """Write a Label Studio import file with the model's labels as pre-annotations."""
    tasks = [
        {
            "data": {"text": text},
            "predictions": [
                {
                    "model_version": model_version,
                    "score": p.confidence,
                    "result": [
                        {
                            "from_name": "type",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": list(p.labels) or [OTHER]},
                        },
                        {
                            "from_name": "severity",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": [p.severity]},
                        },
                    ],
                }
            ],
        }
        for text, p in zip(texts, predictions, strict=True)
    ]
    return _write_atomically(Path(path), json.dumps(tasks, ensure_ascii=False, indent=1))


def write_doccano_tasks(
    path: str | Path, texts: Sequence[str], predictions: Sequence[ClausePrediction]
) -> Path:
    """Write a doccano JSONL import file with ``type:severity`` labels as pre-annotations."""
    lines = [
        json.dumps(
            {"text": text, "label": [f"{t}:{s}" for t, s in p.severities.items()] or [OTHER]},
            ensure_ascii=False,
        )
        for text, p in zip(texts, predictions, strict=True)
    ]
    return _write_atomically(Path(path), "\n".join(lines) + "\n")


def _write_atomically(path: Path, content: str) -> Path:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
