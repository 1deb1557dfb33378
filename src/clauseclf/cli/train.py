"""``clauseclf train`` (a model from annotations and corpora), ``clauseclf distill-encoder`` and
``clauseclf adapt-encoder`` (static encoders); ``python -m clauseclf.training`` (the default
model: ``training_main``) parses and runs here too, with the same options for the same things."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from clauseclf.cli._common import ANNOTATION_FORMATS, CLIError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``train``, ``distill-encoder`` and ``adapt-encoder`` to the subcommands ``sub``."""
    train = sub.add_parser(
        "train",
        help="train a model on annotation files (.jsonl/.csv) and/or the shared corpora",
    )
    train.add_argument("files", type=Path, nargs="*", help="annotation files (.jsonl or .csv)")
    _add_out(train, "model folder to write")
    train.add_argument(
        "--data",
        type=Path,
        default=None,
        help="also train on the corpora in this folder (e.g. ../shared/data)",
    )
    train.add_argument(
        "--base", type=Path, default=None, help="model folder whose taxonomy and encoder to reuse"
    )
    train.add_argument(
        "--taxonomy", type=Path, default=None, help="taxonomy file (e.g. with an added clause type)"
    )
    train.add_argument(
        "--annotation-format",
        default="auto",
        choices=ANNOTATION_FORMATS,
        help="annotation file format (default: from the name; .json = Label Studio export)",
    )
    train.add_argument(
        "--strict",
        action="store_true",
        help="fail on the first bad annotation row instead of skipping it",
    )
    train.add_argument(
        "--documents",
        type=Path,
        default=None,
        help="policies-2023 folder or archive for standoff records "
        "(default: DATA/policies-2023, else ../shared/data/policies-2023)",
    )
    _add_seed(train)
    _add_jobs(train)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=run)

    distill = sub.add_parser(
        "distill-encoder",
        help="distil a fast static encoder from the packaged MiniLM (needs clauseclf[distill])",
    )
    distill.add_argument("--out", type=Path, required=True, help="encoder folder to write")
    distill.add_argument(
        "--dimensions", type=int, default=256, help="PCA dimensions of the vectors (default 256)"
    )
    distill.set_defaults(run=run)

    adapt = sub.add_parser(
        "adapt-encoder",
        help="train a static encoder's token vectors on policy clauses against MiniLM",
    )
    adapt.add_argument("source", type=Path, help="static encoder folder to start from")
    adapt.add_argument("--data", type=Path, required=True, help="shared data folder")
    adapt.add_argument("--out", type=Path, required=True, help="encoder folder to write")
    adapt.add_argument(
        "--documents", type=int, default=None, help="only the first N policies (file-name order)"
    )
    adapt.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="SQLite cache of MiniLM clause embeddings (the slow part; kept across runs)",
    )
    adapt.add_argument("--dimensions", type=int, default=None)
    adapt.add_argument("--epochs", type=int, default=3)
    _add_seed(adapt)
    adapt.add_argument("--quiet", action="store_true", help="no progress bars")
    adapt.set_defaults(run=run)


#: ``args.command`` of ``python -m clauseclf.training`` (not a ``clauseclf`` subcommand).
DEFAULT_MODEL_COMMAND = "train-default-model"


def training_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``python -m clauseclf.training --data DIR [--annotations FILE...] --out DIR
    --seed N [--encoder ENCODER]``: train the default model (``train_default_model``)."""
    parser = argparse.ArgumentParser(prog=prog, description="Train the clauseclf default model.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--annotations",
        type=Path,
        nargs="*",
        default=[],
        help="our own annotation files to train on as well (e.g. data/annotations/stance.jsonl)",
    )
    _add_out(parser)
    _add_seed(parser)
    _add_jobs(parser)
    parser.add_argument(
        "--encoder",
        default=None,
        help="a static encoder folder (e.g. from 'clauseclf distill-encoder'), or 'minilm' for "
        "the packaged sentence-transformers model; default: the default model's encoder",
    )
    parser.set_defaults(run=run, command=DEFAULT_MODEL_COMMAND)
    return parser


def training_main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """``python -m clauseclf.training``: parse ``argv`` (default: the command line) with
    ``training_parser(prog)`` and train the default model; returns the exit code."""
    args = training_parser(prog).parse_args(argv)
    result: int = args.run(args)
    return result


def _add_out(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    parser.add_argument("--out", type=Path, required=True, help=help_text)


def _add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0)


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        help="heads fitted at a time (cross-validation folds and the final fit; one core each)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run ``train``, ``distill-encoder``, ``adapt-encoder`` or ``python -m clauseclf.training``
    (``args.command``); returns the exit code."""
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "train": _train,
        "distill-encoder": _distill_encoder,
        "adapt-encoder": _adapt_encoder,
        DEFAULT_MODEL_COMMAND: _train_default_model,
    }
    return commands[args.command](args)


