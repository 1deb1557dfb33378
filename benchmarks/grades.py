"""How the document grade (``clauseclf.verdict``) spreads over real policies.

    python benchmarks/grades.py [--data ../shared/data] [--documents 120] [--seed 0]

Analyses a random sample of policies-2023 with the default model and prints, per document, the
grade, score and counted types, then the share of each grade and the score deciles (the bands
of ``GRADE_BANDS`` were set from them).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tarfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    import clauseclf
    from clauseclf.verdict import GRADE_BANDS, report_verdict

    model = clauseclf.load()
    with tarfile.open(args.data / "policies-2023" / "corpus_text.tar.xz") as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        random.Random(args.seed).shuffle(members)
        grades, scores = Counter(), []
        for member in members[: args.documents]:
            text = tar.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
            report = model.analyze(text)
            if not report.clauses:
                continue
            grade = report_verdict(report).grade
            grades[grade.label] += 1
            if grade.letter is not None:
                scores.append(grade.score)
            print(
                f"{grade.label:>10} score {grade.score:>3} high {grade.high:>2} medium "
                f"{grade.medium:>2} low {grade.low:>2} protective {grade.protective:>2} "
                f"clauses {len(report.clauses):>4}  {Path(member.name).name}",
                flush=True,
            )
    total = sum(grades.values())
    print(f"\nbands {GRADE_BANDS}, E above; {total} documents")
    for label in ("A", "B", "C", "D", "E", "not graded"):
        print(f"  {label:>10}: {grades[label]:>4} ({grades[label] / total:.0%})")
    print("score deciles (graded):", statistics.quantiles(scores, n=10))


if __name__ == "__main__":
    main()
