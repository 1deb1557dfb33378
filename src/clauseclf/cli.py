"""The ``clauseclf`` command line: analyze, classify, segment, train."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from clauseclf import __version__

OUTPUT_FORMATS = ("table", "json", "jsonl", "csv")
ANALYZE_FORMATS = (*OUTPUT_FORMATS, "html")
COLOR_CHOICES = ("auto", "always", "never")
INPUT_FORMATS = ("auto", "text", "html", "markdown")
ENCODING_HELP = "encoding of the file (default: its BOM or declared charset, else UTF-8)"


class CLIError(Exception):
    """An error to report to the user as one line, with a non-zero exit code."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 bad input or model, 2 usage)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except CLIError as exc:
        print(f"clauseclf: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clauseclf",
        description="Segment platform policies into clauses and classify each clause.",
    )
    parser.add_argument("--version", action="version", version=f"clauseclf {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = commands.add_parser("analyze", help="segment a policy and classify every clause")
    analyze.add_argument("file", type=Path, help="policy file (.txt, .html, .md); '-' for stdin")
    analyze.add_argument("--platform", help="platform name recorded in the output")
    analyze.add_argument("--document", help="document title recorded in the output")
    analyze.add_argument(
        "--format",
        choices=ANALYZE_FORMATS,
        default="table",
        help="output format (default: table; html: a self-contained page with filters)",
    )
    analyze.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        default=None,
        help="input format (default: from the file name, else detected)",
    )
    analyze.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    analyze.add_argument("--encoding", default=None, help=ENCODING_HELP)
    analyze.add_argument(
        "--index",
        type=Path,
        default=None,
        help="html: list each clause's most similar clauses of other platforms from this "
        "clause index folder (clauseclf index build)",
    )
    analyze.add_argument(
        "--out", type=Path, default=None, help="write the output to this file (default: stdout)"
    )
    analyze.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="table: highlight the evidence (auto: when stdout is a terminal and NO_COLOR is "
        "not set)",
    )
    analyze.set_defaults(run=_run_analyze)

    classify = commands.add_parser(
        "classify", help="classify clause texts, one per line or JSON Lines with a 'text' field"
    )
    classify.add_argument(
        "file", type=Path, nargs="?", default=Path("-"), help="input file (default: stdin)"
    )
    classify.add_argument(
        "--input",
        choices=("lines", "jsonl"),
        default=None,
        help="input layout (default: jsonl for .jsonl files, else lines)",
    )
    classify.add_argument("--format", choices=OUTPUT_FORMATS, default="jsonl")
    classify.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    classify.set_defaults(run=_run_classify)

    segment = commands.add_parser("segment", help="split a policy into clauses (no model needed)")
    segment.add_argument("file", type=Path, help="policy file (.txt, .html, .md); '-' for stdin")
    segment.add_argument("--format", choices=OUTPUT_FORMATS, default="table")
    segment.add_argument("--input-format", choices=INPUT_FORMATS, default=None)
    segment.add_argument("--encoding", default=None, help=ENCODING_HELP)
    segment.set_defaults(run=_run_segment)

    train = commands.add_parser(
        "train",
        help="train a model on annotation files (.jsonl/.csv) and/or the shared corpora",
    )
    train.add_argument("files", type=Path, nargs="*", help="annotation files (.jsonl or .csv)")
    train.add_argument("--out", type=Path, required=True, help="model folder to write")
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
        choices=("auto", "jsonl", "csv", "label-studio", "doccano"),
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
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_run_train)

    distill = commands.add_parser(
        "distill-encoder",
        help="distil a fast static encoder from the packaged MiniLM (needs clauseclf[distill])",
    )
    distill.add_argument("--out", type=Path, required=True, help="encoder folder to write")
    distill.add_argument(
        "--dimensions", type=int, default=256, help="PCA dimensions of the vectors (default 256)"
    )
    distill.set_defaults(run=_run_distill_encoder)

    adapt = commands.add_parser(
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
    adapt.add_argument("--seed", type=int, default=0)
    adapt.add_argument("--quiet", action="store_true", help="no progress bars")
    adapt.set_defaults(run=_run_adapt_encoder)
    score = commands.add_parser(
        "score",
        help="score many policy files into one table (.parquet, .csv or .jsonl), resumable",
    )
    score.add_argument("paths", type=Path, nargs="+", help="policy files or folders of them")
    score.add_argument("--out", type=Path, required=True, help="results file to write")
    score.add_argument("--jobs", type=int, default=1, help="parallel workers (joblib; -1 = all)")
    score.add_argument("--resume", action="store_true", help="continue an interrupted run")
    score.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    score.add_argument(
        "--pattern", default="*", help="file name pattern inside folders (default: *)"
    )
    score.add_argument(
        "--cache", type=Path, default=None, help="embedding cache file (SQLite), kept across runs"
    )
    score.add_argument("--batch-size", type=int, default=64)
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    score.set_defaults(run=_run_score)
    index = commands.add_parser("index", help="build a clause index for similar-clause search")
    index_commands = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    build = index_commands.add_parser("build", help="index the clauses of scored results")
    build.add_argument(
        "results", type=Path, nargs="+", help="results of 'clauseclf score' (.parquet/.csv/.jsonl)"
    )
    build.add_argument("--out", type=Path, required=True, help="index folder to write")
    build.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    build.add_argument(
        "--backend",
        choices=("exact", "hnsw"),
        default="exact",
        help="search backend: exact numpy scan (default) or approximate HNSW for large indexes "
        "(needs clauseclf[ann])",
    )
    build.set_defaults(run=_run_index_build)
    similar = commands.add_parser(
        "similar", help="the most similar clauses of other platforms, from an index"
    )
    similar.add_argument("text", help="a clause text")
    similar.add_argument("--index", type=Path, required=True, help="index folder")
    similar.add_argument("-k", type=int, default=5, help="how many (default 5)")
    similar.add_argument("--any-type", action="store_true", help="do not restrict to the type")
    similar.add_argument("--exclude-platform", default=None)
    similar.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    similar.add_argument("--format", choices=("table", "json"), default="table")
    similar.set_defaults(run=_run_similar)
    evaluate = commands.add_parser(
        "evaluate",
        help="score a model on annotation files: per-type P/R/F1, severity accuracy, ECE",
    )
    evaluate.add_argument("files", type=Path, nargs="+", help="annotation files")
    evaluate.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
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
        choices=("auto", "jsonl", "csv", "label-studio", "doccano"),
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
    evaluate.set_defaults(run=_run_evaluate)
    export = commands.add_parser(
        "export-uncertain",
        help="write the clauses the model is least sure about as Label Studio/doccano tasks",
    )
    export.add_argument("files", type=Path, nargs="+", help="policy files to draw clauses from")
    export.add_argument("--out", type=Path, required=True, help="task file to write")
    export.add_argument("--to", choices=("label-studio", "doccano"), default="label-studio")
    export.add_argument("-n", type=int, default=50, help="how many clauses (default 50)")
    export.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    export.set_defaults(run=_run_export_uncertain)
    diff = commands.add_parser(
        "diff",
        help="compare two versions of a policy: clauses added, removed, reworded, what got worse",
    )
    diff.add_argument(
        "old", type=Path, help="older version: a saved JSON report or a policy file to analyze"
    )
    diff.add_argument(
        "new", type=Path, help="newer version: a saved JSON report or a policy file to analyze"
    )
    diff.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    diff.add_argument("--format", choices=("text", "json", "html"), default="text")
    diff.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="minimum word similarity (0-1) of a reworded clause (default 0.6)",
    )
    diff.add_argument("--all", action="store_true", help="text: also list unchanged clauses")
    diff.add_argument("--encoding", default=None, help=ENCODING_HELP)
    diff.set_defaults(run=_run_diff)
    return parser


