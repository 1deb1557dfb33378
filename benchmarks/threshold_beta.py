"""Decision thresholds for precision: real clauses scored as users see them, per threshold rule.

    python benchmarks/threshold_beta.py [--data ../shared/data] [--folds 5] [--jobs 2]
                                        [--rules 1:0.8,0.7:0.9,0.5:0.9:0.85] [--out results.json]
                                        [--keep FOLDER]

The folds, training data and scoring of ``benchmarks/real_clauses.py`` (variant ``real``: the
shipped recipe, trained on the shared corpora, stance.jsonl and the real clauses of the training
folds, grouped by platform and near-duplicate wording). Per fold the head is fitted once; each
rule ``beta:max_threshold[:min_precision][/type+type=beta:min_precision[@corpus+corpus]]`` (the
part after ``/`` for the named types only, their thresholds chosen on the named corpora's
calibration pairs when ``@`` names some; optionally chosen on the calibration pairs of the
``--calibrate-on`` corpora only) then re-chooses every type's threshold from the same
out-of-fold probabilities (``thresholds.choose_thresholds``: the F-beta-best of 25 values in
[0.2, max_threshold], with a ``min_precision`` among those whose out-of-fold precision reaches
it) and the test fold is classified through ``ClauseModel.classify``. Only the
thresholds differ between rules: the ranker, severity and the confidence curve are those fitted
with the shipped rule, so ECE is exact for the shipped rule only (a retrained head refits the
confidence curve for its own thresholds).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

REPO = Path(__file__).resolve().parents[1]

#: Data the fold workers share (set before the pool forks).
_STATE: dict[str, Any] = {}


Rule = tuple[float, float, float, tuple[tuple[tuple[str, ...], float, float, tuple[str, ...]], ...]]


def _rules(text: str) -> list[Rule]:
    """``beta:max[:floor][/type+type=beta:floor[@corpus+corpus]...]`` rules, comma-separated;
    the part after ``/`` gives the named types their own beta and precision floor (chosen on
    the calibration pairs of the ``@`` corpora only, when named)."""
    out = []
    for part in text.split(","):
        base, *special = part.split("/")
        values = [float(v) for v in base.split(":")]
        if len(values) not in (2, 3):
            raise SystemExit(f"a rule is beta:max_threshold[:min_precision], got {part!r}")
        overrides = []
        for item in special:
            names, _, rule = item.partition("=")
            rule, _, corpora = rule.partition("@")
            beta, _, floor = rule.partition(":")
            overrides.append(
                (
                    tuple(names.split("+")),
                    float(beta),
                    float(floor or 0),
                    tuple(c for c in corpora.split("+") if c),
                )
            )
        out.append((values[0], values[1], values[2] if len(values) == 3 else 0.0, tuple(overrides)))
    return out


def _name(rule: Rule) -> str:
    floor = f", P>={rule[2]:g}" if rule[2] else ""
    special = "".join(
        f"; {'+'.join(names)}: beta {beta:g}"
        + (f", P>={f:g}" if f else "")
        + (f" on {'+'.join(corpora)}" if corpora else "")
        for names, beta, f, corpora in rule[3]
    )
    return f"beta {rule[0]:g}, max {rule[1]:g}{floor}{special}"


def _per_type(
    rule: Rule, types: list[str], mask: np.ndarray, corpora: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-type betas, floors and the calibration mask of ``rule`` (a type's pairs limited to
    its ``@`` corpora where it has at least 5 positives there)."""
    from clauseclf.training.labels import threshold_mask

    betas, floors = np.full(len(types), rule[0]), np.full(len(types), rule[2])
    limits: dict[int, Any] = {}
    for names, beta, floor, chosen in rule[3]:
        for name in names:
            if name not in types:
                raise SystemExit(f"unknown type {name!r} in a rule")
            c = types.index(name)
            betas[c], floors[c] = beta, floor
            if chosen:
                limits[c] = chosen
    return betas, floors, threshold_mask(mask, targets, list(corpora), limits)


def data_digest(seed: int, real: list[Any], shared: list[Any], stance: list[Any]) -> str:
    """The digest that names the kept fold pickles of this data and seed."""
    all_texts = sorted({r.text for r in real + shared + stance})
    return hashlib.sha256(
        "\n".join([str(seed), *all_texts, *(repr(r.labels) for r in real)]).encode()
    ).hexdigest()[:12]


