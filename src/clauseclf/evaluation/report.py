"""Evaluating a trained model on annotated clauses: ``evaluate`` (a model and annotation files)
and ``evaluation_report`` (head outputs and records) return an ``EvaluationReport``: detection
per type, severity per type, top-label accuracy and calibration, optionally per group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clauseclf.annotations import AnnotatedClause, platform_key
from clauseclf.evaluation.cv_metrics import _rows, top_label_correctness
from clauseclf.evaluation.plots import ReliabilityBin, reliability_bins
from clauseclf.head.output import HeadOutput
from clauseclf.metrics import expected_calibration_error, prf


@dataclass(frozen=True)
class TypeScore:
    """Detection quality of one type, over the clauses whose annotator checked that type."""

    type_id: str
    precision: float
    recall: float
    f1: float
    support: int  # gold positives
    predicted: int  # predicted positives
    checked: int  # clauses annotated for this type


@dataclass(frozen=True)
class SeverityScore:
    """Severity quality of one type, over the (clause, type) pairs the annotator labelled and
    the model predicts (the severities users see)."""

    type_id: str
    exact_accuracy: float
    adverse_f1: float  # adverse = medium or high
    pairs: int


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics of a model on annotated clauses; ``groups`` holds the same per group if asked."""

    clauses: int
    per_type: tuple[TypeScore, ...]
    macro_f1: float  # over types with at least one gold positive
    micro_f1: float
    severity_exact_accuracy: float
    severity_adverse_f1: float
    severity_pairs: int
    severity_per_type: tuple[SeverityScore, ...]
    top_label_accuracy: float
    mean_confidence: float
    ece: float
    reliability: tuple[ReliabilityBin, ...]
    groups: tuple[tuple[str, EvaluationReport], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (groups keyed by name)."""
        out = asdict(self)
        out["groups"] = {name: report.to_dict() for name, report in self.groups}
        return out

    def to_frame(self) -> Any:
        """Per-type detection and severity metrics as a pandas DataFrame indexed by type."""
        import pandas as pd

        severity = {s.type_id: s for s in self.severity_per_type}
        rows = []
        for score in self.per_type:
            sev = severity.get(score.type_id)
            rows.append(
                {
                    **asdict(score),
                    "severity_exact_accuracy": sev.exact_accuracy if sev else float("nan"),
                    "severity_adverse_f1": sev.adverse_f1 if sev else float("nan"),
                    "severity_pairs": sev.pairs if sev else 0,
                }
            )
        return pd.DataFrame(rows).set_index("type_id")

    def format(self) -> str:
        """A plain-text table."""
        lines = [
            f"{self.clauses} clauses: macro-F1 {self.macro_f1:.3f}  micro-F1 {self.micro_f1:.3f}  "
            f"top-label accuracy {self.top_label_accuracy:.3f}  ECE {self.ece:.3f}",
            f"severity: exact {self.severity_exact_accuracy:.3f}  "
            f"adverse F1 {self.severity_adverse_f1:.3f}  ({self.severity_pairs} pairs)",
            f"{'type':<26} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'pred':>6}"
            f" {'sev.exact':>9} {'sev.adv.F1':>10}",
        ]
        severity = {s.type_id: s for s in self.severity_per_type}
        for score in self.per_type:
            if not score.checked:
                continue
            sev = severity.get(score.type_id)
            sev_cells = f"{sev.exact_accuracy:>9.3f} {sev.adverse_f1:>10.3f}" if sev else ""
            lines.append(
                f"{score.type_id:<26} {score.precision:>6.3f} {score.recall:>6.3f} "
                f"{score.f1:>6.3f} {score.support:>6} {score.predicted:>6} {sev_cells}"
            )
        for name, report in self.groups:
            lines.append(
                f"  [{name}] {report.clauses} clauses: macro-F1 {report.macro_f1:.3f}  "
                f"micro-F1 {report.micro_f1:.3f}  severity exact "
                f"{report.severity_exact_accuracy:.3f}  ECE {report.ece:.3f}"
            )
        return "\n".join(lines)


GROUP_KEYS = ("platform", "document", "corpus")


def evaluation_report(
    output: HeadOutput,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    severity_scale: Sequence[str],
    *,
    group_by: str | None = None,
    bins: int = 10,
) -> EvaluationReport:
    """An ``EvaluationReport`` of head ``output`` against the records' labels.

    Partial labels count only where known: a type is scored on the clauses whose annotator
    checked it (``annotated_types``), and the top label's correctness only where it is known.
    """
    if group_by is not None and group_by not in GROUP_KEYS:
        raise ValueError(f"group_by must be one of {GROUP_KEYS}, got {group_by!r}")
    if output.predicted.shape != (len(records), len(types)):
        raise ValueError(
            f"predictions have shape {output.predicted.shape}, expected "
            f"({len(records)}, {len(types)})"
        )
    per_type, all_gold, all_pred = [], [], []
    for column, type_id in enumerate(types):
        known = np.array([r.is_annotated(type_id) for r in records], dtype=bool)
        gold = np.array([type_id in r.labels for r in records], dtype=bool)[known]
        predicted = output.predicted[known, column].astype(bool)
        p, r, f = prf(gold, predicted)
        per_type.append(
            TypeScore(type_id, p, r, f, int(gold.sum()), int(predicted.sum()), int(known.sum()))
        )
        all_gold.append(gold)
        all_pred.append(predicted)
    _, _, micro = prf(np.concatenate(all_gold), np.concatenate(all_pred)) if types else (0, 0, 0.0)
    scored = [s.f1 for s in per_type if s.support]
    severity_per_type, exact_all, gold_adverse_all, pred_adverse_all = [], [], [], []
    adverse_levels = {"medium", "high"}
    for column, type_id in enumerate(types):
        exact, gold_adverse, pred_adverse = [], [], []
        for row, record in enumerate(records):
            if type_id in record.labels and output.predicted[row, column]:
                guess = severity_scale[int(output.severity[row, column])]
                exact.append(guess == record.labels[type_id])
                gold_adverse.append(record.labels[type_id] in adverse_levels)
                pred_adverse.append(guess in adverse_levels)
        if exact:
            _, _, adverse_f1 = prf(np.array(gold_adverse), np.array(pred_adverse))
            severity_per_type.append(
                SeverityScore(type_id, float(np.mean(exact)), adverse_f1, len(exact))
            )
            exact_all += exact
            gold_adverse_all += gold_adverse
            pred_adverse_all += pred_adverse
    _, _, adverse_all = prf(np.array(gold_adverse_all, bool), np.array(pred_adverse_all, bool))
    confidence, correct = top_label_correctness(output, records, types)
    groups: tuple[tuple[str, EvaluationReport], ...] = ()
    if group_by is not None:
        keys = [_group_value(r, group_by) for r in records]
        grouped = []
        for name in sorted(set(keys)):
            rows = np.array([k == name for k in keys])
            sub = _rows(output, rows)
            chosen = [r for r, keep in zip(records, rows, strict=True) if keep]
            grouped.append((name, evaluation_report(sub, chosen, types, severity_scale)))
        groups = tuple(grouped)
    return EvaluationReport(
        clauses=len(records),
        per_type=tuple(per_type),
        macro_f1=float(np.mean(scored)) if scored else 0.0,
        micro_f1=micro,
        severity_exact_accuracy=float(np.mean(exact_all)) if exact_all else 0.0,
        severity_adverse_f1=adverse_all,
        severity_pairs=len(exact_all),
        severity_per_type=tuple(severity_per_type),
        top_label_accuracy=float(correct.mean()) if len(correct) else 0.0,
        mean_confidence=float(confidence.mean()) if len(confidence) else 0.0,
        ece=expected_calibration_error(confidence, correct, bins),
        reliability=reliability_bins(confidence, correct, bins),
        groups=groups,
    )


def _group_value(record: AnnotatedClause, group_by: str) -> str:
    if group_by == "platform":
        return platform_key(record.platform) or "(none)"
    value = getattr(record, group_by)
    return str(value) if value else "(none)"


def evaluate(
    annotations: Any,
    model: Any = None,
    *,
    group_by: str | None = None,
    strict: bool = False,
    annotation_format: str = "auto",
    batch_size: int = 64,
    documents: str | Path | None = None,
) -> EvaluationReport:
    """Score ``model`` (a ``ClauseModel``, a model folder, or None for the default model) on
    annotated clauses: annotation file path(s), an ``AnnotationSet`` or ``AnnotatedClause``s.

    ``documents``: where standoff records find their text (see ``load_annotations``).
    Types the model does not know are ignored; ``group_by`` ("platform", "document" or
    "corpus") adds the same metrics per group.
    """
    from clauseclf.annotations import AnnotationSet, load_annotations
    from clauseclf.inference.model import ClauseModel

    if model is None or isinstance(model, (str, Path)):
        model = ClauseModel.load(model)
    if isinstance(annotations, (str, Path)) or (
        isinstance(annotations, Sequence)
        and annotations
        and all(isinstance(a, (str, Path)) for a in annotations)
    ):
        annotations = load_annotations(
            annotations,
            strict=strict,
            taxonomy=None,
            format=annotation_format,
            documents=documents,
        )
    records = list(annotations.records if isinstance(annotations, AnnotationSet) else annotations)
    if not records:
        problems = annotations.problems if isinstance(annotations, AnnotationSet) else ()
        detail = f": {problems[0]}" if problems else ""
        raise ValueError(f"no annotated clauses to evaluate{detail}")
    for position, record in enumerate(records):
        if not isinstance(record, AnnotatedClause):
            raise TypeError(
                f"annotation {position} is {type(record).__name__}, not AnnotatedClause"
            )
    output = model.predict_arrays([r.text for r in records], batch_size=batch_size)
    return evaluation_report(
        output, records, model.head.types, model.head.severity_scale, group_by=group_by
    )
