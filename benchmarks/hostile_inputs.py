"""Hostile inputs: time and memory of segmentation as inputs grow ten-fold (ratios, same run).

    python benchmarks/hostile_inputs.py

For each input shape, segments a 2 MB and a 20 MB version (200 KB / 2 MB for the pathological
single-line shapes) and prints the time ratio (linear: about 10) and the peak memory of the
larger one (tracemalloc, separate pass, in multiples of the input's characters). Inputs are
generated here.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _policy(size: int) -> str:
    base = (REPO / "data" / "examples" / "larkspur_terms.txt").read_text("utf-8") + "\n\n"
    return (base * (size // len(base) + 1))[:size]


def _html(size: int) -> str:
    unit = "<div><p>We may share your data.<li>Item one<br>two</div>"
    return "<html><body>" + unit * (size // len(unit)) + "</body></html>"


def _nested_html(size: int) -> str:
    depth = size // 11
    return "<div><span>" * depth + "Deep clause." + "</span></div>" * (depth // 2)


def _run_on(size: int) -> str:
    return ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]


SHAPES: dict[str, tuple[Callable[[int], str], int]] = {
    "plain policy": (_policy, 2_000_000),
    "html paragraphs": (_html, 2_000_000),
    "deeply nested, unclosed html": (_nested_html, 200_000),
    "one run-on sentence": (_run_on, 200_000),
    "no whitespace at all": (lambda n: "x" * n, 200_000),
    "sentence-final dots": (lambda n: ". " * (n // 2), 200_000),
    "unclosed markdown links": (lambda n: "[a](" * (n // 4), 200_000),
    "setext-like lines": (lambda n: "a\n==\n" * (n // 5), 200_000),
}


def timed(text: str) -> tuple[float, int]:
    from clauseclf.segmentation import segment_document

    started = time.perf_counter()
    document = segment_document(text)
    return time.perf_counter() - started, len(document.segments)


def peak_memory(text: str) -> int:
    from clauseclf.segmentation import segment_document

    tracemalloc.start()
    segment_document(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> int:
    print(f"{'input':32} {'small':>9} {'10x':>9} {'ratio':>6} {'clauses':>9} {'peak/input':>10}")
    for name, (make, size) in SHAPES.items():
        small_time, _ = timed(make(size))
        big = make(size * 10)
        big_time, clauses = timed(big)
        peak = peak_memory(big)
        print(
            f"{name:32} {small_time:8.2f}s {big_time:8.2f}s {big_time / small_time:6.1f} "
            f"{clauses:9,} {peak / len(big):9.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
