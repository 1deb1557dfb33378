"""HTML for verdicts and findings, shared by the report page, ``compare`` and the atlas: the
grade badge, counts per category, and one card per finding (severity, confidence, type, why it
matters, what it means for you, the clause with its evidence, regulations, how other platforms
handle it, the citation record). Every text is HTML-escaped here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from clauseclf.rendering import display_name, mark_regions, phrase_regions
from clauseclf.taxonomy import SEVERITY_SCALE, regulations_for
from clauseclf.verdict import (
    GRADE_BANDS,
    GRADE_POINTS,
    MIN_CONFIDENCE,
    MIN_CONFIDENT_SHARE,
    MIN_GRADED_TYPES,
    Finding,
    Grade,
    Verdict,
)

if TYPE_CHECKING:
    from clauseclf.context import FindingContext
    from clauseclf.index.similar import SimilarClauses

_e = html.escape
#: Shown with every list of regulation pointers.
REGULATION_NOTE = "Pointers for review, not legal advice."
#: Adverse findings shown before the rest are folded away.
TOP_FINDINGS = 10


def severity_class(severity: str) -> str:
    """The CSS class of ``severity`` (``sev-unknown`` for a level outside the scale)."""
    return f"sev-{severity}" if severity in SEVERITY_SCALE else "sev-unknown"


def grade_badge(grade: Grade) -> str:
    """The grade letter in a coloured box (``not graded`` in grey), with its reason as title."""
    if grade.letter is None:
        return f'<span class="grade not-graded" title="{_e(grade.reason)}">not graded</span>'
    return (
        f'<span class="grade grade-{grade.letter}" title="{_e(grade.reason)}" '
        f'aria-label="grade {grade.letter}">{grade.letter}</span>'
    )


def grade_formula() -> str:
    """The grade formula in words (the same as ``clauseclf.verdict``'s docstring)."""
    bands = ", ".join(f"{band} &le; {ceiling}" for band, ceiling in GRADE_BANDS)
    points = ", ".join(f"{s} {p:+d}" for s, p in GRADE_POINTS.items())
    return (
        f"Each clause type found with confidence &ge; {MIN_CONFIDENCE} counts once, at its most "
        f"adverse severity ({points}; none = protective). Score = the sum. Grades: {bands}, "
        "E above (A and B only without a high type). Not graded with fewer than "
        f"{MIN_GRADED_TYPES} types counted or under {MIN_CONFIDENT_SHARE:.0%} of findings "
        "confident."
    )


def verdict_html(
    verdict: Verdict,
    *,
    contexts: Mapping[tuple[int, str], FindingContext] | None = None,
    clause_links: bool = True,
) -> str:
    """The verdict section: grade, counts per category, adverse findings (the first
    ``TOP_FINDINGS`` open, the rest folded), protective findings folded."""
    grade = verdict.grade
    counts = verdict.category_counts()
    rows = "".join(
        f'<tr data-category="{_e(category)}"><th scope="row">{_e(category)}</th>'
        f"<td>{c['adverse']}</td><td>{c['neutral']}</td><td>{c['protective']}</td></tr>"
        for category, c in counts.items()
    )
    table = (
        '<table class="grid categories"><caption>Findings per category</caption>'
        '<tr><th scope="col">category</th><th scope="col">adverse</th>'
        f'<th scope="col">neutral</th><th scope="col">protective</th></tr>{rows}</table>'
        if rows
        else '<p class="muted">No clause type was found in this document.</p>'
    )
    contexts = contexts or {}

    def cards(findings: tuple[Finding, ...]) -> str:
        return "".join(
            finding_html(
                f, context=contexts.get((f.clause_index, f.type)), clause_link=clause_links
            )
            for f in findings
        )

    adverse, protective = verdict.adverse, verdict.protective
    parts = [
        '<section class="verdict" aria-labelledby="verdict-title">',
        '<h2 id="verdict-title">Verdict</h2>',
        f'<div class="grade-line">{grade_badge(grade)} <span class="grade-reason">'
        f"{_e(grade.reason)}</span></div>",
        f'<details class="formula"><summary>How the grade is computed</summary><p>'
        f"{grade_formula()}</p></details>",
        table,
        f'<h3 class="findings-title">What matters most ({len(adverse)} adverse finding'
        f"{'' if len(adverse) == 1 else 's'})</h3>",
    ]
    if not adverse:
        parts.append('<p class="muted">No adverse finding.</p>')
    parts.append(f'<div class="findings top">{cards(adverse[:TOP_FINDINGS])}</div>')
    if len(adverse) > TOP_FINDINGS:
        parts.append(
            f"<details><summary>{len(adverse) - TOP_FINDINGS} more adverse findings</summary>"
            f'<div class="findings">{cards(adverse[TOP_FINDINGS:])}</div></details>'
        )
    if protective:
        parts.append(
            f'<details class="protective"><summary>Protective findings ({len(protective)})'
            f'</summary><div class="findings">{cards(protective)}</div></details>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def finding_html(
    finding: Finding,
    *,
    context: FindingContext | None = None,
    clause_link: bool = True,
    heading_level: int = 4,
) -> str:
    """One finding's card (see the module docstring)."""
    explanation = finding.explanation
    h = f"h{heading_level}"
    where = (
        f'<a href="#clause-{finding.clause_index}">clause #{finding.clause_index}</a>'
        if (clause_link)
        else f"clause #{finding.clause_index}"
    )
    parts = [
        f'<article class="finding {severity_class(finding.severity)}" '
        f'data-type="{_e(finding.type)}" data-severity="{_e(finding.severity)}" '
        f'data-confidence="{finding.confidence:.4f}">',
        f'<{h}><span class="badge {severity_class(finding.severity)}">'
        f"{_e(finding.severity)}</span> {_e(finding.type)} "
        f'<span class="muted">confidence {finding.confidence:.2f}, {finding.stance}, '
        f"{where}</span></{h}>",
    ]
    if explanation is not None:
        parts.append(
            f'<p class="why"><strong>Why it matters:</strong> {_e(explanation.why_it_matters)}</p>'
            f'<p class="means"><strong>What it means for you:</strong> '
            f"{_e(explanation.what_it_means)}</p>"
        )
    parts.append(f"<blockquote>{mark_phrases(finding.text, finding.evidence)}</blockquote>")
    if finding.evidence:
        phrases = ", ".join(f"<q>{_e(p)}</q>" for p in finding.evidence)
        parts.append(f'<p class="evidence-list muted">Evidence: {phrases}</p>')
    parts.append(regulations_html([finding.type]))
    if context is not None:
        parts.append(context_html(context))
    parts.append(
        f'<p class="citation">Cite as: {_e(str(finding.citation))} '
        f"[record {_e(finding.citation.record_id)}]</p>"
    )
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


def mark_phrases(text: str, phrases: tuple[str, ...]) -> str:
    """``text`` escaped, with every occurrence of the evidence ``phrases`` in ``<mark>``."""
    return mark_regions(text, phrase_regions(text, phrases), _e, "<mark>", "</mark>")


def regulations_html(types: list[str]) -> str:
    """A collapsed list of the regulations to check for each of ``types`` (empty if none)."""
    groups = []
    for clause_type in types:
        try:
            refs = regulations_for(clause_type)
        except KeyError:  # ``other`` has none; a custom type the package does not know
            continue
        if refs:
            groups.append((clause_type, refs))
    if not groups:
        return ""
    items = "".join(
        f"<li><strong>{_e(t)}</strong><ul>"
        + "".join(f"<li>{_e(str(ref))}</li>" for ref in refs)
        + "</ul></li>"
        for t, refs in groups
    )
    count = sum(len(refs) for _, refs in groups)
    return (
        f'<details class="regulations"><summary>Regulations to check ({count}) '
        f'<span class="note">{_e(REGULATION_NOTE)}</span></summary><ul>{items}</ul></details>'
    )


def context_html(context: FindingContext) -> str:
    """Prevalence, uniqueness and similar clauses on other platforms."""
    return (
        f'<div class="context"><p class="prevalence">{_e(context.prevalence)}. '
        f"{_e(context.uniqueness)}.</p>{similar_html(context.similar)}</div>"
    )


def similar_html(found: SimilarClauses) -> str:
    """The answer of ``ClauseIndex.similar`` as a list (a sentence saying why when it is
    empty), each clause with the practice it shares with the query, where known."""
    if found.empty:
        return (
            '<div class="similar"><p class="muted">No similar clause of this type on other '
            f"platforms in the index: {_e(found.reason)}.</p></div>"
        )
    items = []
    for row in found.clauses.to_dict(orient="records"):
        where = display_name(cell(row["platform"]), cell(row["document"]), "unknown platform")
        name = cell(row.get("practice"))
        practice = f' <span class="muted">({_e(name)})</span>' if name else ""
        items.append(
            f'<li><span class="muted">similarity {float(row["similarity"]):.2f}</span> '
            f"<strong>{_e(where)}</strong> "
            f"[{_e(cell(row['label']))}, {_e(cell(row['severity']))}, "
            f"{_e(cell(row.get('stance')))}]{practice}<br>"
            f"<q>{_e(cell(row['text']))}</q></li>"
        )
    return (
        f'<details class="similar" open><summary>Similar clauses on other platforms '
        f"({len(items)})</summary><ol>{''.join(items)}</ol></details>"
    )


def cell(value: Any) -> str:
    """A DataFrame cell as text: missing values (None, NaN, NA) as an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return ""
    return str(value)
