"""``clauseclf analyze`` (segment a policy and classify every clause) and ``clauseclf classify``
(classify clause texts), with the clause table both print."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf.cli._common import (
    ANALYZE_FORMATS,
    COLOR_CHOICES,
    ENCODING_HELP,
    INPUT_FORMATS,
    MODEL_HELP,
    OUTPUT_FORMATS,
    SORT_ORDERS,
    SOURCE_HELP,
    CLIError,
    load_model,
    read_input,
    read_source,
    terminal_width,
    write_json,
    write_rows,
    write_text_file,
)
from clauseclf.errors import DocumentError, TokenizerError
from clauseclf.rendering import clause_types, display_name, wrap

if TYPE_CHECKING:
    from clauseclf.index import ClauseIndex
    from clauseclf.inference.model import ClauseModel
    from clauseclf.report import AnalyzedClause, DocumentReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``analyze`` and ``classify`` to the subcommands ``sub``."""
    analyze = sub.add_parser("analyze", help="segment a policy and classify every clause")
    analyze.add_argument("file", help=SOURCE_HELP)
    analyze.add_argument("--platform", help="platform name recorded in the output")
    analyze.add_argument("--document", help="document title recorded in the output")
    analyze.add_argument(
        "--format",
        choices=ANALYZE_FORMATS,
        default="table",
        help="output format (default: table: the verdict, then the clauses; html: a "
        "self-contained page with filters; markdown: for an article or a ticket)",
    )
    analyze.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        default=None,
        help="input format (default: from the file name, else detected)",
    )
    analyze.add_argument("--model", type=Path, help=MODEL_HELP)
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
    analyze.add_argument(
        "--sort",
        choices=SORT_ORDERS,
        default="document",
        help="table: order of the clauses (severity: most adverse first, then confidence)",
    )
    analyze.add_argument(
        "--all",
        action="store_true",
        help="table: list the clauses of type other too (folded away by default)",
    )
    analyze.set_defaults(run=run)

    classify = sub.add_parser(
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
    classify.add_argument("--model", type=Path, help=MODEL_HELP)
    classify.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``analyze`` or ``classify`` (``args.command``); returns the exit code."""
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "analyze": _analyze,
        "classify": _classify,
    }
    return commands[args.command](args)


def _analyze(args: argparse.Namespace) -> int:

    if args.index is not None and args.format != "html":
        raise CLIError("--index is only used with --format html")
    if args.out is not None and args.out.is_dir():
        raise CLIError(f"{args.out}: is a directory; give --out a file name")
    text, name, fmt = read_source(args)
    model = load_model(args.model)
    index = None if args.index is None else _load_index(args.index, model)
    try:
        report = model.analyze(
            text,
            platform=args.platform,
            document=args.document,
            format=fmt,
            source=None if name == "<stdin>" else name,
            progress=sys.stderr.isatty(),
        )
    except (DocumentError, TokenizerError) as exc:  # e.g. HTML nested past the parser's limit
        raise CLIError(f"{name}: {exc}") from None
    if not report.clauses:
        raise CLIError(f"{name}: no clauses found in the document")
    if args.out is None:
        _write_analysis(report, args, name, index)
        return 0
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _write_analysis(report, args, name, index)
    write_text_file(args.out, buffer.getvalue())
    print(f"{len(report.clauses)} clauses ({args.format}) written to {args.out}")
    return 0


def _classify(args: argparse.Namespace) -> int:
    layout = args.input or ("jsonl" if args.file.suffix.lower() == ".jsonl" else "lines")
    if layout == "jsonl":
        texts, name = _jsonl_texts(args.file)
    else:
        text, name = read_input(args.file, getattr(args, "encoding", None))
        texts = [line.strip() for line in text.splitlines() if line.strip()]
    if not texts:
        raise CLIError(f"{name}: no clause texts to classify")
    model = load_model(args.model)
    rows = [
        {"index": i, "text": t, **p.to_dict()}
        for i, (t, p) in enumerate(zip(texts, model.classify(texts), strict=True))
    ]
    if args.format == "table":
        _write_prediction_table(rows, title=None)
    elif args.format == "json":
        write_json(rows)
    else:
        write_rows(rows, args.format)
    return 0


def _jsonl_texts(path: Path) -> tuple[list[str], str]:
    """``classify``'s JSON Lines input (UTF-8): the ``text`` of each non-blank line, read one
    line at a time (a line longer than ``limits.MAX_LINE_BYTES`` is refused), and its name."""
    from clauseclf import _json
    from clauseclf.errors import TooLargeError
    from clauseclf.limits import capped_lines

    name = "<stdin>" if str(path) == "-" else str(path)
    if name != "<stdin>" and path.is_dir():
        raise CLIError(f"{path}: is a directory, not a JSON Lines file")
    texts = []
    try:
        with contextlib.ExitStack() as stack:
            handle = sys.stdin.buffer if name == "<stdin>" else stack.enter_context(path.open("rb"))
            for number, raw in capped_lines(handle, name):
                where = f"{name}, line {number}"
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 BOM
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    record = _json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    raise CLIError(f"{where}: not valid UTF-8; convert the file to UTF-8") from None
                except json.JSONDecodeError as exc:
                    raise CLIError(f"{where}: invalid JSON: {exc.msg}") from None
                if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                    raise CLIError(f"{where}: expected an object with a 'text' string")
                if not record["text"].strip():
                    raise CLIError(f"{where}: empty 'text'")
                texts.append(record["text"])
    except FileNotFoundError:
        raise CLIError(f"{path}: no such file") from None
    except TooLargeError as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(f"{name}: cannot read: {exc.strerror or exc}") from None
    return texts, name


def _load_index(path: Path, model: ClauseModel) -> ClauseIndex:
    from clauseclf.errors import IndexFormatError
    from clauseclf.index import ClauseIndex

    try:
        return ClauseIndex.load(path, model)
    except (IndexFormatError, OSError) as exc:
        raise CLIError(str(exc)) from None


def _write_analysis(
    report: DocumentReport, args: argparse.Namespace, name: str, index: ClauseIndex | None
) -> None:
    """``analyze``'s output for ``report`` in ``args.format``, on stdout."""
    from clauseclf.evidence import highlight

    if args.format == "json":
        from clauseclf.verdict import report_verdict

        write_json({**report.to_dict(), "verdict": report_verdict(report).to_dict()})
    elif args.format == "html":
        sys.stdout.write(report.to_html(index=index))
    elif args.format == "markdown":
        from clauseclf.text_report import render_markdown

        sys.stdout.write(render_markdown(report))
    elif args.format == "table":
        from clauseclf.text_report import verdict_text
        from clauseclf.verdict import report_verdict

        title = display_name(report.platform, report.document, name)
        sys.stdout.write(verdict_text(report_verdict(report), terminal_width(), title=title))
        clauses = _ordered_clauses(report, args.sort, args.all)
        rows = [clause.to_dict() for clause in clauses]
        texts = None
        if _use_color(args.color):
            texts = [highlight(c.text, c.prediction.evidence, style="ansi") for c in clauses]
        sys.stdout.write(f"\nClauses: {_shown(report, clauses)}\n")
        _write_prediction_table(rows, title=None, texts=texts)
        _write_regulation_pointers(report, terminal_width())
    else:
        write_rows([clause.to_dict() for clause in report.clauses], args.format)


def _ordered_clauses(report: DocumentReport, order: str, show_other: bool) -> list[AnalyzedClause]:
    """The clauses for the table: ``other`` left out unless ``show_other``, in ``order``."""
    from clauseclf.verdict import severity_rank

    clauses = [c for c in report.clauses if show_other or c.prediction.labels]
    if order == "severity":
        clauses.sort(key=lambda c: (-severity_rank(c.severity), -c.confidence, c.index))
    elif order == "confidence":
        clauses.sort(key=lambda c: (-c.confidence, c.index))
    return clauses


def _shown(report: DocumentReport, clauses: list[AnalyzedClause]) -> str:
    hidden = len(report.clauses) - len(clauses)
    return f"{len(clauses)} of {len(report.clauses)}" + (
        f"; {hidden} of type other not shown, --all lists them" if hidden else ""
    )


def _write_regulation_pointers(report: DocumentReport, width: int) -> None:
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
            lines.append(wrap(f"  {type_id}: ", cited, width))
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


def _write_prediction_table(
    rows: list[dict[str, Any]], *, title: str | None, texts: Sequence[str] | None = None
) -> None:
    """Readable table: one block per clause with its types, severity and confidence.

    ``texts`` replaces the rows' texts (e.g. with the evidence highlighted in ANSI codes)."""
    width = terminal_width()
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
        types = clause_types(row["labels"], row["label"])
        number = row.get("clause_index", row.get("index"))
        prefix = (
            f"{number:>4}  {', '.join(types):<26} {row['severity']:<8} {row['confidence']:>5.2f}  "
        )
        if len(prefix) > width // 2:
            out.write(prefix.rstrip() + "\n")
            prefix = " " * 6
        if texts is None:
            out.write(wrap(prefix, str(row["text"]), width) + "\n")
        else:
            out.write(_wrap_ansi(prefix, texts[position], width) + "\n")


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def _wrap_ansi(prefix: str, text: str, width: int) -> str:
    """``clauseclf.rendering.wrap`` for a text with ANSI codes (``highlight(..., style="ansi")``):
    widths count visible characters only, and a highlight running over a line break is closed at
    the end of the line and reopened on the next, so the indentation is never underlined."""
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
