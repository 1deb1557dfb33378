"""Benchmark clauseclf's segmenter against off-the-shelf sentence splitters.

Boundary F1 on the 40 CLAUDETTE terms of service (gold sentences aligned to the documents with
whitespace ignored) and throughput in characters per second, for clauseclf's ``segment`` and for
spaCy's rule ``sentencizer``, nupunkt and pysbd, all in the same run. clauseclf's throughput is
also measured on documents of policies-2023 (streamed from the tar archive, never extracted).

Usage: ``python benchmarks/segmentation.py [--data ../shared/data] [--policies 1000]``
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from clauseclf.segmentation import segment_document
from clauseclf.segmentation.evaluation import AlignedDocument, BoundaryScore, load_claudette, score
from clauseclf.segmentation.splitter import ClauseSplitter

REPO_ROOT = Path(__file__).resolve().parents[1]
Spans = list[tuple[int, int]]

SCORING_NOTE = """\
Scoring: a boundary is the start of a gold sentence or its end advanced over whitespace.
  strict = every gold boundary counts (CLAUDETTE splits titles into "sentences", and numbered
           headings into "1." + "EA Account"). clauseclf leaves headings out of its clauses,
           so it loses the boundaries *between* consecutive heading lines.
  fair   = gold boundaries strictly inside a run of heading-like gold sentences (bare section
           numbers, or <= 15 words ending a line without sentence punctuation; decided from the
           gold alone) are ignored, for gold and every splitter alike. The boundaries before and
           after each heading block still count.
  clauseclf (units) = clauses + headings + number labels, i.e. every unit the splitter finds."""


def _ours_clauses(text: str) -> Spans:
    return [(s.start, s.end) for s in segment_document(text, format="text").segments]


def _ours_units(text: str) -> Spans:
    return [(u.start, u.end) for u in ClauseSplitter().split(text)]


def _spacy_sentencizer() -> Callable[[str], Spans]:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 10**8

    def run(text: str) -> Spans:
        return [(s.start_char, s.end_char) for s in nlp(text).sents]

    return run


def _nupunkt() -> Callable[[str], Spans]:
    import nupunkt

    def run(text: str) -> Spans:
        return [(int(a), int(b)) for a, b in nupunkt.sent_spans(text)]

    return run


def _pysbd() -> Callable[[str], Spans]:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def run(text: str) -> Spans:
        return [(s.start, s.end) for s in segmenter.segment(text)]

    return run


def _evaluate(
    run: Callable[[str], Spans], docs: list[AlignedDocument]
) -> tuple[BoundaryScore, BoundaryScore, float]:
    strict = fair = BoundaryScore(0, 0, 0)
    elapsed = 0.0
    for doc in docs:
        t0 = time.perf_counter()
        spans = run(doc.text)
        elapsed += time.perf_counter() - t0
        strict += score(doc, spans, fair=False)
        fair += score(doc, spans, fair=True)
    chars = sum(len(d.text) for d in docs)
    return strict, fair, chars / elapsed if elapsed else float("inf")


def _policies_throughput(archive: Path, limit: int) -> tuple[int, int, float]:
    """Documents, characters and chars/s of ``segment`` on the first ``limit`` policies."""
    texts: list[str] = []
    with tarfile.open(archive, "r|xz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                texts.append(handle.read().decode("utf-8", "replace"))
            if len(texts) >= limit:
                break
    t0 = time.perf_counter()
    for text in texts:
        segment_document(text, format="text")
    elapsed = time.perf_counter() - t0
    chars = sum(len(t) for t in texts)
    return len(texts), chars, chars / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--policies", type=int, default=1000, help="policies-2023 docs to time")
    parser.add_argument("--skip-pysbd", action="store_true", help="pysbd is slow (about a minute)")
    args = parser.parse_args(argv)
    if not (args.data / "claudette" / "annotations.jsonl").is_file():
        print(f"error: CLAUDETTE data not found under {args.data} (pass --data)", file=sys.stderr)
        return 2

    docs = load_claudette(args.data)
    total = sum(d.total for d in docs)
    unaligned = sum(d.unaligned for d in docs)
    print(
        f"CLAUDETTE: {len(docs)} documents, {sum(len(d.text) for d in docs):,} characters, "
        f"{total:,} gold sentences, {unaligned} could not be aligned "
        f"({sum(sum(d.heading_flags) for d in docs):,} heading-like)"
    )
    print(SCORING_NOTE)
    print()

    splitters: list[tuple[str, Callable[[], Callable[[str], Spans]]]] = [
        ("clauseclf segment()", lambda: _ours_clauses),
        ("clauseclf (units)", lambda: _ours_units),
        ("spaCy sentencizer", _spacy_sentencizer),
        ("nupunkt", _nupunkt),
    ]
    if not args.skip_pysbd:
        splitters.append(("pysbd", _pysbd))
    header = f"{'splitter':<22}{'strict F1':>10}{'P':>7}{'R':>7}{'fair F1':>10}{'P':>7}{'R':>7}"
    print(header + f"{'chars/s':>14}")
    print("-" * (len(header) + 14))
    for name, build in splitters:
        strict, fair, speed = _evaluate(build(), docs)
        print(
            f"{name:<22}{strict.f1:>10.4f}{strict.precision:>7.3f}{strict.recall:>7.3f}"
            f"{fair.f1:>10.4f}{fair.precision:>7.3f}{fair.recall:>7.3f}{speed:>14,.0f}",
            flush=True,
        )

    archive = args.data / "policies-2023" / "corpus_text.tar.xz"
    if archive.is_file() and args.policies > 0:
        n, chars, speed = _policies_throughput(archive, args.policies)
        print(
            f"\npolicies-2023: clauseclf segment() on {n:,} documents ({chars:,} characters): "
            f"{speed:,.0f} chars/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
