"""Where "near-identical wording" starts, for a model's encoder (``index.NEAR_IDENTICAL``).

    python benchmarks/near_identical.py [--data ../shared/data] [--model DIR] [--pairs 2000]

From ToS;DR quotes it makes pairs of the same clause with a small edit (the company name
replaced, punctuation dropped, one word dropped), and pairs of two different quotes of the same
ToS;DR case (same meaning, other wording). For several cosine thresholds it prints the share of
edited pairs at or above it (should be near 1) and of different-wording pairs (should be near 0).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.85, 0.9, 0.93, 0.95, 0.97, 0.98)


def edits(text: str, rng: np.random.Generator) -> list[str]:
    """Small edits of one clause."""
    words = text.split()
    out = [re.sub(r"[^\w\s]", "", text)]
    capitalised = [w for w in words[1:] if w[:1].isupper()]
    if capitalised:
        name = capitalised[int(rng.integers(len(capitalised)))]
        out.append(text.replace(name, "Brightfen"))
    if len(words) > 6:
        drop = int(rng.integers(len(words)))
        out.append(" ".join(words[:drop] + words[drop + 1 :]))
    return out


def main() -> int:
    import clauseclf
    from clauseclf.annotations import load_corpora

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"data folder {args.data} is missing; pass --data", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    records = [
        r
        for r in load_corpora(args.data)
        if r.corpus == "tosdr" and r.labels and len(r.text.split()) >= 8
    ]
    by_case: dict[str, list[str]] = defaultdict(list)
    for record in records:
        by_case[next(iter(record.labels))].append(record.text)
    chosen = rng.choice(len(records), size=min(args.pairs, len(records)), replace=False)
    edited = [(records[i].text, e) for i in chosen for e in edits(records[i].text, rng)]
    cases = [c for c, texts in by_case.items() if len(texts) > 1]
    different = []
    for _ in range(args.pairs):
        texts = by_case[cases[int(rng.integers(len(cases)))]]
        a, b = rng.choice(len(texts), size=2, replace=False)
        if texts[a] != texts[b]:
            different.append((texts[a], texts[b]))
    encoder = clauseclf.load(args.model).encoder

    def cosines(pairs: list[tuple[str, str]]) -> np.ndarray:
        left = encoder.encode([a for a, _ in pairs])
        right = encoder.encode([b for _, b in pairs])
        return np.asarray((left * right).sum(axis=1))

    near, far = cosines(edited), cosines(different)
    print(f"encoder {encoder.name}: {len(near)} edited pairs, {len(far)} different-wording pairs")
    print(f"median cosine: edited {np.median(near):.3f}, different wording {np.median(far):.3f}")
    print("threshold  edited >= t  different >= t")
    for threshold in THRESHOLDS:
        near_share, far_share = np.mean(near >= threshold), np.mean(far >= threshold)
        print(f"{threshold:9.2f}  {near_share:11.3f}  {far_share:14.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
