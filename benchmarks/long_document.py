"""One long policy analysed end to end: time and memory, against one classify call on all of it.

    python benchmarks/long_document.py [--megabytes 3]

Builds a policy of the given size from data/examples/larkspur_terms.txt repeated, then runs in a
fresh process each:
- baseline: segment, then ``model.classify`` on every clause at once (how ``analyze`` worked
  before it classified in blocks of ``pipeline.PROGRESS_BLOCK`` clauses);
- analyze: ``model.analyze(text)`` as it is now (blocks; the progress bar is off).
For each: seconds, and the peak resident memory above the memory after loading the model and
building the text, also as a multiple of the document's size in bytes (UTF-8).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
from pathlib import Path
import clauseclf
from clauseclf.segmentation import segment_document

mode, megabytes, example = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
unit = example.read_text(encoding="utf-8") + "\\n\\n"
text = unit * max(1, int(megabytes * 1e6 / len(unit.encode("utf-8"))))
model = clauseclf.load()
model.classify(["warm up"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
if mode == "baseline":
    segmented = segment_document(text, format="text")
    clauses = len(model.classify([s.text for s in segmented.segments]))
else:
    clauses = len(model.analyze(text, format="text").clauses)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"bytes": len(text.encode("utf-8")), "clauses": clauses, "seconds": seconds,
                  "extra_bytes": max(0, peak - base)}))
"""


def run(mode: str, megabytes: float) -> dict[str, float]:
    example = REPO / "data" / "examples" / "larkspur_terms.txt"
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(megabytes), str(example)],
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
    args = parser.parse_args()
    rows = {mode: run(mode, args.megabytes) for mode in ("baseline", "analyze")}
    size = rows["analyze"]["bytes"]
    print(f"document: {size / 1e6:.1f} MB, {rows['analyze']['clauses']:,} clauses")
    for mode, row in rows.items():
        print(
            f"{mode:<9} {row['seconds']:7.1f} s  peak +{row['extra_bytes'] / 1e6:7.1f} MB "
            f"({row['extra_bytes'] / size:4.1f}x the document)"
        )
    base, now = rows["baseline"], rows["analyze"]
    print(
        f"analyze / baseline: time {now['seconds'] / base['seconds']:.2f}x, extra memory "
        f"{now['extra_bytes'] / max(base['extra_bytes'], 1):.2f}x"
    )


if __name__ == "__main__":
    main()
