"""Cross-validate the default model's recipe with some ``TrainingConfig`` fields changed, on the
default model's data (the shared corpora, stance.jsonl and the real clauses), and print the
training's grouped-CV metrics (the model card's), e.g. with and without the character block:

    python benchmarks/recipe_variants.py char_weight=0.0 [--out /tmp/model-variant]

Values are read as Python literals (``0.0``, ``("real",)``); ``--out`` also saves the model.
Each run takes the default model's training time (about 25-40 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from clauseclf.training import TrainingConfig, train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("changes", nargs="*", help="FIELD=VALUE of TrainingConfig")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    fields = {field.name for field in dataclasses.fields(TrainingConfig)}
    changes = {}
    for change in args.changes:
        name, _, value = change.partition("=")
        if name not in fields:
            parser.error(f"{name!r} is not a TrainingConfig field")
        changes[name] = ast.literal_eval(value)
    config = dataclasses.replace(TrainingConfig(), **changes)
    model = train(
        [REPO / "data/annotations/stance.jsonl", REPO / "data/annotations/real.jsonl"],
        data_dir=args.data,
        seed=args.seed,
        strict=True,
        config=config,
    )
    print(f"changes: {changes or 'none (the default recipe)'}")
    for name, value in model.metadata["training"]["cv_metrics"].items():
        if isinstance(value, float):
            print(f"{name}: {value:.3f}")
    if args.out is not None:
        model.save(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