def kept_path(keep: Path, k: int, n_folds: int, digest: str) -> Path:
    """Where fold ``k``'s fitted head and out-of-fold probabilities are kept."""
    return keep / f"fold{k}_of{n_folds}_{digest}.pkl"


def load_kept(keep: Path, k: int, n_folds: int, digest: str) -> tuple[Any, Any, Any, float]:
    """A kept fold: (head, out-of-fold probabilities, calibration mask, lowest threshold)."""
    path = kept_path(keep, k, n_folds, digest)
    if not path.exists():
        raise SystemExit(f"{path} is missing: run threshold_beta.py --keep {keep} first")
    with path.open("rb") as handle:
        kept: tuple[Any, Any, Any, float] = pickle.load(handle)
    if not hasattr(kept[0], "top_severity_gate"):  # kept before heads had the gate
        kept[0].top_severity_gate = 0.0
    return kept


class KeptFolds(NamedTuple):
    """What a benchmark over the kept fold heads reads: its arguments, the data, the folds."""

    args: argparse.Namespace
    shipped: Any
    real: list[Any]
    shared: list[Any]
    stance: list[Any]
    folds: list[Any]
    digest: str
    chosen: list[int]


def kept_folds(parser: argparse.ArgumentParser) -> KeptFolds:
    """Add the arguments every benchmark over the kept fold heads takes (``--data``,
    ``--labels``, ``--keep``, ``--folds``, ``--only-folds``, ``--seed``) to ``parser``, parse
    them and load the data and folds of those heads."""
    from real_clauses import load_benchmark_records

    from clauseclf.training import group_folds

    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--labels", type=Path, default=REPO / "data/annotations/real.jsonl")
    parser.add_argument("--keep", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--only-folds", default="")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shipped, real, shared, stance, groups = load_benchmark_records(args.data, args.labels)
    folds = group_folds(groups, args.folds, args.seed)
    chosen = [int(k) for k in args.only_folds.split(",") if k] or list(range(args.folds))
    digest = data_digest(args.seed, real, shared, stance)
    return KeptFolds(args, shipped, real, shared, stance, folds, digest, chosen)


def fold_training_records(
    k: int, folds: list[Any], real: list[Any], shared: list[Any], stance: list[Any]
) -> list[Any]:
    """The records fold ``k``'s head trains on: the shared corpora outside the test fold's
    platforms, stance.jsonl and the real clauses of the other folds."""
    from clauseclf.annotations import platform_key

    test_platforms = {platform_key(real[i].platform) for i in folds[k]}
    train_real = [real[i] for i in np.setdiff1d(np.arange(len(real)), folds[k])]
    records = [r for r in shared if platform_key(r.platform) not in test_platforms]
    return records + stance + train_real


def _fitted(k: int, records: list[Any], texts: list[str]) -> tuple[Any, Any, Any, float]:
    """The fold's head, out-of-fold probabilities, calibration mask and lowest threshold; read
    from ``--keep`` when a run with the same data kept them, else fitted (and kept)."""
    from clauseclf.training import TrainingConfig
    from clauseclf.training.head_fit import HeadEstimator

    s = _STATE
    kept = kept_path(s["keep"], k, len(s["folds"]), s["digest"]) if s["keep"] else None
    if kept is not None and kept.exists():
        return load_kept(s["keep"], k, len(s["folds"]), s["digest"])
    estimator = HeadEstimator(TrainingConfig(), s["taxonomy"], s["seed"]).fit(
        texts, s["embeddings"][[s["index"][t] for t in texts]], records
    )
    classifier = estimator.classifier_
    fitted = (
        estimator.to_head(),
        classifier.oof_probabilities_,
        classifier.calibration_mask_,
        classifier.min_threshold,
    )
    if kept is not None:
        with kept.open("wb") as handle:
            pickle.dump(fitted, handle)
    return fitted


def _fold(k: int) -> list[tuple[int, str, Any]]:
    from clauseclf.inference.model import ClauseModel
    from clauseclf.thresholds import choose_thresholds
    from clauseclf.training import TrainingConfig, label_matrix

    s = _STATE
    real, shared, stance, folds = s["real"], s["shared"], s["stance"], s["folds"]
    taxonomy, encoder = s["taxonomy"], s["encoder"]
    test_rows = folds[k]
    records = fold_training_records(k, folds, real, shared, stance)
    texts = [r.text for r in records]
    config = TrainingConfig()
    started = time.time()
    head, oof_probabilities, calibration_mask, min_threshold = _fitted(k, records, texts)
    targets = label_matrix(records, list(taxonomy.type_ids), config.weak_negative_weight).y
    test_texts = [real[i].text for i in test_rows]
    corpora = np.array([r.corpus for r in records])
    if s["calibrate_on"]:
        chosen = np.array([r.corpus in s["calibrate_on"] for r in records], dtype=bool)
        calibration_mask = calibration_mask & chosen[:, None]
    out = []
    for rule in s["rules"]:
        variant = copy.copy(head)
        betas, floors, mask = _per_type(
            rule, list(taxonomy.type_ids), calibration_mask, corpora, targets
        )
        variant.thresholds = choose_thresholds(
            oof_probabilities, targets, mask, min_threshold, rule[1], betas, floors
        )
        model = ClauseModel(encoder, variant, taxonomy)
        for row, p in zip(test_rows, model.classify(test_texts), strict=True):
            out.append((int(row), _name(rule), p))
    print(f"fold {k}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    return out


def main() -> int:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from real_clauses import _print, load_benchmark_records

    from clauseclf.scoring import score_predictions
    from clauseclf.training import group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--labels", type=Path, default=REPO / "data/annotations/real.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rules", default="1:0.8,0.7:0.9,0.5:0.9")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--calibrate-on",
        default="",
        help="comma-separated corpora: the rules choose thresholds on these corpora's "
        "calibration pairs only (default: all of the head's calibration pairs)",
    )
    parser.add_argument(
        "--only-folds",
        default="",
        help="comma-separated fold numbers to run and score (default: all)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="a folder where each fold's fitted head and out-of-fold probabilities are kept "
        "(pickles, named by the data's digest) and read back by later runs with other rules",
    )
    args = parser.parse_args()

    shipped, real, shared, stance, groups = load_benchmark_records(args.data, args.labels)
    taxonomy, encoder = shipped.taxonomy, shipped.encoder
    folds = group_folds(groups, args.folds, args.seed)
    all_texts = sorted({r.text for r in real + shared + stance})
    rules = _rules(args.rules)
    _STATE.update(
        real=real,
        shared=shared,
        stance=stance,
        folds=folds,
        taxonomy=taxonomy,
        encoder=encoder,
        embeddings=encoder.encode(all_texts),
        index={t: i for i, t in enumerate(all_texts)},
        seed=args.seed,
        rules=rules,
        keep=args.keep,
        calibrate_on={c for c in args.calibrate_on.split(",") if c},
        digest=data_digest(args.seed, real, shared, stance),
    )
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    print(
        f"{len(real)} real clauses, {args.folds} folds, {len(shared)} shared-corpus clauses; "
        f"rules {args.rules}",
        file=sys.stderr,
    )
    predictions: dict[str, list[Any]] = {_name(r): [None] * len(real) for r in rules}
    chosen = [int(k) for k in args.only_folds.split(",") if k] or list(range(args.folds))
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for found in pool.map(_fold, chosen):
            for row, name, p in found:
                predictions[name][row] = p
    scored = sorted(int(i) for k in chosen for i in folds[k])
    scored_real = [real[i] for i in scored]
    random_part = [r.part == "random" for r in scored_real]
    results = {
        name: score_predictions(
            [found[i] for i in scored],
            scored_real,
            list(taxonomy.type_ids),
            random_part=random_part,
        ).to_dict()
        for name, found in predictions.items()
    }
    where = f"folds {args.only_folds} of {args.folds}" if args.only_folds else f"{args.folds} folds"
    calibrated = f"; thresholds chosen on {args.calibrate_on}" if args.calibrate_on else ""
    print(
        f"{len(scored_real)} of {len(real)} real clauses ({where}, grouped by platform and "
        f"wording){calibrated}"
    )
    _print(results, list(taxonomy.type_ids))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
