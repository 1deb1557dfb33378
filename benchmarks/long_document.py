"""One long policy analysed end to end: time and memory, as multiples of the document's size.

    python benchmarks/long_document.py [--megabytes 3] [--modes segment,classify,analyze,...]
    python benchmarks/long_document.py --paragraphs 100000   # N tiny paragraphs instead
    python benchmarks/long_document.py --paragraphs 1000000 --keep-limit --format html

Builds a policy of the given size from data/examples/larkspur_terms.txt repeated (or, with
``--paragraphs N``, a document of N tiny paragraphs "Fee.": ``--format text`` "Fee.\\n\\n", 6
bytes each, ``markdown`` the same text read as Markdown, ``html`` "<p>Fee.</p>", 11 bytes each;
``--kind heading`` or ``empty`` repeats a heading ("## Fee", "<h2>Fee</h2>") or an empty block
("<div></div>", "---") instead, which give few or no clauses, ``item`` a list item with no blank
line between ("- Fee."), ``line`` a line of one long paragraph, ``quoted`` a line of one long
block quote ("> Fee."), ``row`` a row of one long table ("| _ga | Fee. |", after its head):
one block the Markdown reader must cut (``UNITS``, ``HEADS``); ``--control-character``
puts one "\\x01" in the middle unit's text, ``--nest N`` (HTML) opens N ``<div>`` before it all;
the limit on clauses per document is lifted in the measuring process so that the path itself is
measured, unless ``--keep-limit``: then analyze and score refuse a document over it, marked
"refused"; ``segment`` never applies the limit), then measures each mode in a fresh process,
twice (once for resident memory, once under tracemalloc, which slows the run and inflates
resident memory; tracemalloc does not see lxml's own memory: for HTML read the resident figure):
- segment: ``segment_document`` alone, the floor (the clause texts and offsets any report holds);
- classify: segment, then ``model.classify`` on every clause at once (how ``analyze`` worked
  before it classified in blocks);
- analyze: ``model.analyze(text)`` (the progress bar is off);
- analyze+read: ``model.analyze(text)``, then every field of every prediction read (what a
  full rendering of the report does; predictions build their dicts on first read);
- score: ``model.score([text])`` (``clauseclf score``'s path: one DataFrame row per clause).
Each mode first runs once on one copy of the example (imports, caches), then on the long
document. Figures: seconds; the peak resident memory above that after the warm-up run
(``ru_maxrss``); the tracemalloc peak of the run. Memory is also given as a multiple of the
document's size in bytes (UTF-8); ``segment`` is the baseline the others are set beside.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODES = ("segment", "classify", "analyze", "analyze+read", "score")

#: The repeated unit of a ``--paragraphs`` document, by ``--kind`` and ``--format``.
UNITS = {
    "paragraph": {"text": "Fee.\n\n", "markdown": "Fee.\n\n", "html": "<p>Fee.</p>"},
    "heading": {"text": "Fee\n\n", "markdown": "## Fee\n\n", "html": "<h2>Fee</h2>"},
    "empty": {"text": "-\n\n", "markdown": "---\n\n", "html": "<div></div>"},
    "item": {"text": "- Fee.\n", "markdown": "- Fee.\n", "html": "<li>Fee.</li>"},
    "line": {"text": "Fee.\n", "markdown": "Fee.\n", "html": "Fee.\n"},
    "quoted": {"text": "> Fee.\n", "markdown": "> Fee.\n", "html": "<q>Fee.</q>\n"},
    "row": {"text": "_ga Fee.\n", "markdown": "| _ga | Fee. |\n", "html": "<tr><td>Fee.</td>"},
}
#: What goes before the repeated units, by ``--kind`` and ``--format`` (a table's head).
HEADS = {"row": {"text": "", "markdown": "| Cookie | Purpose |\n|---|---|\n", "html": "<table>"}}

_CHILD = """
import gc, json, resource, sys, time, tracemalloc
from pathlib import Path
import clauseclf
from clauseclf.segmentation import segment_document

