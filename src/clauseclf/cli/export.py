"""``clauseclf export-uncertain``: the clauses the model is least sure about, as annotation
tasks."""

from __future__ import annotations

import argparse
from pathlib import Path

from clauseclf.cli._common import MODEL_HELP, CLIError, load_model, read_input


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export-uncertain`` to the subcommands ``sub``."""
    export = sub.add_parser(
        "export-uncertain",
        help="write the clauses the model is least sure about as Label Studio/doccano tasks",
    )
    export.add_argument("files", type=Path, nargs="+", help="policy files to draw clauses from")
    export.add_argument("--out", type=Path, required=True, help="task file to write")
    export.add_argument("--to", choices=("label-studio", "doccano"), default="label-studio")
    export.add_argument("-n", type=int, default=50, help="how many clauses (default 50)")
    export.add_argument("--model", type=Path, help=MODEL_HELP)
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``export-uncertain``; returns the exit code."""
    from clauseclf.annotations import (
        prediction_margins,
        write_doccano_tasks,
        write_label_studio_tasks,
    )
    from clauseclf.documents import format_from_path
    from clauseclf.segmentation import segment_document

    if args.n < 1:
        raise CLIError("-n must be at least 1")
    if args.out.is_dir():
        raise CLIError(f"{args.out}: is a directory; give --out a file name")
    texts: list[str] = []
    for path in args.files:
        text, _ = read_input(path)
        segmented = segment_document(text, format=format_from_path(path))
        texts.extend(s.text for s in segmented.segments)
    texts = list(dict.fromkeys(texts))
    if not texts:
        raise CLIError("no clauses found in the given files")
    model = load_model(args.model)
    predictions = model.classify(texts)
    order = prediction_margins(predictions).argsort(kind="stable")[: args.n]
    chosen_texts = [texts[i] for i in order]
    chosen = [predictions[i] for i in order]
    if args.to == "label-studio":
        write_label_studio_tasks(args.out, chosen_texts, chosen)
    else:
        write_doccano_tasks(args.out, chosen_texts, chosen)
    print(f"{len(chosen)} least-certain clauses written to {args.out}")
    return 0
