"""``clauseclf diff``: compare two versions of a policy (saved reports or policy files)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.cli._common import (
    ENCODING_HELP,
    MODEL_HELP,
    CLIError,
    load_model,
    read_input,
    terminal_width,
    write_json,
)

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel
    from clauseclf.report import DocumentReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``diff`` to the subcommands ``sub``."""
    diff = sub.add_parser(
        "diff",
        help="compare two versions of a policy: clauses added, removed, reworded, what got worse",
    )
    diff.add_argument(
        "old", type=Path, help="older version: a saved JSON report or a policy file to analyze"
    )
    diff.add_argument(
        "new", type=Path, help="newer version: a saved JSON report or a policy file to analyze"
    )
    diff.add_argument("--model", type=Path, help=MODEL_HELP)
    diff.add_argument("--format", choices=("text", "json", "html"), default="text")
    diff.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="minimum word similarity (0-1) of a reworded clause (default 0.6)",
    )
    diff.add_argument("--all", action="store_true", help="text: also list unchanged clauses")
    diff.add_argument("--encoding", default=None, help=ENCODING_HELP)
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``diff``; returns the exit code."""
    from clauseclf.versions import SIMILARITY_THRESHOLD, diff

    threshold = SIMILARITY_THRESHOLD if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        raise CLIError("--threshold must be in (0, 1]")
    if str(args.old) == "-" and str(args.new) == "-":
        raise CLIError("only one of OLD and NEW can be '-' (stdin)")
    models: list[ClauseModel] = []  # the model, loaded only for a version that is not a report
    old = _version(args.old, args, models)
    new = _version(args.new, args, models)
    try:
        result = diff(old, new, threshold=threshold)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if args.format == "json":
        write_json(result.to_dict())
    elif args.format == "html":
        sys.stdout.write(result.to_html())
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(result.format(width=terminal_width(), color=color, unchanged=args.all))
    return 0


def _version(path: Path, args: argparse.Namespace, models: list[ClauseModel]) -> DocumentReport:
    """A version for ``diff``: a saved report (``.json``) or a policy file analyzed now (with
    the model in ``models``, loaded into it on first use)."""
    from clauseclf import _json, limits
    from clauseclf.documents import format_from_path
    from clauseclf.report import DocumentReport

    saved = path.suffix.lower() == ".json"
    text, name = read_input(path, args.encoding, limit=limits.MAX_JSON_BYTES if saved else None)
    if saved:
        try:
            data = _json.loads(text)
        except json.JSONDecodeError as exc:
            raise CLIError(f"{name}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        try:
            return DocumentReport.from_dict(data)
        except ValueError as exc:
            raise CLIError(
                f"{name}: not a saved clauseclf report (clauseclf analyze --format json): {exc}"
            ) from None
    if not models:
        models.append(load_model(args.model))
    report = models[0].analyze(
        text,
        format="auto" if name == "<stdin>" else format_from_path(path),
        source=None if name == "<stdin>" else name,
    )
    if not report.clauses:
        raise CLIError(f"{name}: no clauses found in the document")
    return report
