"""Hostile inputs: time and memory of segmentation as inputs grow ten-fold (ratios, same run).

    python benchmarks/hostile_inputs.py [--shape "setext-like lines" --shape ...]

For each input shape, segments a version of the size given and one ten times larger and prints
the time ratio (linear: about 10), the larger one's time beside the baseline (the example policy
repeated to the same size, timed in the same run) and the peak memory of the larger one
(tracemalloc, separate pass, in multiples of the input's characters). Times are CPU seconds of
this process (``time.process_time``), so that other jobs on the machine move them less; the
garbage collector's share is part of them. Inputs are generated here.
"""

from __future__ import annotations

import argparse
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


def _crowded_element(size: int) -> str:
    count = size // 9
    attributes = " ".join(f"a{i}=1" for i in range(count))
    return f"<html><body><p {attributes}>Fees apply.</p></body></html>"


def _one_line(size: int) -> str:
    return ("We may share data with partners " * (size // 32 + 1))[:size]


def _run_on(size: int) -> str:
    return ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]


def _markdown_sections(size: int) -> str:
    unit = "Fees\n====\n\nWe may share your data. You agree.\n\n- Item one\n- Item two\n\n"
    return unit * (size // len(unit))


SHAPES: dict[str, tuple[Callable[[int], str], int]] = {
    "plain policy": (_policy, 2_000_000),
    "html paragraphs": (_html, 2_000_000),
    "deeply nested, unclosed html": (_nested_html, 200_000),
    "one run-on sentence": (_run_on, 200_000),
    "no whitespace at all": (lambda n: "x" * n, 200_000),
    "sentence-final dots": (lambda n: ". " * (n // 2), 200_000),
    "unclosed markdown links": (lambda n: "[a](" * (n // 4), 200_000),
    "setext-like lines": (lambda n: "a\n==\n" * (n // 5), 200_000),
    "markdown sections": (_markdown_sections, 2_000_000),
    "periods without whitespace": (lambda n: "." * n, 100_000),
    "one line, no punctuation": (_one_line, 5_000_000),
    "attributes on one element": (_crowded_element, 900_000),
}


def timed(text: str) -> tuple[float, int]:
    from clauseclf.segmentation import segment_document

    started = time.process_time()
    document = segment_document(text)
    return time.process_time() - started, len(document.segments)


def peak_memory(text: str) -> int:
    from clauseclf.segmentation import segment_document

    tracemalloc.start()
    segment_document(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", action="append", help="a shape to run (default: all)")
    names = parser.parse_args().shape or list(SHAPES)
    unknown = sorted(set(names) - set(SHAPES))
    if unknown:
        parser.error(f"unknown shapes {unknown}; choose from {', '.join(SHAPES)}")
    print(
        f"{'input':28} {'size':>10} {'small':>8} {'10x':>8} {'ratio':>6} {'vs policy':>9} "
        f"{'clauses':>9} {'peak/input':>10}"
    )
    baselines: dict[int, float] = {}
    for name in names:
        make, size = SHAPES[name]
        if size * 10 not in baselines:
            baselines[size * 10] = max(timed(_policy(size * 10))[0], 1e-6)
        small_time, _ = timed(make(size))
        big = make(size * 10)
        big_time, clauses = timed(big)
        peak = peak_memory(big)
        print(
            f"{name:28} {len(big):10,} {small_time:7.2f}s {big_time:7.2f}s "
            f"{big_time / max(small_time, 1e-6):6.1f} {big_time / baselines[size * 10]:8.2f}x "
            f"{clauses:9,} {peak / len(big):9.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
