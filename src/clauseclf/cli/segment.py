"""``clauseclf segment``: split a policy into clauses (no model needed)."""

from __future__ import annotations

import argparse

from clauseclf.cli._common import (
    ENCODING_HELP,
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    SOURCE_HELP,
    CLIError,
    read_source,
    terminal_width,
    write_json,
    write_rows,
)
from clauseclf.rendering import wrap


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``segment`` to the subcommands ``sub``."""
    segment = sub.add_parser("segment", help="split a policy into clauses (no model needed)")
    segment.add_argument("file", help=SOURCE_HELP)
    segment.add_argument("--format", choices=OUTPUT_FORMATS, default="table")
    segment.add_argument("--input-format", choices=INPUT_FORMATS, default=None)
    segment.add_argument("--encoding", default=None, help=ENCODING_HELP)
    segment.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``segment``; returns the exit code."""
    from clauseclf.errors import DocumentError
    from clauseclf.segmentation import segment_document

    text, name, fmt = read_source(args)
    try:
        document = segment_document(text, format=fmt)
    except DocumentError as exc:  # e.g. HTML nested past the parser's limit
        raise CLIError(f"{name}: {exc}") from None
    if not document.segments:
        raise CLIError(f"{name}: no clauses found in the document")
    rows = [
        {"clause_index": i, "start": s.start, "end": s.end, "heading": s.heading, "text": s.text}
        for i, s in enumerate(document.segments)
    ]
    if args.format == "table":
        width = terminal_width()
        heading: object = None
        for row in rows:
            if row["heading"] != heading:
                heading = row["heading"]
                print(f"\n== {heading} ==" if heading else "")
            print(wrap(f"{row['clause_index']:>4}  ", str(row["text"]), width))
    elif args.format == "json":
        write_json({"format": document.format, "clauses": rows})
    else:
        write_rows(rows, args.format)
    return 0
