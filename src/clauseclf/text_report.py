"""A report as plain text for a terminal and as Markdown (for an article or a ticket), verdict
first: the grade with its reason, findings per category, the adverse findings ranked by severity
and confidence (why each matters, what it means for you, the evidence, the citation record),
the protective findings, then the clauses (``other`` folded away).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from clauseclf.rendering import mark_regions, phrase_regions, report_name, wrap
from clauseclf.taxonomy import OTHER, regulations_for
from clauseclf.verdict import Finding, Verdict, report_verdict

if TYPE_CHECKING:
    from clauseclf.report import DocumentReport

#: Adverse findings listed in full before the rest are summarised.
TOP_FINDINGS = 10
REGULATION_NOTE = "pointers for review, not legal advice"


# -- terminal ----------------------------------------------------------------------------------


def verdict_text(verdict: Verdict, width: int, *, title: str | None = None) -> str:
    """The verdict as wrapped plain text: grade, counts per category, then the top adverse
    findings (with their explanation and evidence) and the protective ones in one line each."""
    grade = verdict.grade
    lines = [f"{title}" if title else "Verdict", ""]
    lines.append(wrap(f"Grade: {grade.label}  ", f"({grade.reason})", width))
    counts = verdict.category_counts()
    if counts:
        lines.append("")
        lines.append(f"  {'category':<22} {'adverse':>7} {'neutral':>7} {'protective':>10}")
        for category, c in counts.items():
            lines.append(
                f"  {category:<22} {c['adverse']:>7} {c['neutral']:>7} {c['protective']:>10}"
            )
    adverse = verdict.adverse
    lines += ["", f"What matters most ({len(adverse)} adverse findings):"]
    for number, finding in enumerate(adverse[:TOP_FINDINGS], start=1):
        lines.append("")
        lines += _finding_lines(number, finding, width)
    if len(adverse) > TOP_FINDINGS:
        rest = ", ".join(f"{f.type} ({f.severity})" for f in adverse[TOP_FINDINGS:])
        lines += ["", wrap(f"  and {len(adverse) - TOP_FINDINGS} more: ", rest, width)]
    protective = verdict.protective
    if protective:
        lines.append("")
        names = ", ".join(f"{f.type} (#{f.clause_index})" for f in protective)
        lines.append(wrap(f"Protective ({len(protective)}): ", names, width))
    return "\n".join(lines) + "\n"


def _finding_lines(number: int, finding: Finding, width: int) -> list[str]:
    head = (
        f"{number:>2}. {finding.severity.upper()} {finding.type}, confidence "
        f"{finding.confidence:.2f}, clause #{finding.clause_index}"
    )
    lines = [head]
    explanation = finding.explanation
    if explanation is not None:
        lines.append(wrap("    Why it matters: ", explanation.why_it_matters, width))
        lines.append(wrap("    For you: ", explanation.what_it_means, width))
    lines.append(wrap("    Clause: ", f'"{finding.text}"', width))
    if finding.evidence:
        lines.append(wrap("    Evidence: ", "; ".join(finding.evidence), width))
    lines.append(wrap("    Record: ", finding.citation.record_id, width))
    return lines


# -- Markdown ----------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(text: str) -> str:
    """``text`` on one line with Markdown's special characters backslash-escaped."""
    return _escape_markdown(" ".join(str(text).split()))


