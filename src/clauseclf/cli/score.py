"""``clauseclf score``: score many policy files into one results table, resumable."""

from __future__ import annotations

import argparse
import errno
import sys
import warnings
from pathlib import Path
from typing import Any

from clauseclf.cli._common import ENCODING_HELP, MODEL_HELP, CLIError, load_model

#: Failures listed on stderr at the end of a run (the output's ``error`` column has them all).
_LISTED_FAILURES = 10


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``score`` to the subcommands ``sub``."""
    score = sub.add_parser(
        "score",
        help="score many policy files into one table (.parquet, .csv, .jsonl or .xlsx), resumable",
    )
    score.add_argument("paths", type=Path, nargs="+", help="policy files or folders of them")
    score.add_argument("--out", type=Path, required=True, help="results file to write")
    score.add_argument("--jobs", type=int, default=1, help="parallel workers (joblib; -1 = all)")
    score.add_argument("--resume", action="store_true", help="continue an interrupted run")
    score.add_argument("--model", type=Path, help=MODEL_HELP)
    score.add_argument(
        "--pattern", default="*", help="file name pattern inside folders (default: *)"
    )
    score.add_argument("--encoding", default=None, help=ENCODING_HELP + "; for every file")
    score.add_argument(
        "--platform",
        default=None,
        help="platform of every document (default: from the file names, see --platform-from)",
    )
    score.add_argument(
        "--platform-from",
        choices=("auto", "file-name", "folder"),
        default="auto",
        help="where a document's platform comes from: 'file-name' <Service>_<Title>.txt, "
        "'folder' the name of the folder holding it, 'auto' (default) the file name when it has "
        "that form, else the folder",
    )
    score.add_argument(
        "--document", default=None, help="document title of every file (default: from its name)"
    )
    score.add_argument(
        "--allow-errors",
        action="store_true",
        help="exit 0 even when some documents failed (default: exit 1, after writing the rest)",
    )
    score.add_argument(
        "--cache", type=Path, default=None, help="embedding cache file (SQLite), kept across runs"
    )
    score.add_argument("--batch-size", type=int, default=64)
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    score.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``score``; returns the exit code (1 when documents failed without
    ``--allow-errors``, 130 when interrupted)."""
    from clauseclf.batch import output_format, write_scores
    from clauseclf.errors import EncodingError, ScoringError

    try:
        output_format(args.out)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if args.out.is_dir():
        raise CLIError(f"{args.out}: is a directory; give --out a file name")
    if args.jobs == 0:
        raise CLIError("--jobs must not be 0")
    files: list[Path] = []
    for path in args.paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(args.pattern) if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise CLIError(f"{path}: no such file or folder")
    if not files:
        raise CLIError("no files to score")
    documents = [_document(path, args) for path in files]
    model = load_model(args.model).with_cache(args.cache)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _note  # e.g. a stale lock taken over: one line on stderr
            summary = write_scores(
                model,
                documents,
                args.out,
                resume=args.resume,
                n_jobs=args.jobs,
                batch_size=args.batch_size,
                progress=not args.quiet,
            )
    except (FileExistsError, ScoringError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:  # the output cannot be written: a full disk, a missing folder, ...
        hint = ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            hint = "; free some space, then run the same command with --resume to continue"
        raise CLIError(f"{args.out}: cannot write: {exc.strerror or exc}{hint}") from None
    except KeyboardInterrupt:
        print(
            f"interrupted: what was scored is saved in {args.out}; run the same command with "
            "--resume to continue",
            file=sys.stderr,
        )
        return 130
    print(
        f"{summary.scored} documents scored ({summary.clauses} clauses, {summary.failed} "
        f"failed, {summary.skipped} already done) -> {summary.path}"
    )
    if summary.failures:
        for document_id, error in summary.failures[:_LISTED_FAILURES]:
            reason = EncodingError.for_command_line(error)
            named = reason if document_id in reason else f"{document_id}: {reason}"
            print(f"  failed: {named}", file=sys.stderr)
        if len(summary.failures) > _LISTED_FAILURES:
            print(
                f"  ... and {len(summary.failures) - _LISTED_FAILURES} more (the 'error' column "
                f"of {summary.path})",
                file=sys.stderr,
            )
        if not args.allow_errors:
            raise CLIError(
                f"{summary.failed} of {summary.scored} documents failed (their rows in "
                f"{summary.path} say why); pass --allow-errors to exit 0 anyway"
            )
    return 0


def _note(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    print(f"clauseclf: note: {message}", file=sys.stderr)


def _document(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The ``write_scores`` input for one file: its id is the path (as for a ``Path`` input),
    its platform and title from the options or its name (``batch.names_from_path``)."""
    from clauseclf.batch import names_from_path

    platform, title = names_from_path(path, platform_from=args.platform_from)
    return {
        "id": str(path),
        "path": path,
        "platform": args.platform or platform,
        "document": args.document or title,
        "encoding": args.encoding,
    }