def _train(args: argparse.Namespace) -> int:
    from clauseclf.errors import AnnotationError, ModelFormatError, TaxonomyError
    from clauseclf.inference.folder import check_model_target
    from clauseclf.training import train

    if not args.files and args.data is None:
        raise CLIError("give annotation files, --data DIR, or both")
    try:
        check_model_target(args.out)  # before training: refuse a folder save would not replace
    except FileExistsError as exc:
        raise CLIError(str(exc)) from None
    if args.data is not None and not args.data.is_dir():
        raise CLIError(f"{args.data}: no such data folder")
    for path in args.files:
        if not path.is_file():
            raise CLIError(f"{path}: no such file")
    try:
        with _warnings_as_messages():
            model = train(
                args.files,
                base=args.base,
                taxonomy=args.taxonomy,
                seed=args.seed,
                data_dir=args.data,
                strict=args.strict,
                annotation_format=args.annotation_format,
                progress=not args.quiet,
                documents=args.documents,
                n_jobs=args.jobs,
            )
    except (AnnotationError, TaxonomyError, ModelFormatError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    try:
        model.save(args.out)
    except FileExistsError as exc:
        raise CLIError(str(exc)) from None
    print(f"model written to {args.out}")
    return 0


@contextlib.contextmanager
def _warnings_as_messages() -> Iterator[None]:
    """Show a ``TrainingDataWarning`` as one line ``clauseclf: warning: ...`` on stderr when it
    is raised (before the long work), not as Python's warning with a file and line."""
    from clauseclf.errors import TrainingDataWarning

    with warnings.catch_warnings():
        shown_otherwise = warnings.showwarning

        def show(
            message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any
        ) -> None:
            if issubclass(category, TrainingDataWarning):
                print(f"clauseclf: warning: {message}", file=sys.stderr, flush=True)
            else:
                shown_otherwise(message, category, *args, **kwargs)

        warnings.simplefilter("always", TrainingDataWarning)
        warnings.showwarning = show
        yield


def _train_default_model(args: argparse.Namespace) -> int:
    from clauseclf.training import train_default_model

    train_default_model(
        args.data,
        args.out,
        annotations=args.annotations,
        seed=args.seed,
        encoder=_encoder(args.encoder),
        n_jobs=args.jobs,
    )
    return 0


def _encoder(spec: str | None) -> Any:
    """``--encoder``: None (the default model's encoder), ``minilm`` (the packaged
    sentence-transformers model) or a static encoder folder."""
    if spec == "minilm":
        from clauseclf.encoder import load_encoder

        return load_encoder()
    if spec is not None:
        from clauseclf.encoder import StaticEncoder

        return StaticEncoder(spec)
    return None


def _distill_encoder(args: argparse.Namespace) -> int:
    from clauseclf.encoder_training import distill_static_encoder

    if args.dimensions < 1:
        raise CLIError("--dimensions must be at least 1")
    _check_encoder_out(args.out)
    try:
        encoder = distill_static_encoder(args.out, dimensions=args.dimensions)
    except (ImportError, FileExistsError) as exc:
        raise CLIError(str(exc)) from None
    print(f"static encoder {encoder.name} ({encoder.dimension}-d) written to {args.out}")
    return 0


def _adapt_encoder(args: argparse.Namespace) -> int:
    from clauseclf.encoder import StaticEncoder
    from clauseclf.encoder_training import (
        adapt_static_encoder,
        policy_clauses,
        transformer_targets,
    )
    from clauseclf.errors import EncoderNotFoundError

    _check_encoder_out(args.out)
    try:
        source = StaticEncoder(args.source)
        texts = policy_clauses(args.data, documents=args.documents)
        print(f"{len(texts):,} distinct clauses", file=sys.stderr)
        targets = transformer_targets(texts, cache=args.cache, progress=not args.quiet)
        adapted = adapt_static_encoder(
            source,
            texts,
            targets,
            args.out,
            dimensions=args.dimensions,
            epochs=args.epochs,
            seed=args.seed,
            progress=not args.quiet,
            corpus={"archive": "policies-2023/corpus_text.tar.xz", "documents": args.documents},
        )
    except (EncoderNotFoundError, FileNotFoundError, FileExistsError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    report = adapted.metadata["adapted"]
    print(
        f"{adapted.name} ({adapted.dimension}-d) written to {args.out}: mean cosine to MiniLM on "
        f"{report['validation_clauses']:,} held-out clauses {report['validation_cosine_before']}"
        f" -> {report['validation_cosine_after']}"
    )
    return 0


def _check_encoder_out(out: Path) -> None:
    """``CLIError`` unless ``--out`` may receive a static encoder (checked before the work)."""
    from clauseclf.encoder import check_encoder_target

    try:
        check_encoder_target(out)
    except FileExistsError as exc:
        raise CLIError(str(exc)) from None
