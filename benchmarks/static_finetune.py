"""End-to-end fine-tuning of the static token vectors with the classification loss (as model2vec's
StaticModelForClassification does), against the head's features, on the real clauses.

    python benchmarks/static_finetune.py [--labels real.jsonl] [--data ../shared/data]

Same folds as benchmarks/real_clauses.py (grouped by platform and near-duplicate wording), real
clauses only. Variants: a linear layer on the frozen mean of the shipped encoder's token vectors
(learning rate 0 for the vectors), and the same with the vectors fine-tuned (Adam, 1e-3), 10 and
20 epochs; a type is predicted at sigmoid > 0.5. Beside them, in the same run, the quick probe of
the head's features (TF-IDF word 1-2 grams + the embedding at weight 0.5, a LinearSVC per type).
Needs torch (``pip install -c constraints.txt 'clauseclf[minilm]'``); inference would stay numpy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    import torch

    sys.path.insert(0, str(REPO / "benchmarks"))
    from real_probe import micro_f1, probe_data, probe_features, probe_predict

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=REPO / "data/annotations/real.jsonl")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)

    model, records, texts, y, folds = probe_data(args.labels, args.data, args.folds, args.seed)
    encoder = model.encoder
    vectors = torch.tensor(np.asarray(encoder._vectors), dtype=torch.float32)
    ids = encoder.token_ids(texts)

    def bag(rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        flat = torch.tensor(np.concatenate([ids[i] for i in rows]), dtype=torch.long)
        lengths = np.cumsum([len(ids[i]) for i in rows])[:-1]
        return flat, torch.tensor(np.concatenate([[0], lengths]), dtype=torch.long)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = torch.nn.EmbeddingBag.from_pretrained(
                vectors.clone(), freeze=False, mode="mean"
            )
            self.out = torch.nn.Linear(vectors.shape[1], y.shape[1])

        def forward(self, flat: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            pooled = torch.nn.functional.normalize(self.emb(flat, offsets), dim=1)
            return self.out(pooled * 8.0)

    def fit(train: np.ndarray, epochs: int, lr: float) -> Net:
        torch.manual_seed(args.seed)
        net = Net()
        optimizer = torch.optim.Adam(
            [
                {"params": net.emb.parameters(), "lr": lr},
                {"params": net.out.parameters(), "lr": 3e-3},
            ]
        )
        target = torch.tensor(y, dtype=torch.float32)
        rng = np.random.default_rng(args.seed)
        for _ in range(epochs):
            order = rng.permutation(train)
            for start in range(0, len(order), 64):
                batch = order[start : start + 64]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    net(*bag(batch)), target[batch]
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return net

    rows_all = np.arange(len(records))
    results = {}
    for name, epochs, lr in (
        ("frozen vectors, 10 epochs", 10, 0.0),
        ("fine-tuned vectors, 10 epochs", 10, 1e-3),
        ("fine-tuned vectors, 20 epochs", 20, 1e-3),
    ):
        started = time.time()
        predicted = np.zeros_like(y)
        for test in folds:
            net = fit(np.setdiff1d(rows_all, test), epochs, lr)
            with torch.no_grad():
                predicted[test] = (net(*bag(test)) > 0).numpy()
        results[name] = (micro_f1(predicted, y), time.time() - started)
    started = time.time()
    x = probe_features(texts, encoder)
    predicted = np.zeros_like(y)
    for test in folds:
        predicted[test] = probe_predict(x, y, np.setdiff1d(rows_all, test), test)
    results["head features (TF-IDF + embedding, LinearSVC)"] = (
        micro_f1(predicted, y),
        time.time() - started,
    )
    print(f"{len(records)} distinct real clauses, {args.folds} grouped folds")
    print("| variant | micro-F1 | seconds |")
    print("|---|---|---|")
    for name, (micro, seconds) in results.items():
        print(f"| {name} | {micro:.3f} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
