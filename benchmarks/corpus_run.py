"""Run clauseclf over the whole real corpus: every document scored or listed with a reason.

    python benchmarks/corpus_run.py [--data ../shared/data] [--work /tmp/clauseclf-corpus]
                                    [--segment-only] [--limit N] [--cache FILE] [--jobs N]

Unpacks policies-2023/corpus_text.tar.xz (9,496 plain-text documents) and html_sample.tar.xz
(1,000 HTML documents) into ``--work`` (outside the repository; done once), then:

* ``--segment-only``: reads, decodes, extracts and segments every file (no model): a fast sweep
  for crashes in the input path;
* otherwise: ``write_scores`` on all files into ``<work>/scores.jsonl``, resumable (run the same
  command again after an interruption and it continues where it stopped).

Prints the documents listed, scored, failed (by kind of error), crashed (an exception that is
not a documented input error), silently dropped (listed but neither scored nor failed: must be
0), clauses, time and the peak resident memory of this process. Exits 1 on any crash or drop.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import resource
import sys
import tarfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARCHIVES = ("corpus_text.tar.xz", "html_sample.tar.xz")
_ERROR_KINDS = (
    ("empty", re.compile(r"empty")),
    ("binary", re.compile(r"binary|NUL")),
    ("encoding", re.compile(r"not valid|encoding")),
    ("no clauses", re.compile(r"no clauses")),
    ("pdf", re.compile(r"PDF")),
)


def unpack(data: Path, work: Path) -> list[Path]:
    """The corpus files under ``work``, unpacked from the archives on first use."""
    files: list[Path] = []
    for name in ARCHIVES:
        archive = data / "policies-2023" / name
        target = work / name.removesuffix(".tar.xz")
        done = target / ".unpacked"
        if not done.exists():
            if not archive.is_file():
                raise SystemExit(f"{archive} is missing; pass --data")
            print(f"unpacking {archive} -> {target} ...", flush=True)
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive, "r:xz") as tar:
                tar.extractall(target, filter="data")
            done.touch()
        files.extend(sorted(p for p in target.rglob("*") if p.is_file() and p.name != ".unpacked"))
    return files


def error_kind(message: str) -> str:
    return next((kind for kind, pattern in _ERROR_KINDS if pattern.search(message)), "other")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def segment_sweep(files: list[Path]) -> tuple[dict[str, int], dict[str, str], int]:
    from clauseclf.documents import format_from_path, read_document
    from clauseclf.errors import DocumentError
    from clauseclf.segmentation import segment_document

    errors: collections.Counter[str] = collections.Counter()
    crashes: dict[str, str] = {}
    clauses = 0
    for number, path in enumerate(files, 1):
        try:
            text = read_document(path)
            document = segment_document(text, format=format_from_path(path))
            assert all(document.text[s.start : s.end] == s.text for s in document.segments)
            clauses += len(document.segments)
        except DocumentError as exc:
            errors[error_kind(str(exc))] += 1
        except Exception:  # a crash: reported, and the sweep goes on
            crashes[str(path)] = traceback.format_exc(limit=3)
        if number % 1000 == 0:
            print(f"  {number:,} / {len(files):,} files", flush=True)
    return dict(errors), crashes, clauses


def score_run(
    files: list[Path], out: Path, cache: Path | None, jobs: int, chunk_size: int
) -> tuple[str, str]:
    """Score into ``out`` (resumable); returns the run summary and the crash, if any."""
    import clauseclf
    from clauseclf.batch import write_scores

    model = clauseclf.load().with_cache(cache)
    resume = out.exists() or out.with_name(out.name + ".progress").exists()
    try:
        summary = write_scores(
            model, files, out, resume=resume, n_jobs=jobs, chunk_size=chunk_size, progress=True
        )
    except Exception:
        return "", traceback.format_exc()
    return (
        f"this run: {summary.scored:,} documents scored, {summary.skipped:,} already done",
        "",
    )


def tally(out: Path) -> tuple[set[str], dict[str, int], set[str], int]:
    """Documents scored, error kinds, documents failed, clauses, read back from the output."""
    scored: set[str] = set()
    failed: set[str] = set()
    kinds: collections.Counter[str] = collections.Counter()
    clauses = 0
    with out.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["error"]:
                failed.add(row["document_id"])
                kinds[error_kind(row["error"])] += 1
            else:
                scored.add(row["document_id"])
                clauses += 1
    return scored, dict(kinds), failed, clauses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=Path("/tmp/clauseclf-corpus"))
    parser.add_argument("--segment-only", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (SQLite)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--chunk-size", type=int, default=16)
    args = parser.parse_args()

    files = unpack(args.data, args.work)[: args.limit]
    print(f"{len(files):,} files listed", flush=True)
    started = time.perf_counter()
    if args.segment_only:
        errors, crashes, clauses = segment_sweep(files)
        failed = sum(errors.values())
        processed = len(files) - failed - len(crashes)
        dropped = 0
        crash_count = len(crashes)
        crash_text = "\n".join(f"{path}:\n{trace}" for path, trace in crashes.items())
        mode = "segment only"
    else:
        out = args.work / "scores.jsonl"
        note, crash_text = score_run(files, out, args.cache, args.jobs, args.chunk_size)
        print(note)
        scored, errors, failed_ids, clauses = tally(out)
        processed, failed = len(scored), len(failed_ids)
        listed = {str(p) for p in files}
        dropped = 0 if crash_text else len(listed - scored - failed_ids)
        crash_count = 1 if crash_text else 0
        mode = "score"
    elapsed = time.perf_counter() - started
    print(f"mode: {mode}")
    print(f"documents listed: {len(files):,}")
    print(f"documents processed: {processed:,}")
    print(f"documents failed with a reason: {failed:,} {errors}")
    print(f"crashes: {crash_count}")
    print(f"documents silently dropped: {dropped:,}")
    print(f"clauses: {clauses:,}")
    print(f"time: {elapsed:,.1f} s (this invocation)")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")
    if crash_text:
        print(crash_text, file=sys.stderr)
    return 1 if crash_text or dropped else 0


if __name__ == "__main__":
    raise SystemExit(main())
