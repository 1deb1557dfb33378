"""``clauseclf atlas``: a static site over the results of ``clauseclf score``."""

from __future__ import annotations

import argparse
from pathlib import Path

from clauseclf.cli._common import MODEL_HELP, CLIError, load_model


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``atlas`` to the subcommands ``sub``."""
    atlas = sub.add_parser(
        "atlas",
        help="a static, self-contained site (platforms, clause types, findings) from score output",
    )
    atlas.add_argument("results", type=Path, nargs="+", help="clauseclf score output files")
    atlas.add_argument("--out", type=Path, required=True, help="folder for the site")
    atlas.add_argument(
        "--index",
        type=Path,
        default=None,
        help="a clause index folder (clauseclf index build): finding pages then list similar "
        "clauses of other platforms, prevalence and uniqueness from it (loads the model)",
    )
    atlas.add_argument("--model", type=Path, help=MODEL_HELP + "; with --index")
    atlas.add_argument(
        "--model-version",
        default=None,
        help="the version of the model that scored the results, for the citation records",
    )
    atlas.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``atlas``; returns the exit code."""
    import pandas as pd

    from clauseclf.atlas import build_atlas
    from clauseclf.cli.analyze import _load_index
    from clauseclf.cli.index import _read_results

    if args.out.exists() and not args.out.is_dir():
        raise CLIError(f"{args.out}: exists and is not a folder")
    frame = pd.concat([_read_results(path) for path in args.results], ignore_index=True)
    context = None
    if args.index is not None:
        from clauseclf.context import context_of

        index = _load_index(args.index, load_model(args.model))

        def context(finding, platform):  # type: ignore[no-untyped-def]
            return context_of(index, finding.text, finding.type, platform)

    try:
        summary = build_atlas(frame, args.out, model_version=args.model_version, context=context)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(f"{args.out}: cannot write: {exc.strerror or exc}") from None
    print(
        f"{summary.pages} pages ({summary.platforms} platforms, {summary.types} clause types, "
        f"{summary.findings} findings) -> {args.out / 'index.html'}"
    )
    return 0