mode, megabytes, example, trace = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
paragraphs, keep_limit, fmt = int(sys.argv[5]), sys.argv[6] == "keep", sys.argv[7]
kind, control, nest = sys.argv[8], sys.argv[9] == "control", int(sys.argv[10])
if paragraphs:
    from clauseclf import pipeline

    if not keep_limit:
        pipeline.MAX_DOCUMENT_CLAUSES = paragraphs
    unit = UNITS[kind][fmt]
    text = unit * paragraphs
    if control:
        at = len(unit) * (paragraphs // 2) + unit.find(">") + 1
        text = text[:at] + "\\x01" + text[at:]
    text = "<div>" * nest + HEADS.get(kind, {}).get(fmt, "") + text
else:
    unit = example.read_text(encoding="utf-8") + "\\n\\n"
    text = unit * max(1, int(megabytes * 1e6 / len(unit.encode("utf-8"))))
model = clauseclf.load()


def read_all(report):
    for clause in report.clauses:
        p = clause.prediction
        p.labels, p.severities, p.probabilities, p.evidence, clause.clause_id


def run(document):
    if mode == "segment":
        return len(segment_document(document, format=fmt).segments)
    if mode == "classify":
        segmented = segment_document(document, format=fmt)
        return len(model.classify([s.text for s in segmented.segments]))
    if mode == "score":
        documents = [document] if fmt == "text" else [{"text": document, "format": fmt}]
        frame = model.score(documents, progress=False)
        errors = frame["error"].dropna()
        if errors.str.contains("more than").any():
            return -1  # refused: more clauses than the limit
        return 0 if len(errors) else len(frame)  # an error row: no clauses in the document
    try:
        report = model.analyze(document, format=fmt)
    except clauseclf.DocumentError:
        return -1  # refused: more clauses than the limit
    if mode == "analyze+read":
        read_all(report)
    return len(report.clauses)


run(unit)
gc.collect()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if trace == "trace":
    tracemalloc.start()
start = time.perf_counter()
clauses = run(text)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
traced = tracemalloc.get_traced_memory()[1] if trace == "trace" else 0
print(json.dumps({"bytes": len(text.encode("utf-8")), "clauses": clauses, "seconds": seconds,
                  "rss_bytes": max(0, peak - base), "traced_bytes": traced}))
"""


def run(
    mode: str,
    megabytes: float,
    *,
    trace: bool,
    paragraphs: int = 0,
    keep_limit: bool = False,
    format: str = "text",
    kind: str = "paragraph",
    control_character: bool = False,
    nest: int = 0,
) -> dict[str, float]:
    example = REPO / "data" / "examples" / "larkspur_terms.txt"
    flag = "trace" if trace else "rss"
    limit = "keep" if keep_limit else "lift"
    control = "control" if control_character else "none"
    arguments = [mode, str(megabytes), str(example), flag, str(paragraphs), limit, format, kind]
    arguments += [control, str(nest)]
    child = f"UNITS = {UNITS!r}\nHEADS = {HEADS!r}\n{_CHILD}"
    result = subprocess.run(
        [sys.executable, "-c", child, *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=3.0)
    parser.add_argument(
        "--paragraphs", type=int, default=0, help="a document of this many tiny paragraphs"
    )
    parser.add_argument(
        "--keep-limit",
        action="store_true",
        help="with --paragraphs: keep the clause limit (analyze and score refuse a longer one)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "html", "markdown"),
        default="text",
        help="with --paragraphs: the tiny paragraphs as plain text, HTML <p> or Markdown",
    )
    parser.add_argument(
        "--kind",
        choices=tuple(UNITS),
        default="paragraph",
        help="with --paragraphs: what is repeated (see UNITS): a tiny paragraph, a heading, "
        "an empty block, a list item, a line of a paragraph or of a block quote, a table row",
    )
    parser.add_argument(
        "--control-character",
        action="store_true",
        help="with --paragraphs: one control character (\\x01) in the middle unit's text",
    )
    parser.add_argument(
        "--nest", type=int, default=0, help="with --paragraphs --format html: N <div> around it"
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated: " + ",".join(MODES)
    )
    args = parser.parse_args()
    if (args.format != "text" or args.control_character or args.nest) and not args.paragraphs:
        parser.error("--format, --control-character and --nest are for the --paragraphs document")
    if args.nest and args.format != "html":
        parser.error("--nest is for --format html")
    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"unknown modes {unknown}; choose from {', '.join(MODES)}")
    rows = {}
    for mode in modes:
        options = {
            "paragraphs": args.paragraphs,
            "keep_limit": args.keep_limit,
            "format": args.format,
            "kind": args.kind,
            "control_character": args.control_character,
            "nest": args.nest,
        }
        rss = run(mode, args.megabytes, trace=False, **options)  # type: ignore[arg-type]
        traced = run(mode, args.megabytes, trace=True, **options)  # type: ignore[arg-type]
        rows[mode] = {**rss, "traced_bytes": traced["traced_bytes"]}
    first = next(iter(rows.values()))
    size = first["bytes"]
    counts = {row["clauses"] for row in rows.values() if row["clauses"] >= 0}
    clauses = ", ".join(f"{count:,.0f}" for count in sorted(counts)) or "refused"
    unit = UNITS[args.kind][args.format] if args.paragraphs else "the example"
    extras = "".join(
        [", one \\x01" * args.control_character, f", in {args.nest:,} <div>" * bool(args.nest)]
    )
    print(f"document: {size / 1e6:.1f} MB ({args.format}, {unit!r}{extras}), {clauses} clauses")
    header = ("mode", "seconds", "peak RSS +MB", "x doc", "traced MB", "x doc")
    print("{:<13} {:>8} {:>13} {:>6} {:>10} {:>6}".format(*header))
    for mode, row in rows.items():
        name = mode + (" (refused)" if row["clauses"] < 0 else "")
        print(
            f"{name:<13} {row['seconds']:8.1f} {row['rss_bytes'] / 1e6:13.1f} "
            f"{row['rss_bytes'] / size:6.1f} {row['traced_bytes'] / 1e6:10.1f} "
            f"{row['traced_bytes'] / size:6.1f}"
        )
    if "segment" in rows:
        floor = rows["segment"]
        for mode, row in rows.items():
            if mode != "segment":
                # RSS above the warm-up is often 0 for segment: no ratio then
                rss = (
                    f"{row['rss_bytes'] / floor['rss_bytes']:.1f}x"
                    if floor["rss_bytes"] > 0
                    else "n/a (segment's is 0)"
                )
                print(
                    f"{mode} / segment: RSS {rss}, "
                    f"traced {row['traced_bytes'] / max(floor['traced_bytes'], 1):.1f}x"
                )


if __name__ == "__main__":
    main()
