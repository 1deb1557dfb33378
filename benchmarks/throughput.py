"""Batch-scoring throughput against a plain sentence-transformers encode, same clauses, same run.

    python benchmarks/throughput.py [--data ../shared/data] [--documents 200] [--jobs 1]

Reads the first N documents of policies-2023/corpus_text.tar.xz (streamed from the archive, never
copied), then prints, on this machine:
- raw encode: SentenceTransformer.encode (all-MiniLM-L6-v2) of every clause of those documents
  (the baseline), and the default model's own encoder on the same clauses;
- clauseclf score end to end (read + segment + embed + classify), and the ratio to raw encode;
- the same with a warm embedding cache (boilerplate repeated across policies embedded once);
- one ~5,000-word policy analysed with a warm model; import + load time in a fresh process;
- peak resident memory of this process while clauseclf scores (before the baseline loads).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def read_documents(archive: Path, n: int) -> list[dict[str, str]]:
    from clauseclf.annotations import archive_texts

    documents = []
    for member_name, text in archive_texts(archive):
        name = Path(member_name).stem
        documents.append(
            {"text": text, "id": name, "platform": name.split("_", 1)[0], "document": name}
        )
        if len(documents) >= n:
            break
    return documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    archive = args.data / "policies-2023" / "corpus_text.tar.xz"
    if not archive.is_file():
        print(f"{archive} is missing; pass --data", file=sys.stderr)
        return 2

    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import clauseclf; clauseclf.load().classify(['warm up'])"],
        check=True,
    )
    cold = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy, scipy.sparse, pandas"], check=True)
    baseline_import = time.perf_counter() - started

    import clauseclf
    from clauseclf.segmentation import segment_document

    documents = read_documents(archive, args.documents)
    model = clauseclf.load()
    model.classify(["warm up"])
    clauses = [s.text for d in documents for s in segment_document(d["text"]).segments]
    unique = len(set(clauses))
    words = sum(len(d["text"].split()) for d in documents)
    print(
        f"{len(documents)} documents, {words:,} words, {len(clauses):,} clauses "
        f"({unique:,} distinct)"
    )

    # clauseclf first, so that the peak memory below is clauseclf's alone (no torch yet).
    started = time.perf_counter()
    model.encoder.encode(clauses)
    own = time.perf_counter() - started
    started = time.perf_counter()
    frame = model.score(documents, n_jobs=args.jobs, progress=False)
    plain = time.perf_counter() - started
    cached = model.with_cache()
    cached.score(documents[: len(documents) // 2], progress=False)
    started = time.perf_counter()
    again = cached.score(documents, progress=False)
    warm = time.perf_counter() - started
    long_policy = max(documents, key=lambda d: -abs(len(d["text"].split()) - 5000))
    started = time.perf_counter()
    report = model.analyze(long_policy["text"])
    single = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from clauseclf.encoder import load_encoder

    st_model = load_encoder()._load()  # the packaged SentenceTransformer, called directly
    started = time.perf_counter()
    st_model.encode(clauses, batch_size=64, normalize_embeddings=True)
    raw = time.perf_counter() - started

    print(f"raw sentence-transformers encode (MiniLM): {len(clauses) / raw:,.0f} clauses/s")
    print(
        f"the default model's encoder ({model.encoder.name}): {len(clauses) / own:,.0f} "
        f"clauses/s, {raw / own:.1f}x raw encode"
    )
    print(
        f"clauseclf score (n_jobs={args.jobs}): {len(frame) / plain:,.0f} clauses/s, "
        f"{raw / plain:.2f}x raw encode"
    )
    print(
        f"clauseclf score, cache warm with half of the documents: {len(again) / warm:,.0f} "
        f"clauses/s, {raw / warm:.2f}x raw encode"
    )
    print(
        f"one {len(long_policy['text'].split()):,}-word policy ({len(report.clauses)} clauses), "
        f"warm model: {single:.2f} s"
    )
    print(
        f"import + load + first classify in a fresh process: {cold:.1f} s "
        f"(importing numpy, scipy.sparse and pandas alone: {baseline_import:.1f} s)"
    )
    print(f"peak resident memory while scoring (before MiniLM is loaded): {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
