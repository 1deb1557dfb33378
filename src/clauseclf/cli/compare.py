"""``clauseclf compare``: platforms side by side, per clause type (terminal table or HTML)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.cli._common import (
    ENCODING_HELP,
    MODEL_HELP,
    CLIError,
    terminal_width,
    write_text_file,
)

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``compare`` to the subcommands ``sub``."""
    compare = sub.add_parser(
        "compare", help="platforms side by side: grade and each clause type's finding"
    )
    compare.add_argument(
        "documents",
        type=Path,
        nargs="+",
        help="two or more policy files, or saved JSON reports (clauseclf analyze --format json); "
        "of dated versions of one document (YYYY-MM-DD in the path or title) only the latest",
    )
    compare.add_argument(
        "--name",
        action="append",
        default=None,
        help="a column name per document, in order (default: the report's platform, else the "
        "file name)",
    )
    compare.add_argument("--format", choices=("table", "html"), default="table")
    compare.add_argument("--model", type=Path, help=MODEL_HELP)
    compare.add_argument("--out", type=Path, default=None, help="write to this file")
    compare.add_argument("--encoding", default=None, help=ENCODING_HELP)
    compare.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``compare``; returns the exit code."""
    from clauseclf.cli.diff import _version
    from clauseclf.compare import compare_reports, comparison_html, comparison_text

    if len(args.documents) < 2:
        raise CLIError("compare needs at least two documents")
    if sum(str(p) == "-" for p in args.documents) > 1:
        raise CLIError("only one document can be '-' (stdin)")
    if args.name is not None and len(args.name) != len(args.documents):
        raise CLIError(f"{len(args.name)} --name for {len(args.documents)} documents")
    models: list[ClauseModel] = []
    reports = [_version(path, args, models) for path in args.documents]
    names = args.name or [
        report.platform or (path.stem if str(path) != "-" else "stdin")
        for report, path in zip(reports, args.documents, strict=True)
    ]
    comparison = compare_reports(reports, names)
    if args.format == "html":
        output = comparison_html(comparison)
    else:
        output = comparison_text(comparison, terminal_width())
    if args.out is None:
        sys.stdout.write(output)
    else:
        write_text_file(args.out, output)
        left_out = len(comparison.left_out)
        earlier = f", {left_out} earlier version(s) left out" if left_out else ""
        print(f"{len(reports)} documents compared ({args.format}{earlier}) -> {args.out}")
    return 0
