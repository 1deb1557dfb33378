"""Flags in real documents: the head recipe without and with the ai_training cue gate, and with
background clauses, on the same platform folds, and how often each flags types in unseen policies.

    python benchmarks/background.py [--data ../shared/data] [--folds 5] [--documents 200]

The annotated corpora are curated, so cross-validation on them cannot show how often a type is
flagged in an ordinary policy. This script scores the recipes two ways:
- grouped cross-validation on the annotated corpora (``data/annotations/stance.jsonl`` too, as
  the default model): the model card's metrics;
- "in the wild": ``--documents`` policies of policies-2023 from platforms that neither the
  annotations nor the background sample use, segmented and scored by each fold's head. Nearly
  none of their clauses can be ``ai_training`` without AI wording (``head.cues.
  AI_WORDING``; the ai_training set was collected by such keywords), so the share of those
  flagged is a false-positive rate; the share of all clauses flagged per type is printed too.
"""

from __future__ import annotations

import argparse
import random
import sys
import tarfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    import clauseclf
    from clauseclf.annotations import (
        POLICY_ARCHIVE,
        archive_texts,
        load_annotations,
        load_corpora,
        platform_key,
        platforms,
        service_of,
    )
    from clauseclf.background import background_clauses
    from clauseclf.evaluation import evaluate_output, out_of_fold_output, summarize
    from clauseclf.head import has_ai_wording
    from clauseclf.segmentation import segment_document
    from clauseclf.taxonomy import default_taxonomy
    from clauseclf.training import TrainingConfig, fit_head, group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--documents", type=int, default=200, help="unseen policies to score")
    args = parser.parse_args()
    archive = args.data / POLICY_ARCHIVE
    if not archive.is_file():
        print(f"{archive} is missing; pass --data", file=sys.stderr)
        return 2

    taxonomy = default_taxonomy()
    types = list(taxonomy.type_ids)
    stance = REPO / "data" / "annotations" / "stance.jsonl"
    records = list(load_annotations([stance], taxonomy=taxonomy, strict=True).records)
    records += load_corpora(args.data, taxonomy=taxonomy)
    labelled = set(platforms(records))
    with tarfile.open(archive, "r|xz") as tar:
        names = sorted(m.name for m in tar if m.isfile() and m.name.endswith(".txt"))
    free = sorted({platform_key(service_of(n)) for n in names} - labelled)
    random.Random(0).shuffle(free)
    wild_platforms = set(free[: len(free) // 3])
    wild_names = sorted(n for n in names if platform_key(service_of(n)) in wild_platforms)
    wanted = set(random.Random(1).sample(wild_names, min(args.documents, len(wild_names))))
    wild = [
        s.text
        for _, text in sorted(archive_texts(archive, wanted))
        for s in segment_document(text).segments
    ]
    about_ai = np.array([has_ai_wording(t) for t in wild])

    config = TrainingConfig()
    recipes = {
        "no cue gate (before)": replace(config, required_cues=()),
        "ai_training needs AI wording (default)": config,
        "the same + 10,000 background clauses": replace(config, background_clauses=10_000),
    }
    background = background_clauses(
        args.data,
        clauses=10_000,
        documents=config.background_documents,
        exclude_platforms=labelled | wild_platforms,
        seed=0,
    )
    print(
        f"{len(records)} annotated clauses; {len(background)} background clauses "
        f"({sum(1 for b in background if b.annotated_types)} without AI wording); "
        f"{len(wild)} clauses of {len(wanted)} unseen policies ({about_ai.sum()} with AI wording)",
        flush=True,
    )
    encoder = clauseclf.load().encoder
    texts = [r.text for r in records]
    x = encoder.encode(texts).astype(np.float32)
    x_background = encoder.encode([b.text for b in background]).astype(np.float32)
    x_wild = encoder.encode(wild).astype(np.float32)
    folds = group_folds(platforms(records), args.folds, seed=0)
    ai = types.index("ai_training")
    shown: np.ndarray | None = None  # the types the first recipe flags most, for both
    for name, recipe in recipes.items():
        extra = background if recipe.background_clauses else []
        x_extra = x_background if extra else x_background[:0]
        started = time.time()
        heads, flagged = [], []
        for test in folds:
            train = np.setdiff1d(np.arange(len(records)), test)
            head = fit_head(
                [texts[i] for i in train] + [b.text for b in extra],
                np.vstack([x[train], x_extra]),
                [records[i] for i in train] + list(extra),
                taxonomy=taxonomy,
                seed=0,
                config=recipe,
            )
            heads.append((test, head))
            flagged.append(head.predict(wild, x_wild).predicted)
        output = out_of_fold_output(heads, texts, x)
        metrics = evaluate_output(output, records, types, list(taxonomy.severity_scale))
        summary = summarize(metrics)
        rates = np.mean(flagged, axis=0)  # (clauses, types): share of folds flagging
        print(f"\n{name} ({time.time() - started:.0f} s)")
        for key, value in summary.items():
            print(f"  {key:<36} {value:.3f}")
        print(
            f"  unseen policies: ai_training on {rates[:, ai].mean():.3%} of clauses, "
            f"{rates[~about_ai, ai].mean():.3%} of those without AI wording "
            f"({rates[~about_ai, ai].sum():.0f} clauses), {rates[about_ai, ai].mean():.1%} of "
            "those with it"
        )
        shares = rates.mean(axis=0)
        shown = np.argsort(-shares)[:10] if shown is None else shown
        listed = ", ".join(f"{types[c]} {shares[c]:.1%}" for c in shown)
        print(f"  unseen policies, share of clauses per type: {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
