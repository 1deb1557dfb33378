"""Similar-clause quality on platforms the model has not seen, through the public API: precision@5
that a neighbour has the query's ToS;DR case, for ``ClauseIndex.similar`` beside MiniLM cosine
and TF-IDF cosine (one neighbour per platform each) in the same run.

    python benchmarks/similarity.py [--data ../shared/data] [--folds 5] [-k 5]

The ToS;DR quotes (services of ``../shared/annotation/reserved_services.txt`` left out) are split
into platform-grouped folds; a quote of the other folds with a near-identical wording of a held-out
quote (encoder cosine >= ``NEAR_IDENTICAL`` or TF-IDF cosine >= 0.8: templated wording repeated
across platforms) is left out of the fold's training, so no wording sits on both sides. (Grouping
near-identical quotes into the folds instead chains platforms into one group holding most
quotes.) For each fold, the trained part of similar-clause search, the practice map, is fitted
as training fits it (``fit_practice_map`` on the quotes of the
other folds, each named by ``practice_id`` of its case); the model is the shipped one with that
map. The fold's quotes are scored and indexed exactly as a user does::

    index = ClauseIndex.from_frame(model.score(quotes), model)
    index.similar(text, k=5, same_type=False, exclude_platform=platform)

Three regimes per fold: the map fitted on every case of the other folds ("all cases"); the map
fitted without a seeded 40% of the cases (``--unseen-cases``), as for the quotes of services
outside the shared data, many of whose practices the map never saw; and a model without a map
(``index.measure == "wording"``). Beside the shipped blend (``clauseclf.index.similar``'s
weights), two earlier rankings of the same index: "practice profiles alone" and "previous blend"
(half practice, half encoder cosine, whose cut-off was ``PREVIOUS_MIN_SIMILARITY``).

Queries are the fold's quotes whose case appears on another platform of the fold. The
baselines search the same indexed clauses: MiniLM (all-MiniLM-L6-v2) cosine and TF-IDF cosine
(fitted on the fold's clauses), one neighbour per platform. A query whose answer has fewer than
k rows counts the missing ones as misses. The head's type classifier and its TF-IDF vocabulary are
the shipped ones (the ranking reads the vocabulary, not the type labels, with ``same_type=False``);
as a model has one practice map and the shipped head's type ranker reads the shipped map, the
regimes' models use the shipped head without that practice evidence (``head_without_practices``).

For each regime it also prints the neighbours found without a cut-off by band of ``similarity``
with the share that has the query's case, and precision@5 and the share of queries answered for
each cut-off. The practice measure's ``MIN_SIMILARITY`` is chosen on training folds: for each
held-out fold, the lowest cut-off (steps of 0.01) at which the share of shown neighbours with the
query's case, on the other folds (both practice regimes), is at least the previous blend's at its
cut-off there; the held-out fold's figures at that cut-off follow, and the median of the folds'
choices is the one to ship. Results: benchmarks/results/similarity_<date>.txt.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import cached_embeddings

if TYPE_CHECKING:
    from clauseclf.head import ClauseHead

REPO = Path(__file__).resolve().parents[1]
#: The previous blend's weights (practice, wording, TF-IDF, same type) and its cut-off.
PREVIOUS_BLEND = (0.5, 0.5, 0.0, 0.0)
PREVIOUS_MIN_SIMILARITY = 0.35
PROFILES_ALONE = (1.0, 0.0, 0.0, 0.0)


def near_duplicates(vectors: np.ndarray, texts: list[str], cosine: float) -> np.ndarray:
    """(n, n) bool: quote pairs at encoder cosine >= ``cosine`` or TF-IDF cosine >= 0.8."""
    x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    near: np.ndarray = (vectors @ vectors.T >= cosine) | ((x @ x.T).toarray() >= 0.8)
    return near


def one_per_platform_top(
    scores: np.ndarray, platforms: np.ndarray, exclude: str, k: int
) -> list[int]:
    """The rows of the ``k`` best ``scores``, one per platform, none of ``exclude``."""
    chosen: list[int] = []
    seen = {exclude}
    for row in np.argsort(-scores, kind="stable"):
        if platforms[row] in seen:
            continue
        seen.add(platforms[row])
        chosen.append(int(row))
        if len(chosen) == k:
            break
    return chosen


def head_without_practices(head: ClauseHead) -> ClauseHead:
    """``head`` without the practice evidence its type ranker reads (a model pairs a head with
    one practice map: this one may go with any map, or none)."""
    from clauseclf.head import ClauseHead

    names = ("types", "severity_scale", "features", "type_weights", "type_bias", "platt")
    names += ("thresholds", "severity_weights", "severity_bias", "confidence_curve")
    names += ("rank_weights", "rank_bias", "required_cues", "settings")
    return ClauseHead(**{name: getattr(head, name) for name in names})


def fold_model(
    shipped: Any,
    head: ClauseHead,
    vectors: np.ndarray,
    texts: list[str],
    cases: np.ndarray,
    kept: np.ndarray | None,
) -> Any:
    """The shipped encoder and ``head`` with a practice map fitted on the quotes ``kept`` (their
    cases as practices; no map when ``kept`` is None)."""
    from clauseclf.inference.model import ClauseModel
    from clauseclf.inference.practices import practice_id
    from clauseclf.training import fit_practice_map

    practices = None
    if kept is not None:
        practices = fit_practice_map(
            vectors[kept],
            [practice_id(str(c)) for c in cases[kept]],
            tfidf=shipped.head.features.tfidf([texts[i] for i in kept]),
        )
    return ClauseModel(
        shipped.encoder, head, shipped.taxonomy, metadata=shipped.metadata, practices=practices
    )


def tosdr_quotes(data: Path) -> tuple[list[Any], list[str], np.ndarray, list[str]]:
    """The ToS;DR quotes of ``data`` that name a case and a platform outside
    ``reserved_services.txt``: the records, their texts, cases (an object array) and platform
    keys."""
    from clauseclf.annotations import platform_key, read_annotations

    reserved_path = data.parent / "annotation" / "reserved_services.txt"
    reserved = set()
    if reserved_path.is_file():
        lines = reserved_path.read_text("utf-8").splitlines()
        reserved = {platform_key(line.strip()) for line in lines if line.strip()}
    records = [
        r
        for r in read_annotations(data / "tosdr" / "annotations.jsonl", corpus="tosdr")
        if r.case and r.platform and platform_key(r.platform) not in reserved
    ]
    cases = np.array([r.case for r in records], dtype=object)
    platforms = [platform_key(r.platform or "") for r in records]
    return records, [r.text for r in records], cases, platforms


def main() -> int:
    import clauseclf
    from clauseclf.annotations import platform_key
    from clauseclf.index import MIN_SIMILARITY, NEAR_IDENTICAL, ClauseIndex
    from clauseclf.training import group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument(
        "--unseen-cases",
        type=float,
        default=0.4,
        help="share of the cases left out of the map in the second regime (default 0.4)",
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"data folder {args.data} is missing; pass --data", file=sys.stderr)
        return 2
    began = time.time()
    records, texts, cases, platforms = tosdr_quotes(args.data)
    shipped = clauseclf.load()
    searched_head = head_without_practices(shipped.head)
    vectors = shipped.encoder.encode(texts).astype(np.float32)
    near = near_duplicates(vectors, texts, NEAR_IDENTICAL)
    print(
        f"{len(records)} ToS;DR quotes, {len(set(cases))} cases, {len(set(platforms))} platforms, "
        f"{int((near.sum(axis=1) > 1).sum())} quotes with a near-identical wording elsewhere"
    )
    k = args.k
    unseen = unseen_cases(cases, args.unseen_cases)
    hits: dict[str, list[float]] = {}
    bands: dict[str, list[list[tuple[float, bool]]]] = {}
    answered: dict[str, list[int]] = {}
    # (ranking, fold) -> each practice-regime query's neighbours without a cut-off
    by_fold: dict[tuple[str, int], list[list[tuple[float, bool]]]] = {}
    purged = []
    for fold, held in enumerate(group_folds(platforms, args.folds, seed=0)):
        train = np.setdiff1d(np.arange(len(records)), held)
        templated = near[np.ix_(train, held)].any(axis=1)
        purged.append(int(templated.sum()))
        train = train[~templated]
        quotes = pd.DataFrame(
            {
                "text": [texts[i] for i in held],
                "platform": [records[i].platform for i in held],
                "id": [str(i) for i in held],
            }
        )
        frame = shipped.score(quotes, progress=False)
        row_case = cases[frame["document_id"].astype(int).to_numpy()]
        row_platform = np.array([platform_key(str(p)) for p in frame["platform"]], dtype=object)
        clause_texts = [str(t) for t in frame["text"]]
        queries = [i for i in held if (row_case[row_platform != platforms[i]] == cases[i]).any()]
        # the baselines, on the same clauses
        tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
        x = tfidf.fit_transform(clause_texts)
        x_queries = tfidf.transform([texts[i] for i in queries])
        minilm = cached_embeddings(clause_texts).astype(np.float32)
        minilm_queries = cached_embeddings([texts[i] for i in queries]).astype(np.float32)
        for q, i in enumerate(queries):
            mini = minilm @ minilm_queries[q]
            top = one_per_platform_top(mini, row_platform, platforms[i], k)
            hits.setdefault("MiniLM cosine, 1 per platform", []).append(
                float(np.sum(row_case[top] == cases[i])) / k
            )
            words = np.asarray((x @ x_queries[q].T).todense()).ravel()
            top = one_per_platform_top(words, row_platform, platforms[i], k)
            hits.setdefault("TF-IDF cosine, 1 per platform", []).append(
                float(np.sum(row_case[top] == cases[i])) / k
            )
        regimes = (
            ("all cases", set()),
            (f"{len(unseen)} cases unseen", unseen),
            ("no practice map", None),
        )
        for regime, dropped in regimes:
            kept = None if dropped is None else train[~np.isin(cases[train], list(dropped))]
            model = fold_model(shipped, searched_head, vectors, texts, cases, kept)
            has_map = kept is not None
            index = ClauseIndex.from_frame(model.score(quotes, progress=False), model)
            assert [str(t) for t in index.clauses["text"]] == clause_texts
            for i in queries:
                exclude = records[i].platform
                variants: dict[str, tuple[dict[str, Any], tuple[float, ...] | None]] = {
                    "similar (defaults)": ({}, None),
                    "similar, no cut-off": ({"min_similarity": -1.0}, None),
                    "similar, no cut-off, any stance": (
                        {"min_similarity": -1.0, "same_stance": False},
                        None,
                    ),
                }
                if has_map:
                    variants["previous blend, no cut-off"] = (
                        {"min_similarity": -1.0},
                        PREVIOUS_BLEND,
                    )
                    variants["practice profiles alone, no cut-off"] = (
                        {"min_similarity": -1.0},
                        PROFILES_ALONE,
                    )
                for name, (options, weights) in variants.items():
                    with blend_weights(weights):
                        answer = index.similar(
                            texts[i], k=k, same_type=False, exclude_platform=exclude, **options
                        )
                    found = row_case[_rows(answer)]
                    key = f"[{regime}] {name}"
                    hits.setdefault(key, []).append(float(np.sum(found == cases[i])) / k)
                    if not options:
                        answered.setdefault(regime, []).append(int(not answer.empty))
                    if name in ("similar, no cut-off", "previous blend, no cut-off"):
                        pairs = [
                            (float(s), c == cases[i])
                            for s, c in zip(answer.clauses["similarity"], found, strict=True)
                        ]
                        if name == "similar, no cut-off":
                            bands.setdefault(regime, []).append(pairs)
                        if has_map:
                            by_fold.setdefault((name, fold), []).append(pairs)
        print(f"fold {fold + 1}: {len(held)} quotes, {len(frame)} clauses, {len(queries)} queries")

    results = {name: float(np.mean(values)) for name, values in hits.items()}
    print(
        f"\nprecision@{k}, {len(hits['MiniLM cosine, 1 per platform'])} queries on platforms "
        f"outside the practice map's data ({sum(purged)} training quotes left out of the folds "
        f"for near-identical wording); [{len(unseen)} cases unseen]: the map is also not "
        f"trained on {args.unseen_cases:.0%} of the cases (seeded), as for quotes of practices "
        "it never saw"
    )
    for name, value in sorted(results.items()):
        print(f"  {name:<62} {value:.3f}")
    best = max(v for name, v in results.items() if name.startswith(("MiniLM", "TF-IDF")))
    for regime in bands:
        if regime == "no practice map":
            continue
        ours = results[f"[{regime}] similar (defaults)"]
        loose = results[f"[{regime}] similar, no cut-off"]
        print(
            f"  [{regime}] clauseclf - best baseline: {ours - best:+.3f} with the default "
            f"cut-off, {loose - best:+.3f} without"
        )
    for regime, per_query in bands.items():
        measure = "wording" if regime == "no practice map" else "practices"
        print(
            f"\n[{regime}] default cut-off {MIN_SIMILARITY[measure]:.2f} ({measure}); "
            f"queries answered: {np.mean(answered[regime]):.1%}. Without a cut-off, by "
            "similarity: neighbours, share with the query's case; then precision@5 and queries "
            "answered with that cut-off"
        )
        pairs = [pair for answer in per_query for pair in answer]
        scores = np.array([s for s, _ in pairs])
        right = np.array([r for _, r in pairs])
        edges = (-1.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 1.01)
        for low, high in itertools.pairwise(edges):
            band = (scores >= low) & (scores < high)
            share = right[band].mean() if band.any() else float("nan")
            kept_right = [sum(r for s, r in answer if s >= low) / k for answer in per_query]
            kept_any = [any(s >= low for s, _ in answer) for answer in per_query]
            print(
                f"  [{low:5.2f}, {min(high, 1):.2f}) {int(band.sum()):6d}  {share:.3f}   "
                f"cut-off {low:.2f}: {np.mean(kept_right):.3f}, {np.mean(kept_any):.1%}"
            )
    choose_cut_off(by_fold, args.folds, k)
    print(f"\n{time.time() - began:.0f} s")
    return 0


def choose_cut_off(
    by_fold: dict[tuple[str, int], list[list[tuple[float, bool]]]], folds: int, k: int
) -> float:
    """Print and return the practice measure's cut-off chosen on training folds (see the
    module's docstring): per held-out fold, the lowest cut-off at which the shown neighbours of
    the other folds have the query's case at least as often as the previous blend's at
    ``PREVIOUS_MIN_SIMILARITY``; then the median of the folds' choices."""

    def shown(answers: list[list[tuple[float, bool]]], cut: float) -> float:
        kept = [r for answer in answers for s, r in answer if s >= cut]
        return float(np.mean(kept)) if kept else 0.0

    def at_k(answers: list[list[tuple[float, bool]]], cut: float) -> tuple[float, float]:
        right = [sum(r for s, r in answer if s >= cut) / k for answer in answers]
        return float(np.mean(right)), float(np.mean([any(s >= cut for s, _ in a) for a in answers]))

    new, old = "similar, no cut-off", "previous blend, no cut-off"
    print(
        f"\ncut-off of the shipped blend chosen on training folds (both practice regimes): the "
        f"lowest at which the shown neighbours' share with the query's case is at least the "
        f"previous blend's at {PREVIOUS_MIN_SIMILARITY:.2f} on the other folds"
    )
    print(
        "  fold  cut-off  | held out: shown share, precision@5, answered  | previous blend at "
        f"{PREVIOUS_MIN_SIMILARITY:.2f}: shown share, precision@5, answered"
    )
    chosen = []
    for fold in range(folds):
        train_new = [a for f in range(folds) if f != fold for a in by_fold[(new, f)]]
        train_old = [a for f in range(folds) if f != fold for a in by_fold[(old, f)]]
        level = shown(train_old, PREVIOUS_MIN_SIMILARITY)
        cuts = [c for c in np.round(np.arange(-0.2, 1.0, 0.01), 2) if shown(train_new, c) >= level]
        cut = float(cuts[0]) if cuts else 1.0
        chosen.append(cut)
        held_new, held_old = by_fold[(new, fold)], by_fold[(old, fold)]
        p_new, a_new = at_k(held_new, cut)
        p_old, a_old = at_k(held_old, PREVIOUS_MIN_SIMILARITY)
        print(
            f"  {fold + 1:4d}  {cut:7.2f}  | {shown(held_new, cut):.3f}, {p_new:.3f}, {a_new:.1%}"
            f"{'':17}| {shown(held_old, PREVIOUS_MIN_SIMILARITY):.3f}, {p_old:.3f}, {a_old:.1%}"
        )
    median = float(np.median(chosen))
    every = [a for (name, _), answers in by_fold.items() if name == new for a in answers]
    p_all, a_all = at_k(every, median)
    print(
        f"  median of the folds' choices: {median:.2f} (all folds at it: shown share "
        f"{shown(every, median):.3f}, precision@5 {p_all:.3f}, answered {a_all:.1%})"
    )
    return median


def _rows(answer: Any) -> np.ndarray:
    """The index rows of an answer's clauses (its DataFrame's index)."""
    return np.asarray(answer.clauses.index, dtype=np.int64)


def unseen_cases(cases: np.ndarray, share: float) -> set[str]:
    """A seeded ``share`` of the distinct cases."""
    names = sorted({str(c) for c in cases})
    rng = np.random.default_rng(1)
    return set(rng.choice(names, int(share * len(names)), replace=False).tolist())


@contextmanager
def blend_weights(weights: tuple[float, ...] | None) -> Iterator[None]:
    """``clauseclf.index.similar``'s blend weights (practice, wording, TF-IDF, same type) set to
    ``weights`` for a block (None: the shipped ones)."""
    from clauseclf.index import similar

    names = ("PRACTICE_WEIGHT", "WORDING_WEIGHT", "TFIDF_WEIGHT", "SAME_TYPE_BOOST")
    saved = [getattr(similar, name) for name in names]
    if weights is not None:
        for name, weight in zip(names, weights, strict=True):
            setattr(similar, name, weight)
    try:
        yield
    finally:
        for name, weight in zip(names, saved, strict=True):
            setattr(similar, name, weight)


if __name__ == "__main__":
    raise SystemExit(main())
