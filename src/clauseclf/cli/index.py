"""``clauseclf index build`` (a clause index of scored results) and ``clauseclf similar`` (the
most similar clauses of other platforms, from an index)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.cli._common import MODEL_HELP, CLIError, load_model, terminal_width
from clauseclf.rendering import wrap

if TYPE_CHECKING:
    import pandas as pd


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``index`` (with its action ``build``) and ``similar`` to the subcommands ``sub``."""
    index = sub.add_parser("index", help="build a clause index for similar-clause search")
    index_commands = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    build = index_commands.add_parser("build", help="index the clauses of scored results")
    build.add_argument(
        "results", type=Path, nargs="+", help="results of 'clauseclf score' (.parquet/.csv/.jsonl)"
    )
    build.add_argument("--out", type=Path, required=True, help="index folder to write")
    build.add_argument("--model", type=Path, help=MODEL_HELP)
    build.add_argument(
        "--backend",
        choices=("exact", "hnsw"),
        default="exact",
        help="search backend: exact numpy scan (default) or approximate HNSW for large indexes "
        "(needs clauseclf[ann])",
    )
    build.set_defaults(run=run)

    similar = sub.add_parser(
        "similar", help="the most similar clauses of other platforms, from an index"
    )
    similar.add_argument("text", help="a clause text")
    similar.add_argument("--index", type=Path, required=True, help="index folder")
    similar.add_argument("-k", type=int, default=5, help="how many (default 5)")
    similar.add_argument("--any-type", action="store_true", help="do not restrict to the type")
    similar.add_argument(
        "--any-stance",
        action="store_true",
        help="also clauses of the opposite stance ('we do not sell' for 'we sell')",
    )
    similar.add_argument(
        "--min-similarity",
        type=float,
        default=None,
        help="leave out clauses below this similarity (default: the index measure's "
        "documented minimum)",
    )
    similar.add_argument("--exclude-platform", default=None)
    similar.add_argument("--model", type=Path, help=MODEL_HELP)
    similar.add_argument("--format", choices=("table", "json"), default="table")
    similar.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``index build`` or ``similar`` (``args.command``); returns the exit code."""
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "index": _build,
        "similar": _similar,
    }
    return commands[args.command](args)


def _build(args: argparse.Namespace) -> int:
    import pandas as pd

    from clauseclf.index import ClauseIndex

    frames = [_read_results(path) for path in args.results]
    model = load_model(args.model)
    try:
        index = ClauseIndex.from_frame(
            pd.concat(frames, ignore_index=True), model, backend=args.backend
        )
    except (ValueError, ImportError) as exc:
        raise CLIError(str(exc)) from None
    index.save(args.out)
    print(
        f"{len(index)} clauses of {index.platform_count} platforms indexed ({index.backend}) "
        f"-> {args.out}"
    )
    return 0


def _read_results(path: Path) -> pd.DataFrame:
    """A results file of ``clauseclf score`` (.parquet, .csv, .jsonl or .xlsx)."""
    import pandas as pd

    from clauseclf.batch import output_format
    from clauseclf.batch.rows import jsonl_records
    from clauseclf.limits import read_parquet_shared

    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    try:
        fmt = output_format(path)
        if fmt == "parquet":
            return read_parquet_shared(path)
        if fmt == "csv":
            return pd.read_csv(path)
        if fmt == "xlsx":
            from clauseclf.batch.excel import read_workbook

            return read_workbook(path)
        frame = pd.DataFrame.from_records(list(jsonl_records(path)))
        if "document_id" in frame.columns:
            frame["document_id"] = frame["document_id"].map(lambda v: None if v is None else str(v))
        return frame
    except (ValueError, OSError) as exc:
        raise CLIError(f"{path}: cannot read results ({exc})") from None


def _similar(args: argparse.Namespace) -> int:
    from clauseclf.errors import IndexFormatError
    from clauseclf.index import ClauseIndex

    model = load_model(args.model)
    try:
        index = ClauseIndex.load(args.index, model)
        found = index.similar(
            args.text,
            k=args.k,
            same_type=not args.any_type,
            same_stance=not args.any_stance,
            exclude_platform=args.exclude_platform,
            min_similarity=args.min_similarity,
        )
    except (IndexFormatError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    if args.format == "json":
        answer = {
            "query": found.query,
            "measure": found.measure,
            "stance": found.stance,
            "practice": found.practice,
            "min_similarity": found.min_similarity,
            "best_similarity": found.best_similarity,
            "reason": found.reason,
            "clauses": json.loads(found.clauses.to_json(orient="records", force_ascii=False)),
        }
        print(json.dumps(answer, ensure_ascii=False))
        return 0
    if found.empty:
        print(found)
        return 0
    width = terminal_width()
    print(
        f"ranked by {found.measure} (minimum {found.min_similarity:.2f}; query stance "
        f"'{found.stance}'); similarity, then wording similarity:"
    )
    for row in found.clauses.itertuples():
        print(
            f"{row.similarity:.3f} {row.wording_similarity:.3f}  {row.platform} - "
            f"{row.document}  [{row.label}, {row.severity}, {row.stance}]"
        )
        if row.practice:
            print(wrap("             ", f"practice: {row.practice!s}", width))
        print(wrap("             ", str(row.text), width))
    return 0