def _run_distill_encoder(args: argparse.Namespace) -> int:
    from clauseclf.encoder import distill_static_encoder

    if args.dimensions < 1:
        raise CLIError("--dimensions must be at least 1")
    try:
        encoder = distill_static_encoder(args.out, dimensions=args.dimensions)
    except ImportError as exc:
        raise CLIError(str(exc)) from None
    print(f"static encoder {encoder.name} ({encoder.dimension}-d) written to {args.out}")
    return 0


def _run_adapt_encoder(args: argparse.Namespace) -> int:
    from clauseclf.encoder import EncoderNotFoundError, StaticEncoder
    from clauseclf.encoder_training import (
        adapt_static_encoder,
        policy_clauses,
        transformer_targets,
    )

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
    except (EncoderNotFoundError, FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    report = adapted.metadata["adapted"]
    print(
        f"{adapted.name} ({adapted.dimension}-d) written to {args.out}: mean cosine to MiniLM on "
        f"{report['validation_clauses']:,} held-out clauses {report['validation_cosine_before']}"
        f" -> {report['validation_cosine_after']}"
    )
    return 0


def _run_export_uncertain(args: argparse.Namespace) -> int:
    from clauseclf.annotation_tools import (
        prediction_margins,
        write_doccano_tasks,
        write_label_studio_tasks,
    )
    from clauseclf.documents import format_from_path
    from clauseclf.segmentation import segment_document

    if args.n < 1:
        raise CLIError("-n must be at least 1")
    texts: list[str] = []
    for path in args.files:
        text, _ = _read_input(path)
        segmented = segment_document(text, format=format_from_path(path))
        texts.extend(s.text for s in segmented.segments)
    texts = list(dict.fromkeys(texts))
    if not texts:
        raise CLIError("no clauses found in the given files")
    model = _load_model(args.model)
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


def _read_input(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The document's text and a name for messages; ``CLIError`` for unusable input."""
    from clauseclf.documents import DocumentError, decode_document

    if str(path) == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        if not path.exists():
            raise CLIError(f"{path}: no such file")
        if path.is_dir():
            raise CLIError(f"{path}: is a directory, not a document")
        try:
            data, name = path.read_bytes(), str(path)
        except OSError as exc:
            raise CLIError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return decode_document(data, name=name, encoding=encoding), name
    except DocumentError as exc:
        raise CLIError(str(exc)) from None


def _input_format(args: argparse.Namespace) -> str:
    from clauseclf.documents import format_from_path

    if args.input_format:
        return str(args.input_format)
    return "auto" if str(args.file) == "-" else format_from_path(args.file)


def _load_model(path: Path | None) -> Any:
    from clauseclf.encoder import EncoderNotFoundError
    from clauseclf.inference.head import ModelFormatError
    from clauseclf.inference.model import ClauseModel

    try:
        return ClauseModel.load(path)
    except (FileNotFoundError, ModelFormatError, EncoderNotFoundError) as exc:
        raise CLIError(str(exc)) from None


def _run_analyze(args: argparse.Namespace) -> int:
    if args.index is not None and args.format != "html":
        raise CLIError("--index is only used with --format html")
    if args.out is not None and args.out.is_dir():
        raise CLIError(f"{args.out}: is a directory; give --out a file name")
    text, name = _read_input(args.file, getattr(args, "encoding", None))
    model = _load_model(args.model)
    index = None if args.index is None else _load_index(args.index, model)
    report = model.analyze(
        text,
        platform=args.platform,
        document=args.document,
        format=_input_format(args),
        source=None if name == "<stdin>" else name,
    )
    if not report.clauses:
        raise CLIError(f"{name}: no clauses found in the document")
    if args.out is None:
        _write_analysis(report, args, name, index)
        return 0
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _write_analysis(report, args, name, index)
    _write_text_file(args.out, buffer.getvalue())
    print(f"{len(report.clauses)} clauses ({args.format}) written to {args.out}")
    return 0


def _write_analysis(report: Any, args: argparse.Namespace, name: str, index: Any) -> None:
    """``analyze``'s output for ``report`` in ``args.format``, on stdout."""
    from clauseclf.evidence import highlight

    rows = [clause.to_dict() for clause in report.clauses]
    if args.format == "json":
        _write_json(report.to_dict())
    elif args.format == "html":
        sys.stdout.write(report.to_html(index=index))
    elif args.format == "table":
        texts = None
        if _use_color(args.color):
            texts = [highlight(c.text, c.prediction.evidence, style="ansi") for c in report.clauses]
        _write_prediction_table(
            rows, title=_title(report.platform, report.document, name), texts=texts
        )
        _write_regulation_pointers(report, _terminal_width())
    else:
        _write_rows(rows, args.format)


def _write_regulation_pointers(report: Any, width: int) -> None:
    """Below the table: for each type found with medium or high severity, the regulations to
    check (``clauseclf.taxonomy.regulations_for``)."""
    from clauseclf.taxonomy import regulations_for

    adverse: dict[str, None] = {}
    for clause in report.clauses:
        for type_id, level in clause.prediction.severities.items():
            if level in ("medium", "high"):
                adverse[type_id] = None
    lines = []
    for type_id in adverse:
        try:
            refs = regulations_for(type_id)
        except KeyError:
            continue  # a custom type the package taxonomy does not know
        if refs:
            cited = "; ".join(
                f"{r.regulation} {r.reference}" if r.reference else r.regulation for r in refs
            )
            lines.append(_wrap(f"  {type_id}: ", cited, width))
    if lines:
        sys.stdout.write(
            "\nRegulations to check for the adverse types (pointers for review, not legal "
            "advice):\n" + "\n".join(lines) + "\n"
        )


def _use_color(choice: str) -> bool:
    """``--color``: always, never, or auto (stdout is a terminal and NO_COLOR is not set)."""
    if choice == "auto":
        return sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return choice == "always"


def _load_index(path: Path, model: Any) -> Any:
    from clauseclf.index import ClauseIndex, IndexFormatError

    try:
        return ClauseIndex.load(path, model)
    except (IndexFormatError, OSError) as exc:
        raise CLIError(str(exc)) from None


def _write_text_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` as UTF-8, atomically; ``CLIError`` if it cannot be written."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        staging.write_text(content, encoding="utf-8")
        os.replace(staging, path)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise CLIError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _run_classify(args: argparse.Namespace) -> int:
    text, name = _read_input(args.file, getattr(args, "encoding", None))
    layout = args.input or ("jsonl" if args.file.suffix.lower() == ".jsonl" else "lines")
    texts = _clause_texts(text, layout, name)
    if not texts:
        raise CLIError(f"{name}: no clause texts to classify")
    model = _load_model(args.model)
    rows = [
        {"index": i, "text": t, **p.to_dict()}
        for i, (t, p) in enumerate(zip(texts, model.classify(texts), strict=True))
    ]
    if args.format == "table":
        _write_prediction_table(rows, title=None)
    elif args.format == "json":
        _write_json(rows)
    else:
        _write_rows(rows, args.format)
    return 0


def _clause_texts(text: str, layout: str, name: str) -> list[str]:
    if layout == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    texts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CLIError(f"{name}, line {number}: invalid JSON: {exc.msg}") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise CLIError(f"{name}, line {number}: expected an object with a 'text' string")
        if not record["text"].strip():
            raise CLIError(f"{name}, line {number}: empty 'text'")
        texts.append(record["text"])
    return texts


def _run_segment(args: argparse.Namespace) -> int:
    from clauseclf.segmentation import segment_document

    text, name = _read_input(args.file, getattr(args, "encoding", None))
    document = segment_document(text, format=_input_format(args))
    if not document.segments:
        raise CLIError(f"{name}: no clauses found in the document")
    rows = [
        {"clause_index": i, "start": s.start, "end": s.end, "heading": s.heading, "text": s.text}
        for i, s in enumerate(document.segments)
    ]
    if args.format == "table":
        width = _terminal_width()
        heading: object = None
        for row in rows:
            if row["heading"] != heading:
                heading = row["heading"]
                print(f"\n== {heading} ==" if heading else "")
            print(_wrap(f"{row['clause_index']:>4}  ", str(row["text"]), width))
    elif args.format == "json":
        _write_json({"format": document.format, "clauses": rows})
    else:
        _write_rows(rows, args.format)
    return 0


def _run_train(args: argparse.Namespace) -> int:
    from clauseclf.corpora import AnnotationError
    from clauseclf.inference.head import ModelFormatError
    from clauseclf.taxonomy import TaxonomyError
    from clauseclf.training import train

    if not args.files and args.data is None:
        raise CLIError("give annotation files, --data DIR, or both")
    if args.data is not None and not args.data.is_dir():
        raise CLIError(f"{args.data}: no such data folder")
    for path in args.files:
        if not path.is_file():
            raise CLIError(f"{path}: no such file")
    try:
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
        )
    except (AnnotationError, TaxonomyError, ModelFormatError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    model.save(args.out)
    print(f"model written to {args.out}")
    return 0


def _run_score(args: argparse.Namespace) -> int:
    from clauseclf.batch import ScoringError, output_format, write_scores

    try:
        output_format(args.out)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
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
    model = _load_model(args.model).with_cache(args.cache)
    try:
        summary = write_scores(
            model,
            files,
            args.out,
            resume=args.resume,
            n_jobs=args.jobs,
            batch_size=args.batch_size,
            progress=not args.quiet,
        )
    except (FileExistsError, ScoringError, ValueError) as exc:
        raise CLIError(str(exc)) from None
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
    return 0


def _read_results(path: Path) -> Any:
    import pandas as pd

    from clauseclf.batch import output_format

    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    try:
        fmt = output_format(path)
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "csv":
            return pd.read_csv(path)
        return pd.read_json(path, lines=True, dtype={"document_id": str})
    except (ValueError, OSError) as exc:
        raise CLIError(f"{path}: cannot read results ({exc})") from None


def _run_index_build(args: argparse.Namespace) -> int:
    import pandas as pd

    from clauseclf.index import ClauseIndex

    frames = [_read_results(path) for path in args.results]
    model = _load_model(args.model)
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


def _run_similar(args: argparse.Namespace) -> int:
    from clauseclf.index import ClauseIndex, IndexFormatError

    model = _load_model(args.model)
    try:
        index = ClauseIndex.load(args.index, model)
        found = index.similar(
            args.text,
            k=args.k,
            same_type=not args.any_type,
            exclude_platform=args.exclude_platform,
        )
    except (IndexFormatError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    if args.format == "json":
        print(found.to_json(orient="records", force_ascii=False))
        return 0
    if found.empty:
        print("no similar clauses in the index")
        return 0
    width = _terminal_width()
    print(f"ranked by {index.measure}; similarity, then wording similarity:")
    for row in found.itertuples():
        print(
            f"{row.similarity:.3f} {row.wording_similarity:.3f}  {row.platform} - "
            f"{row.document}  [{row.label}, {row.severity}]"
        )
        print(_wrap("             ", str(row.text), width))
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    from clauseclf.corpora import AnnotationError, load_annotations
    from clauseclf.evaluation import evaluate, save_reliability_diagram

    for path in args.files:
        if not path.is_file():
            raise CLIError(f"{path}: no such file")
    model = _load_model(args.model)
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


def _run_diff(args: argparse.Namespace) -> int:
    from clauseclf.versions import SIMILARITY_THRESHOLD, diff

    threshold = SIMILARITY_THRESHOLD if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        raise CLIError("--threshold must be in (0, 1]")
    if str(args.old) == "-" and str(args.new) == "-":
        raise CLIError("only one of OLD and NEW can be '-' (stdin)")
    models: list[Any] = []  # the model, loaded only for a version that is not a saved report
    old = _diff_version(args.old, args, models)
    new = _diff_version(args.new, args, models)
    try:
        result = diff(old, new, threshold=threshold)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if args.format == "json":
        _write_json(result.to_dict())
    elif args.format == "html":
        sys.stdout.write(result.to_html())
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(result.format(width=_terminal_width(), color=color, unchanged=args.all))
    return 0


def _diff_version(path: Path, args: argparse.Namespace, models: list[Any]) -> Any:
    """A version for ``diff``: a saved report (``.json``) or a policy file analyzed now."""
    from clauseclf.documents import format_from_path
    from clauseclf.report import DocumentReport

    text, name = _read_input(path, args.encoding)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CLIError(f"{name}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        try:
            return DocumentReport.from_dict(data)
        except ValueError as exc:
            raise CLIError(
                f"{name}: not a saved clauseclf report (clauseclf analyze --format json): {exc}"
            ) from None
    if not models:
        models.append(_load_model(args.model))
    report = models[0].analyze(
        text,
        format="auto" if name == "<stdin>" else format_from_path(path),
        source=None if name == "<stdin>" else name,
    )
    if not report.clauses:
        raise CLIError(f"{name}: no clauses found in the document")
    return report


def _title(platform: str | None, document: str | None, name: str) -> str:
    parts = [p for p in (platform, document) if p]
    return " - ".join(parts) if parts else name


def _terminal_width() -> int:
    return max(60, min(160, shutil.get_terminal_size((100, 24)).columns))


def _wrap(prefix: str, text: str, width: int) -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=width,
        initial_indent=prefix,
        subsequent_indent=" " * len(prefix),
    )


def _write_prediction_table(
    rows: list[dict[str, Any]], *, title: str | None, texts: Sequence[str] | None = None
) -> None:
    """Readable table: one block per clause with its types, severity and confidence.

    ``texts`` replaces the rows' texts (e.g. with the evidence highlighted in ANSI codes)."""
    width = _terminal_width()
    out = sys.stdout
    if title:
        out.write(f"{title}: {len(rows)} clauses\n")
    out.write(f"{'#':>4}  {'type':<26} {'severity':<8} {'conf':>5}  clause\n")
    heading: str | None = None
    for position, row in enumerate(rows):
        if row.get("heading") != heading:
            heading = row.get("heading")
            if heading:
                out.write(f"\n      == {heading} ==\n")
        labels = list(row["labels"]) or [row["label"]]
        number = row.get("clause_index", row.get("index"))
        prefix = (
            f"{number:>4}  {', '.join(labels):<26} {row['severity']:<8} {row['confidence']:>5.2f}  "
        )
        if len(prefix) > width // 2:
            out.write(prefix.rstrip() + "\n")
            prefix = " " * 6
        if texts is None:
            out.write(_wrap(prefix, str(row["text"]), width) + "\n")
        else:
            out.write(_wrap_ansi(prefix, texts[position], width) + "\n")


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def _wrap_ansi(prefix: str, text: str, width: int) -> str:
    """``_wrap`` for a text with ANSI codes (``highlight(..., style="ansi")``): widths count
    visible characters only, and a highlight running over a line break is closed at the end of
    the line and reopened on the next, so the indentation is never underlined."""
    from clauseclf.evidence import ANSI_OFF, ANSI_ON

    lines: list[list[str]] = [[]]
    used = len(prefix)
    for word in text.split():
        size = len(_ANSI_CODE.sub("", word))
        if lines[-1] and used + 1 + size > width:
            lines.append([])
            used = len(prefix)
        used += size + (1 if lines[-1] else 0)
        lines[-1].append(word)
    out, highlighted = [], False
    for number, words in enumerate(lines):
        body = (ANSI_ON if highlighted else "") + " ".join(words)
        codes = _ANSI_CODE.findall(body)
        highlighted = bool(codes) and codes[-1] == ANSI_ON
        out.append((prefix if number == 0 else " " * len(prefix)) + body)
        if highlighted:
            out[-1] += ANSI_OFF
    return "\n".join(out)


def _write_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _write_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        _write_csv(rows, sys.stdout)


def _write_csv(rows: Iterable[dict[str, Any]], stream: TextIO) -> None:
    rows = list(rows)
    if not rows:
        return
    columns = [c for c in rows[0] if c != "probabilities"]
    writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                c: json.dumps(row[c], ensure_ascii=False) if isinstance(row[c], dict) else row[c]
                for c in columns
            }
        )


if __name__ == "__main__":
    raise SystemExit(main())
