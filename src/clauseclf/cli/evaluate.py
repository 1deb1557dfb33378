"""``clauseclf evaluate``: score a model on annotation files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from clauseclf.cli._common import ANNOTATION_FORMATS, MODEL_HELP, CLIError, load_model


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``evaluate`` to the subcommands ``sub``."""
    evaluate = sub.add_parser(
        "evaluate",
        help="score a model on annotation files: per-type P/R/F1, severity accuracy, ECE",
    )
    evaluate.add_argument("files", type=Path, nargs="+", help="annotation files")
    evaluate.add_argument("--model", type=Path, help=MODEL_HELP)
    evaluate.add_argument(
        "--group-by",
        choices=("platform", "document", "corpus"),
        default=None,
        help="also report the metrics per platform, document or corpus",
    )
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument(
        "--reliability-plot", type=Path, default=None, help="write the reliability diagram (PNG)"
    )
    evaluate.add_argument(
        "--annotation-format",
        default="auto",
        choices=ANNOTATION_FORMATS,
        help="annotation file format (default: from the name)",
    )
    evaluate.add_argument(
        "--strict", action="store_true", help="fail on the first bad annotation row"
    )
    evaluate.add_argument(
        "--documents",
        type=Path,
        default=None,
        help="policies-2023 folder or archive for standoff records "
        "(default ../shared/data/policies-2023)",
    )
    evaluate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``evaluate``; returns the exit code."""
    from clauseclf.annotations import load_annotations
    from clauseclf.errors import AnnotationError
    from clauseclf.evaluation import evaluate, save_reliability_diagram

    for path in args.files:
        if not path.is_file():
            raise CLIError(f"{path}: no such file")
    model = load_model(args.model)
    try:
        annotations = load_annotations(
            args.files,
            strict=args.strict,
            taxonomy=None,
            format=args.annotation_format,
            documents=args.documents,
        )
        for problem in annotations.problems:
            print(f"clauseclf: skipped {problem}", file=sys.stderr)
        report = evaluate(annotations, model, group_by=args.group_by)
    except (AnnotationError, ValueError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None
    if args.reliability_plot is not None:
        try:
            save_reliability_diagram(report, args.reliability_plot)
        except ImportError as exc:
            raise CLIError(str(exc)) from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, allow_nan=False))
    else:
        print(report.format())
    return 0