def _escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: DocumentReport, verdict: Verdict | None = None) -> str:
    """The report as Markdown (see the module docstring); ``verdict`` defaults to
    ``report_verdict(report)``."""
    verdict = verdict or report_verdict(report)
    grade = verdict.grade
    out = [f"# Clause report: {md(report_name(report))}", ""]
    out += [f"**Grade: {grade.label}** ({md(grade.reason)})", ""]
    out += [
        "<sub>Grade: each clause type found with confidence >= 0.5 counts once at its most "
        "adverse severity (high 3, medium 1, low 0, protective -1); see the clauseclf README. "
        "Findings are a model's predictions, not legal advice.</sub>",
        "",
    ]
    counts = verdict.category_counts()
    if counts:
        out += ["| category | adverse | neutral | protective |", "|---|---:|---:|---:|"]
        out += [
            f"| {md(c)} | {n['adverse']} | {n['neutral']} | {n['protective']} |"
            for c, n in counts.items()
        ]
        out.append("")
    adverse = verdict.adverse
    out += [f"## What matters most ({len(adverse)} adverse findings)", ""]
    if not adverse:
        out += ["No adverse finding.", ""]
    for number, finding in enumerate(adverse[:TOP_FINDINGS], start=1):
        out += _finding_markdown(number, finding)
    if len(adverse) > TOP_FINDINGS:
        out += [
            f"<details><summary>{len(adverse) - TOP_FINDINGS} more adverse findings</summary>",
            "",
        ]
        for number, finding in enumerate(adverse[TOP_FINDINGS:], start=TOP_FINDINGS + 1):
            out += _finding_markdown(number, finding)
        out += ["</details>", ""]
    protective = verdict.protective
    if protective:
        out += [f"## Protective findings ({len(protective)})", ""]
        for number, finding in enumerate(protective, start=1):
            out += _finding_markdown(number, finding)
    out += _clauses_markdown(report)
    out += ["## Provenance", ""]
    analysed = report.analyzed_at.isoformat(timespec="seconds") if report.analyzed_at else None
    for key, value in (
        ("source", report.source),
        ("document SHA-256", report.sha256),
        ("analysed", analysed),
        ("model", report.model_id),
        ("model version", report.model_version),
    ):
        out.append(f"- {key}: {md(value) if value else 'unknown'}")
    return "\n".join(out) + "\n"


def _finding_markdown(number: int, finding: Finding) -> list[str]:
    out = [
        f"### {number}. {finding.severity} · {md(finding.type)} · confidence "
        f"{finding.confidence:.2f} (clause #{finding.clause_index})",
        "",
    ]
    explanation = finding.explanation
    if explanation is not None:
        out += [
            f"**Why it matters:** {md(explanation.why_it_matters)}",
            "",
            f"**What it means for you:** {md(explanation.what_it_means)}",
            "",
        ]
    text = " ".join(finding.text.split())
    marked = mark_regions(
        text, phrase_regions(text, finding.evidence), _escape_markdown, "**", "**"
    )
    out += [f"> {marked}", ""]
    try:
        refs = regulations_for(finding.type)
    except KeyError:
        refs = ()
    if refs:
        cited = "; ".join(
            f"{r.regulation} {r.reference}" if r.reference else r.regulation for r in refs
        )
        out += [f"Regulations to check ({REGULATION_NOTE}): {md(cited)}", ""]
    out += [f"Cite as: {md(str(finding.citation))} (record `{finding.citation.record_id}`)", ""]
    return out


def _clauses_markdown(report: DocumentReport) -> list[str]:
    def table(clauses: list[tuple[int, str, str, float, str]]) -> list[str]:
        rows = ["| # | types | severity | confidence | clause |", "|---:|---|---|---:|---|"]
        rows += [f"| {i} | {md(t)} | {s} | {c:.2f} | {md(x)} |" for i, t, s, c, x in clauses]
        return rows

    typed: list[tuple[int, str, str, float, str]] = []
    other: list[tuple[int, str, str, float, str]] = []
    for clause in report.clauses:
        types = ", ".join(clause.prediction.labels) or OTHER
        row = (clause.index, types, clause.severity, clause.confidence, clause.text)
        (typed if clause.prediction.labels else other).append(row)
    out = [f"## Clauses ({len(report.clauses)})", ""]
    if typed:
        out += [*table(typed), ""]
    if other:
        out += [f"<details><summary>{len(other)} clauses of type other</summary>", ""]
        out += [*table(other), "", "</details>", ""]
    return out
