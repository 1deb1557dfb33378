"""``TrainingConfig``: the hyper-parameters of the head, with what each does and why it has its
default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters of the head (chosen by grouped cross-validation, see the model card).

    "Measured" means cross-validation with folds grouped by platform (5 folds unless said),
    as the model card reports it. The fields are saved, in this order, in the head's settings
    (``head.json``).

    Attributes:
        C: Regularisation of the per-type linear models (``ClauseClassifier``) and of the type
            ranker.
        linear_model: The per-type linear model: ``"svc"`` (LinearSVC) or ``"logistic"``
            (liblinear logistic regression).
        embedding_weight: Weight of the sentence embedding next to the L2-normalised TF-IDF
            block of the features.
        stance_weight: Weight of the stance flags (``head.cues.STANCE_PATTERNS``) in the
            features; 0 leaves them out.
        min_df: The TF-IDF vocabulary keeps word 1-2 grams seen in at least this many clauses
            (so no clause text is stored).
        max_features: At most this many n-grams in the TF-IDF vocabulary (the most frequent).
        char_weight: Weight of the character TF-IDF block (``char_wb`` 2-5 grams within word
            boundaries, L2-normalised); 0 leaves it out. Measured with the quick probe of
            ``benchmarks/real_probe.py`` on the real clauses (5 folds grouped by platform and
            wording): see ``benchmarks/results/char_ngrams_*.txt``.
        char_max_features: At most this many character n-grams (the most frequent, seen in at
            least ``min_df`` clauses).
        weak_negative_weight: Sample weight of a weak negative: a type the annotator did not
            check for a clause (``annotated_types``) is taken as a negative with this weight, so
            the types a corpus never checked still see its clauses as (mostly right) negatives.
        severity_C: Regularisation of the per-type multinomial logistic regression for
            severity.
        severity_class_weight: How severity levels are weighted in that regression:
            ``"balanced"`` inversely to their frequency, ``"sqrt"`` by the square root of that
            (a level seen twice among 70 cannot take over), ``"none"`` not at all. Measured
            (cached heads of 2 of 3 folds grouped by platform and wording, real clauses as
            users see them; ``benchmarks/results/severity_gate_2026-12-05.txt``): severity exact
            0.895 / 0.898 and high flags right 0.736 / 0.795 with balanced / none.
        top_severity_gate: A predicted type gets the highest severity only when P(type) times
            P(highest | type) reaches this (``ClauseHead.top_severity_gate``), else its most
            probable lower level: a "high" a user prints should hold. Measured (same folds,
            class weight none): high flags right 0.795 / 0.850 / 0.881 / 0.920 and severity
            exact 0.898 / 0.895 / 0.891 / 0.887 with 0 / 0.6 / 0.7 / 0.8.
        inner_folds: Number of platform-grouped inner folds of the training data whose
            out-of-fold scores fit the Platt calibration, the thresholds, the type ranker's and
            the practice evidence's scores and the confidence curve.
        calibrate_on_full_checks: Calibrate and tune thresholds on the informative pairs
            (clauses checked for several types, or background clauses), per type where they have
            five positives; False: on every strong label.
        calibration_corpora: Corpora (``AnnotatedClause.corpus``) whose clauses alone calibrate
            the probabilities, tune the thresholds and fit the confidence curve, where present (a
            type with fewer than five positives there falls back to every informative clause);
            ``()``: every informative clause (the real clauses, which are checked for every
            type, and CLAUDETTE's sentences for its 8 types). Off by default: with ``("real",)``
            (the real clauses' targeted part makes rare types common there) the default recipe
            measured, on the same 5 platform folds (the second run also with stance.jsonl graded
            as the guideline grades it), real-clause micro-F1 0.782 vs 0.784, other
            left empty 0.788 vs 0.813, CLAUDETTE macro-F1 0.617 vs 0.633, ECE 0.034 vs 0.013.
        threshold_beta: Each type's decision threshold maximises its out-of-fold F-beta on the
            calibration pairs with this beta: 1 weighs precision and recall alike, below 1
            favours precision (a type users see should be right). Measured on the real clauses
            (``benchmarks/threshold_beta.py``, 5 folds grouped by platform and wording, as
            users see them; ``benchmarks/results/threshold_beta_2026-12-05.txt``), beta 1 /
            0.7 / 0.5: micro-F1 0.768 / 0.766 / 0.746, predicted types right 0.734 / 0.792 /
            0.840, clauses of no type left empty 0.808 / 0.864 / 0.906, high flags right 0.708
            / 0.730 / 0.751. 0.5 by default: a flag a user prints should hold.
        max_threshold: The highest decision threshold the tuning may choose (the lowest is
            0.2); with a beta below 1 the best threshold of a type can lie above 0.8.
        min_precision: With a positive value each type's threshold is the F-beta-best among those
            whose out-of-fold precision reaches it (the F-0.5-best when none does, whatever the
            beta): a floor on how often a type users see is wrong, per type. Measured (cached heads
            of 2 of 3 folds grouped by platform and wording, with ``type_thresholds``;
            ``benchmarks/results/threshold_floor_2026-12-05.txt``), floor 0 / 0.78 / 0.8 / 0.82 /
            0.85: predicted types right 0.847 / 0.855 / 0.860 / 0.864 / 0.874, micro-F1 0.737 /
            0.734 / 0.731 / 0.727 / 0.716; at 0.8 only data_collection (P 0.76 -> 0.79) and
            third_party_sharing (0.75 -> 0.82) move. 0.8 by default.
        type_thresholds: ``(type, beta, min_precision)`` triples: the named types' thresholds
            follow this beta and precision floor instead of ``threshold_beta`` and
            ``min_precision``: more recall, at a precision floor, for the types a user must not
            miss. Measured (cached heads of 2 of 3 folds grouped by platform and wording, real
            clauses as users see them; ``benchmarks/results/threshold_rules_2026-12-05b.txt``):
            P / R of arbitration 0.90 / 0.74 -> 0.86 / 0.85 (with ``threshold_corpora``),
            class_action_waiver 0.94 / 0.81 -> 0.90 / 0.93, data_sale 0.89 / 0.79 -> 0.86 /
            0.84; micro-F1 0.735 -> 0.737, predicted types right 0.848 -> 0.847. ai_training
            keeps beta 0.5 without a floor: beta 1 did not hold on real clauses (R 0.53 ->
            0.44), and the floor of 0.8 raised its threshold without raising its precision
            (model cards, 5 folds grouped by platform: P / R 0.679 / 0.569 with the floor, 0.683
            / 0.662 without; ai_training-set F1 0.640 / 0.688).
        threshold_corpora: ``(type, corpora)`` pairs: the named type's threshold is chosen on
            the calibration pairs of these corpora only (where the type has at least five
            positives there), e.g. without a corpus whose definition of the type is narrower
            than the guideline's (CLAUDETTE tags only the arbitration clause that imposes it:
            with its sentences no arbitration threshold reaches precision 0.85).
        severity_corpora: Corpora whose positives alone fit a type's severity model when it has
            at least ``min_severity_examples`` there (the corpora grade the same type
            differently; the real clauses and stance.jsonl follow our guideline); ``()`` fits
            every type on all its positives. Measured (training CV, same 5 platform folds):
            real-clause severity exact 0.884 with ("real",) or ("real", "stance"), 0.835 fitted
            on every corpus (benchmarks/results/real_clauses_calibration_2026-12-05.txt, other
            folds); "stance" adds the clauses that train or sell by default with an opt-out
            (high), of which the real clauses hold few.
        min_severity_examples: See ``severity_corpora``.
        select_sources: Per type, choose by inner grouped CV between training on every clause
            and training only on the clauses fully checked for the type (CLAUDETTE's sentences
            for its 8 types). Off by default: measured, CLAUDETTE macro-F1 0.717 vs 0.703,
            ToS;DR top-1 0.778 vs 0.807.
        min_checked_clauses: With ``select_sources``, only types with at least this many fully
            checked clauses take part (a small, targeted set such as the ai_training one does
            not represent whole documents).
        min_checked_positives: With ``select_sources``, only types with at least this many
            positives among their fully checked clauses take part.
        rank_types: A multiclass type ranker picks the top label among the predicted types.
            Measured on the out-of-fold outputs of 5 platform folds: ToS;DR top-1 among
            predicted types 0.771 -> 0.796.
        practice_C: Regularisation of the practice map (similar-clause search) on clauses that
            name their practice (``case``): a LinearSVC over their TF-IDF rows and embeddings
            (``fit_practice_map``). Measured (``benchmarks/similarity.py``): p@5 0.506 with the
            former logistic regression on embeddings alone, 0.525 with an unweighted LinearSVC,
            0.529 class-balanced; C 0.25 to 0.5 tie.
        practice_scale: The practice map's scores times this are its softmax logits (6 to 9
            tie).
        practice_text_density: The practice map keeps only this share of its largest n-gram
            weights (a sparse matrix); 5% costs nothing measurable.
        practice_min_examples: Practices with fewer clauses than this are left out of the
            practice map.
        practice_rank_weight: The ranker adds this weight times P(type) through the practice
            map (each practice's type shares among its clauses) to its scores; 0 turns it off.
            Measured (training CV): ToS;DR top-1 0.847 -> 0.861 with weight 2, CLAUDETTE and
            ai_training top labels unchanged; weights 1 and 3 gave 0.858 and 0.862 on
            out-of-fold outputs of the same folds.
        background_clauses: Background clauses (``clauseclf.background``): this many clauses of
            unlabelled policies in the shared data (from ``background_documents`` documents of
            platforms no annotation names), added as negatives when training with
            ``data_dir``; 0 turns them off. Off by default: measured
            (``benchmarks/background.py``, with the cue gate, 10,000 clauses) ai_training F1
            0.749 -> 0.679, CLAUDETTE micro-F1 0.703 -> 0.699; they lower the share of
            unseen-policy clauses flagged per type (data_collection 9.1% -> 5.3%), which has no
            labels.
        background_documents: The number of documents the background clauses come from.
        required_cues: Types predicted only for clauses with a cue
            (``ClauseHead.required_cues``), as (type, cue) pairs: ai_training only with AI
            wording. Measured (``benchmarks/background.py``): ai_training F1 0.751 -> 0.749 on
            the ai_training set, the other CV metrics unchanged; clauses of 200 unseen policies
            flagged ai_training 0.352% -> 0.029%.
    """

    C: float = 0.5
    linear_model: str = "svc"
    embedding_weight: float = 0.5
    stance_weight: float = 1.0
    min_df: int = 3
    max_features: int = 20000
    char_weight: float = 0.7
    char_max_features: int = 20000
    weak_negative_weight: float = 0.1
    severity_C: float = 10.0
    severity_class_weight: str = "none"
    inner_folds: int = 3
    calibrate_on_full_checks: bool = True
    calibration_corpora: tuple[str, ...] = ()
    threshold_beta: float = 0.5
    max_threshold: float = 0.9
    min_precision: float = 0.8
    severity_corpora: tuple[str, ...] = ("real", "stance")
    min_severity_examples: int = 30
    select_sources: bool = False
    min_checked_clauses: int = 1000
    min_checked_positives: int = 20
    rank_types: bool = True
    practice_C: float = 0.5
    practice_scale: float = 6.0
    practice_text_density: float = 0.05
    practice_min_examples: int = 2
    practice_rank_weight: float = 2.0
    background_clauses: int = 0
    background_documents: int = 1500
    required_cues: tuple[tuple[str, str], ...] = (("ai_training", "ai_wording"),)
    type_thresholds: tuple[tuple[str, float, float], ...] = (
        ("arbitration", 1.0, 0.85),
        ("class_action_waiver", 1.0, 0.85),
        ("data_sale", 1.0, 0.85),
        ("ai_training", 0.5, 0.0),
    )
    threshold_corpora: tuple[tuple[str, tuple[str, ...]], ...] = (("arbitration", ("real",)),)
    top_severity_gate: float = 0.7

    def threshold_rules(
        self, types: Sequence[str]
    ) -> tuple[list[float], list[float], dict[int, tuple[str, ...]]]:
        """Each of ``types``' threshold beta and precision floor (``threshold_beta`` and
        ``min_precision`` unless ``type_thresholds`` names it) and the corpora that choose
        the thresholds of the columns ``threshold_corpora`` names. A type of the package's
        taxonomy that ``types`` lacks (a custom taxonomy) is passed over; a ValueError names
        any other unknown type, a type named twice, a malformed entry or a value out of
        range (``top_severity_gate`` too)."""
        from clauseclf.taxonomy import default_taxonomy

        known = set(default_taxonomy().type_ids)
        index = {t: i for i, t in enumerate(types)}
        betas = [self.threshold_beta] * len(types)
        floors = [self.min_precision] * len(types)
        limits: dict[int, tuple[str, ...]] = {}

        def column(field: str, type_id: object, seen: set[object]) -> int | None:
            if type_id not in index and type_id not in known:
                raise ValueError(f"{field} names {type_id!r}, not a type of the taxonomy")
            if type_id in seen:
                raise ValueError(f"{field} names {type_id!r} twice")
            seen.add(type_id)
            return index.get(str(type_id))

        seen: set[object] = set()
        for entry in self.type_thresholds:
            if len(entry) != 3:
                raise ValueError(
                    f"type_thresholds entries are (type, beta, min_precision): {entry!r}"
                )
            type_id, beta, floor = entry
            if not beta > 0 or not 0.0 <= floor < 1.0:
                raise ValueError(
                    f"type_thresholds for {type_id!r}: beta must be positive and min_precision "
                    f"in [0, 1), got {beta!r} and {floor!r}"
                )
            at = column("type_thresholds", type_id, seen)
            if at is not None:
                betas[at], floors[at] = float(beta), float(floor)
        seen = set()
        for limit in self.threshold_corpora:
            if len(limit) != 2 or isinstance(limit[1], str) or not limit[1]:
                raise ValueError(
                    f"threshold_corpora entries are (type, non-empty tuple of corpora): {limit!r}"
                )
            at = column("threshold_corpora", limit[0], seen)
            if at is not None:
                limits[at] = tuple(limit[1])
        if not 0.0 <= self.top_severity_gate <= 1.0:
            raise ValueError(
                f"top_severity_gate must lie in [0, 1], got {self.top_severity_gate!r}"
            )
        return betas, floors, limits
