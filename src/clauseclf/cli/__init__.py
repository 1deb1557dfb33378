"""The ``clauseclf`` command line: analyze, classify, segment, train.

``main`` builds the parser from the command modules (each has ``add_parser(sub)``, whose
parsers set ``run``, and ``run(args)``): ``analyze`` (analyze, classify), ``segment``, ``train``
(train, distill-encoder, adapt-encoder), ``score``, ``index`` (index build, similar),
``evaluate``, ``export`` (export-uncertain), ``diff``, ``compare`` and ``atlas``; ``_common``
holds what they share.
Importing the package only defines things: the commands import the heavy modules they need
when they run.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from clauseclf import __version__
from clauseclf.cli import (
    analyze,
    atlas,
    compare,
    diff,
    evaluate,
    export,
    index,
    score,
    segment,
    train,
)
from clauseclf.cli._common import CLIError, read_model
from clauseclf.errors import MissingExtraError

__all__ = ["CLIError", "main"]

#: How every command loads its model (``_common.load_model`` looks it up here at call time):
#: tests replace it to run the commands on a stand-in model.
_load_model = read_model

#: The command modules, in the order ``clauseclf --help`` lists their commands.
_COMMAND_MODULES = (analyze, segment, train, score, index, evaluate, export, diff, compare, atlas)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 bad input or model, 2 usage)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except (CLIError, MissingExtraError) as exc:
        print(f"clauseclf: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (MemoryError, OSError, ValueError, RuntimeError) as exc:
        message = _user_error(exc)
        if message is None:
            raise
        print(f"clauseclf: error: {message}", file=sys.stderr)
        return 1


def _user_error(exc: BaseException) -> str | None:
    """The one-line message for an error a command did not turn into a ``CLIError`` but that
    is no bug: memory or disk exhausted, a file the system refuses, any of ``clauseclf.errors``
    (bad input or model); None for anything else (a bug: its traceback is shown)."""
    from clauseclf import errors

    if isinstance(exc, MemoryError):
        return "out of memory: the input is too large for this machine's memory"
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"{exc.filename}: " if exc.filename else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"{where}no space left on the disk ({exc.strerror}); free some and run again"
        return f"{where}{exc.strerror or exc}"
    library_errors = tuple(getattr(errors, name) for name in errors.__all__)
    return str(exc) if isinstance(exc, library_errors) else None


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clauseclf",
        description="Segment platform policies into clauses and classify each clause.",
    )
    parser.add_argument("--version", action="version", version=f"clauseclf {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.add_parser(commands)
    return parser
