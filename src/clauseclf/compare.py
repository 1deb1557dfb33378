"""Platforms side by side: ``compare_reports(reports)`` lines up the verdicts of several
documents per clause type, and ``comparison_text`` / ``comparison_html`` render the grid (a
terminal table, a self-contained page with the wordings side by side).

A cell is the platform's most adverse finding of the type (then the most confident); an empty
cell means the type was not found, which is not the same as a protective finding (severity
``none``, e.g. "we do not sell your data").

A platform's stance is its latest version: of several dated versions of one platform's document
(a ``YYYY-MM-DD`` in the report's source, else in its title, as in
``clauseclf.collection_versions``; versions share their platform, else their name, and their
title once the dates are taken out) only the latest is a column, and ``Comparison.left_out``
names the others (``clauseclf diff`` compares versions).
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING

from clauseclf.collection_versions import undated_title, version_date
from clauseclf.html_page import BASE_CSS, page
from clauseclf.html_verdict import grade_badge, grade_formula, mark_phrases, severity_class
from clauseclf.rendering import report_name
from clauseclf.taxonomy import OTHER, default_taxonomy
from clauseclf.verdict import Finding, Verdict, report_verdict, severity_rank

if TYPE_CHECKING:
    from clauseclf.report import DocumentReport

_e = html.escape
ABSENT = "-"


@dataclass(frozen=True)
class Comparison:
    """``names[i]``'s verdict is ``verdicts[i]``; ``types`` are those found in any, in taxonomy
    order (unknown types after, alphabetically); ``left_out``: the earlier versions not
    compared, as "name (YYYY-MM-DD)"."""

    names: tuple[str, ...]
    verdicts: tuple[Verdict, ...]
    left_out: tuple[str, ...] = ()

    @property
    def types(self) -> tuple[str, ...]:
        """The types found in any verdict, in taxonomy order, unknown types after (sorted)."""
        found = {f.type for v in self.verdicts for f in v.findings}
        order = [t for t in default_taxonomy().type_ids if t in found]
        return tuple(order + sorted(found - set(order) - {OTHER}))

    def cell(self, position: int, type_id: str) -> Finding | None:
        """The most adverse, then most confident, finding of ``type_id`` for platform
        ``position``; None when the type was not found."""
        found = [f for f in self.verdicts[position].findings if f.type == type_id]
        if not found:
            return None
        return max(found, key=lambda f: (severity_rank(f.severity), f.confidence))


def compare_reports(
    reports: Sequence[DocumentReport], names: Sequence[str] | None = None
) -> Comparison:
    """The comparison of ``reports`` (``DocumentReport``s) at each platform's latest version;
    ``names`` default to each report's platform and document. ``ValueError`` for fewer than two
    reports or platforms, a wrong name count or two versions of one date."""
    if len(reports) < 2:
        raise ValueError(f"compare needs at least two documents, got {len(reports)}")
    if names is None:
        names = [report_name(r) for r in reports]
    if len(names) != len(reports):
        raise ValueError(f"{len(names)} names for {len(reports)} documents")
    earlier = _earlier_versions(reports, names)
    kept = [i for i in range(len(reports)) if i not in earlier]
    if len(kept) < 2:
        raise ValueError(
            f"compare needs at least two platforms: the documents are versions of "
            f"{names[kept[0]]!r} (compare versions with clauseclf diff)"
        )
    return Comparison(
        tuple(names[i] for i in kept),
        tuple(report_verdict(reports[i]) for i in kept),
        tuple(f"{names[i]} ({when.isoformat()})" for i, when in sorted(earlier.items())),
    )


def _earlier_versions(reports: Sequence[DocumentReport], names: Sequence[str]) -> dict[int, date]:
    """Position -> date of every report that is an earlier dated version of another's document.
    ``ValueError`` naming both when two versions have the same date."""
    groups: dict[tuple[str, str], list[tuple[date, int]]] = defaultdict(list)
    for position, (report, name) in enumerate(zip(reports, names, strict=True)):
        when = version_date(report.source or "", report.document)
        if when is not None:
            key = (undated_title(report.platform or name), undated_title(report.document or ""))
            groups[key].append((when, position))
    earlier = {}
    for group in groups.values():
        group.sort()
        for (a, first), (b, second) in pairwise(group):
            if a == b:
                raise ValueError(
                    f"{names[first]!r} and {names[second]!r} are versions of one document "
                    f"dated {a.isoformat()}"
                )
        earlier.update({position: when for when, position in group[:-1]})
    return earlier


def _cell_text(finding: Finding | None) -> str:
    if finding is None:
        return ABSENT
    mark = "" if finding.counted else "?"
    return f"{finding.severity} {finding.confidence:.2f}{mark}"


def comparison_text(comparison: Comparison, width: int = 100) -> str:
    """The grid as a terminal table: grades, then one row per type ("-" = not found; "?" =
    below the grade's confidence cut-off)."""
    names = comparison.names
    column = max(12, min(22, (width - 26) // max(1, len(names))))
    short = [n if len(n) <= column - 1 else n[: column - 2] + "~" for n in names]
    lines = ["".join([f"{'':<26}", *(f"{n:<{column}}" for n in short)]).rstrip()]
    lines.append(
        "".join([f"{'grade':<26}", *(f"{v.grade.label:<{column}}" for v in comparison.verdicts)])
    )
    category = None
    for type_id in comparison.types:
        try:
            current = default_taxonomy().get(type_id).category
        except KeyError:
            current = None
        if current != category:
            category = current
            lines.append(f"-- {category or 'uncategorised'}")
        cells = [_cell_text(comparison.cell(i, type_id)) for i in range(len(names))]
        lines.append("".join([f"  {type_id:<24}", *(f"{c:<{column}}" for c in cells)]).rstrip())
    lines.append(
        "\n'-' not found (not the same as protective: severity none); '?' confidence below "
        "the grade's cut-off."
    )
    if comparison.left_out:
        lines.append(f"Earlier versions left out (latest compared): {_left_out(comparison)}.")
    return "\n".join(lines) + "\n"


def comparison_html(comparison: Comparison, *, title: str = "Platforms side by side") -> str:
    """A self-contained page: the grid (grades, then per type each platform's finding,
    coloured by severity, labelled in words), then per type the wordings side by side."""
    head = "".join(f'<th scope="col">{_e(n)}</th>' for n in comparison.names)
    grades = "".join(f"<td>{grade_badge(v.grade)}</td>" for v in comparison.verdicts)
    rows = [f'<tr><th scope="row">grade</th>{grades}</tr>']
    sections = []
    for type_id in comparison.types:
        cells, wordings = [], []
        for position, name in enumerate(comparison.names):
            finding = comparison.cell(position, type_id)
            if finding is None:
                cells.append('<td class="absent">not found</td>')
                continue
            cells.append(
                f'<td class="{severity_class(finding.severity)}" data-severity='
                f'"{_e(finding.severity)}"><a href="#{_e(type_id)}-{position}">'
                f"{_e(finding.severity)}</a> "
                f'<span class="muted">{finding.confidence:.2f}, {finding.stance}</span></td>'
            )
            wordings.append(
                f'<td id="{_e(type_id)}-{position}" class="{severity_class(finding.severity)}">'
                f"<strong>{_e(name)}</strong> ({_e(finding.severity)})<br>"
                f"{mark_phrases(finding.text, finding.evidence)}</td>"
            )
        rows.append(
            f'<tr data-type="{_e(type_id)}"><th scope="row">{_e(type_id)}</th>{"".join(cells)}</tr>'
        )
        sections.append(
            f'<section class="wordings"><h3>{_e(type_id)}</h3><table class="grid"><tr>'
            f"{''.join(wordings)}</tr></table></section>"
        )
    body = [
        f"<header><h1>{_e(title)}</h1></header>",
        '<main><table class="grid comparison" aria-label="clause types by platform">'
        f'<tr><th scope="col">clause type</th>{head}</tr>{"".join(rows)}</table>',
        f'<p class="muted">A cell is the platform&#x27;s most adverse finding of the type. '
        f"&quot;not found&quot; is not the same as protective (severity none). "
        f"{grade_formula()}</p>",
        *(
            [
                f'<p class="left-out">Earlier versions left out (latest compared): '
                f"{_e(_left_out(comparison))}.</p>"
            ]
            if comparison.left_out
            else []
        ),
        "<h2>Wordings side by side</h2>",
        *sections,
        "</main>",
        '<footer><p class="note">Model predictions, not legal advice.</p></footer>',
    ]
    css_extra = ".absent{color:#595959;background:#fafafa}.comparison td{min-width:8rem}"

    return page(title, body, css=BASE_CSS + css_extra)


def _left_out(comparison: Comparison) -> str:
    return "; ".join(comparison.left_out)
