"""The atlas: a static, self-contained site over a scored collection (``clauseclf score``
output), ``build_atlas(frame, out)``.

Pages (flat in ``out``, every one self-contained: inline CSS and script, no network):

- ``index.html``: every platform with its grade and adverse / protective counts, a search box
  and a grade filter (plain JS), and the clause types with their prevalence;
- ``platform-<slug>.html``: per current document its grade, counts per category and findings
  (linked), then its earlier versions;
- ``type-<type>.html``: how many platforms have the type, split by stance and severity ("high:
  12 of 200 platforms; none (protective): 40 of 200"), the wordings side by side (each
  platform's most adverse clause of the type), filterable by severity;
- ``finding-<document>-<clause>-<type>.html``: one finding (severity, confidence, why it
  matters, what it means for you, the clause with its evidence, regulations, citation), the
  type's prevalence split by stance, how many other platforms use the same wording (same
  ``clause_id``), with an index (``context``) similar clauses of other platforms, and when the
  results hold dated versions of the document (``clauseclf.collection_versions``) the clause's
  stability: first seen, last seen, in how many versions, number of changes.

A platform's grades, the type pages and every count of platforms use its current documents
only (``clauseclf.collection_versions.current_documents``: of dated versions, the latest);
earlier versions keep their platform-page section and finding pages.

Findings of a scored table are its rows' top labels (``clauseclf.verdict.findings_from_rows``).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.collection import (
    CollectionDocument,
    collection_documents,
    platform_findings,
    platforms_of,
)
from clauseclf.collection_versions import (
    DocumentVersions,
    collection_versions,
    current_documents,
)
from clauseclf.html_page import BASE_CSS, page
from clauseclf.html_verdict import (
    finding_html,
    grade_badge,
    grade_formula,
    mark_phrases,
    severity_class,
)
from clauseclf.taxonomy import SEVERITY_SCALE, default_taxonomy
from clauseclf.verdict import STANCES, Finding

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.context import FindingContext

_e = html.escape

#: What a type's counts say when no platform's current documents have it.
EARLIER_ONLY = "only in earlier versions of documents"

#: Filters rows (``tr[data-search]``) by the search box (``#search``: words all contained in
#: the row's ``data-search``) and by every ``select[data-filter]`` (equal to the row's
#: ``data-<filter>``, or any); updates ``#shown-count``.
SCRIPT = """
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-search]"));
  var search = document.getElementById("search");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var counter = document.getElementById("shown-count");
  function update() {
    var words = search ? search.value.toLowerCase().split(/\\s+/).filter(Boolean) : [];
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var visible = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
        selects.every(function (select) {
          var value = select.value;
          var own = (row.getAttribute("data-" + select.getAttribute("data-filter")) || "");
          return value === "" || own.split(" ").indexOf(value) >= 0;
        });
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    if (counter) { counter.textContent = String(shown); }
  }
  if (search) { search.addEventListener("input", update); }
  selects.forEach(function (select) { select.addEventListener("change", update); });
  update();
})();
"""

CSS = BASE_CSS + (
    ".wording{max-width:40rem}nav.crumbs{margin-bottom:1rem}"
    ".stability dl{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}"
    ".stability dd{margin:0}"
)


@dataclass(frozen=True)
class AtlasSummary:
    """What ``build_atlas`` wrote."""

    out: Path
    platforms: int
    documents: int
    types: int
    findings: int
    pages: int


def slug(value: str) -> str:
    """A file-name-safe slug of ``value`` with a short hash (distinct values, distinct slugs)."""
    words = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "x"
    return f"{words}-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:8]}"


def platform_page_name(platform: str) -> str:
    """The file name of ``platform``'s page."""
    return f"platform-{slug(platform)}.html"


def type_page_name(type_id: str) -> str:
    """The file name of the page of the type ``type_id``."""
    return f"type-{slug(type_id)}.html"


def finding_page_name(document_id: str, finding: Finding) -> str:
    """The file name of the page of ``finding`` of the document ``document_id``: the document,
    the clause's position and the type (identical documents get distinct pages)."""
    clause = finding.citation.clause_index
    return f"finding-{slug(document_id)}-{clause}-{slug(finding.type)}.html"


def build_atlas(
    frame: pd.DataFrame,
    out: str | Path,
    *,
    model_version: str | None = None,
    context: Callable[[Finding, str], FindingContext] | None = None,
    dates: Mapping[str, object] | None = None,
) -> AtlasSummary:
    """Write the site for the scored ``frame`` into the folder ``out`` (created; existing
    pages of the same names are replaced). ``context(finding, platform)``: a finding's similar
    clauses, prevalence and uniqueness from an index (``clauseclf.context.context_of``).
    ``dates``: document id -> version date (a ``datetime.date`` or ``YYYY-MM-DD``), winning
    over the dates in ids and titles (``ValueError`` for a value that is not a date or an id
    that is not in ``frame``)."""
    documents = collection_documents(frame, model_version=model_version, dates=dates)
    if not documents:
        raise ValueError("the results hold no scored document")
    versions = collection_versions(frame, documents)
    current = current_documents(documents)
    platforms = platforms_of(documents)
    by_type = platform_findings(documents)
    for type_id in sorted({f.type for d in documents for f in d.verdict.findings} - set(by_type)):
        by_type[type_id] = []  # found only in earlier versions
    wording_platforms: dict[str, set[str]] = defaultdict(set)
    for d in current:
        for f in d.verdict.findings:
            wording_platforms[f.citation.clause_id].add(d.platform)
    # The page of each finding, by identity (the documents stay alive while the site is built).
    links = {
        id(f): finding_page_name(d.document_id, f) for d in documents for f in d.verdict.findings
    }
    pages: dict[str, str] = {"index.html": _index_page(documents, current, platforms, by_type)}
    for platform in platforms:
        own = [d for d in current if d.platform == platform]
        ids = {d.document_id for d in own}
        older = [d for d in documents if d.platform == platform and d.document_id not in ids]
        pages[platform_page_name(platform)] = _platform_page(platform, own, older, versions)
    for type_id, rows in by_type.items():
        pages[type_page_name(type_id)] = _type_page(type_id, rows, len(platforms), links)
    count = 0
    for d in documents:
        for f in d.verdict.findings:
            same = len(wording_platforms[f.citation.clause_id] - {d.platform})
            extra = context(f, d.platform) if context is not None else None
            pages[finding_page_name(d.document_id, f)] = _finding_page(
                d, f, by_type[f.type], len(platforms), same, extra, versions.get(d.document_id)
            )
            count += 1
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
    return AtlasSummary(out, len(platforms), len(documents), len(by_type), count, len(pages))


def _split(rows: list[tuple[str, Finding]], total: int) -> str:
    counts = Counter(f.severity for _, f in rows)
    parts = [
        f"{_e(s)}{' (protective)' if s == 'none' else ''}: {counts[s]} of {total}"
        for s in reversed(SEVERITY_SCALE)
        if counts[s]
    ]
    return "; ".join(parts)


def _crumbs(*links: tuple[str, str]) -> str:
    items = " / ".join(f'<a href="{_e(href)}">{_e(text)}</a>' for href, text in links)
    return f'<nav class="crumbs" aria-label="breadcrumbs">{items}</nav>'


def _search_controls(label: str, filter_name: str, options: list[str], total: int) -> str:
    choices = "".join(f'<option value="{_e(o)}">{_e(o)}</option>' for o in options)
    return (
        '<div class="controls"><label for="search">Search</label> '
        '<input type="search" id="search" autocomplete="off"> '
        f'<label for="filter-{filter_name}">{_e(label)}</label> '
        f'<select id="filter-{filter_name}" data-filter="{filter_name}">'
        f'<option value="">any</option>{choices}</select> '
        f'<span aria-live="polite">showing <span id="shown-count">{total}</span> of {total}'
        "</span></div>"
    )


def _index_page(
    documents: list[CollectionDocument],
    current: list[CollectionDocument],
    platforms: list[str],
    by_type: dict[str, list[tuple[str, Finding]]],
) -> str:
    rows = []
    for platform in platforms:
        own = [d for d in current if d.platform == platform]
        total = sum(1 for d in documents if d.platform == platform)
        grades = " ".join(sorted({d.verdict.grade.label.replace(" ", "-") for d in own}))
        types = " ".join(sorted({f.type for d in own for f in d.verdict.adverse}))
        badges = " ".join(grade_badge(d.verdict.grade) for d in own)
        adverse = sum(len(d.verdict.adverse) for d in own)
        protective = sum(len(d.verdict.protective) for d in own)
        search = f"{platform} {types}".lower()
        rows.append(
            f'<tr data-search="{_e(search)}" data-grade="{_e(grades)}">'
            f'<th scope="row"><a href="{platform_page_name(platform)}">{_e(platform)}</a></th>'
            f"<td>{badges}</td><td>{adverse}</td><td>{protective}</td><td>{len(own)}"
            f"{f' (+{total - len(own)} earlier versions)' if total > len(own) else ''}</td></tr>"
        )
    type_rows = "".join(
        f'<tr><th scope="row"><a href="{type_page_name(t)}">{_e(t)}</a></th>'
        f"<td>{len(r)} of {len(platforms)}</td><td>{_split(r, len(platforms)) or EARLIER_ONLY}"
        "</td></tr>"
        for t, r in by_type.items()
    )
    body = [
        "<header><h1>Policy atlas</h1>",
        f'<p class="muted">{len(platforms)} platforms, {len(documents)} documents. Grades and '
        "counts are each platform&#x27;s current documents: of dated versions, the latest.</p>"
        "</header>",
        "<main><h2>Platforms</h2>",
        _search_controls("Grade", "grade", ["A", "B", "C", "D", "E", "not-graded"], len(rows)),
        '<table class="grid platforms"><tr><th scope="col">platform</th>'
        '<th scope="col">grade</th><th scope="col">adverse findings</th>'
        '<th scope="col">protective findings</th><th scope="col">documents</th></tr>'
        f"{''.join(rows)}</table>",
        f'<details class="formula"><summary>How grades are computed</summary><p>'
        f"{grade_formula()}</p></details>",
        "<h2>Clause types</h2>",
        '<table class="grid types"><tr><th scope="col">type</th><th scope="col">platforms'
        '</th><th scope="col">by severity (a platform counts at its most adverse clause)</th>'
        f"</tr>{type_rows}</table></main>",
        _footer(),
    ]
    return page("Policy atlas", body, css=CSS, script=SCRIPT)


def _platform_page(
    platform: str,
    current: list[CollectionDocument],
    older: list[CollectionDocument],
    versions: dict[str, DocumentVersions],
) -> str:
    """The platform's current documents, then its earlier versions (newest first)."""
    body = [_crumbs(("index.html", "Atlas")), f"<header><h1>{_e(platform)}</h1></header>", "<main>"]
    body += [_document_section(d, versions, 2) for d in current]
    if older:
        newest_first = sorted(older, key=lambda d: versions[d.document_id].position(d.document_id))
        body += [
            '<section class="earlier"><h2>Earlier versions</h2><p class="muted">Not counted in '
            "the platform&#x27;s grade or the atlas&#x27;s counts of platforms.</p>",
            *(_document_section(d, versions, 3) for d in reversed(newest_first)),
            "</section>",
        ]
    body += ["</main>", _footer()]
    return page(f"{platform}: policy atlas", body, css=CSS)


def _document_section(
    d: CollectionDocument, versions: dict[str, DocumentVersions], level: int
) -> str:
    """One document of a platform page: version, grade, counts per category and findings."""
    counts = d.verdict.category_counts()
    rows = "".join(
        f'<tr><th scope="row">{_e(c)}</th><td>{n["adverse"]}</td><td>{n["neutral"]}</td>'
        f"<td>{n['protective']}</td></tr>"
        for c, n in counts.items()
    )
    items = "".join(
        f'<li><span class="badge {severity_class(f.severity)}">{_e(f.severity)}</span> '
        f'<a href="{finding_page_name(d.document_id, f)}">{_e(f.type)}</a> '
        f'<span class="muted">confidence {f.confidence:.2f}</span>: '
        f"{_e(_short(f.text))}</li>"
        for f in d.verdict.findings
        if f.stance != "neutral"
    )
    return "".join(
        [
            f'<section class="document"><h{level}>{_e(d.document or d.document_id)}</h{level}>',
            _version_line(versions.get(d.document_id), d.document_id),
            f'<div class="grade-line">{grade_badge(d.verdict.grade)} '
            f"<span>{_e(d.verdict.grade.reason)}</span></div>",
            '<table class="grid categories"><caption>Findings per category</caption>'
            '<tr><th scope="col">category</th><th scope="col">adverse</th><th scope="col">'
            f'neutral</th><th scope="col">protective</th></tr>{rows}</table>',
            f"<h{level + 1}>Findings, most severe first</h{level + 1}>"
            f'<ol class="findings">{items}</ol></section>',
        ]
    )


def _type_page(
    type_id: str, rows: list[tuple[str, Finding]], total: int, links: Mapping[int, str]
) -> str:
    try:
        description = default_taxonomy().get(type_id).description
    except KeyError:
        description = ""
    wordings = "".join(
        f'<tr data-search="{_e((platform + " " + f.text).lower())}" '
        f'data-severity="{_e(f.severity)}" class="{severity_class(f.severity)}">'
        f'<th scope="row"><a href="{platform_page_name(platform)}">{_e(platform)}</a></th>'
        f'<td><span class="badge {severity_class(f.severity)}">{_e(f.severity)}</span> '
        f"{_e(STANCES.get(f.severity, ''))}</td>"
        f'<td class="wording"><a href="{links[id(f)]}">'
        f"{mark_phrases(f.text, f.evidence)}</a></td></tr>"
        for platform, f in sorted(
            rows,
            key=lambda r: (
                -SEVERITY_SCALE.index(r[1].severity) if r[1].severity in SEVERITY_SCALE else 0,
                r[0].casefold(),
            ),
        )
    )
    body = [
        _crumbs(("index.html", "Atlas")),
        f"<header><h1>{_e(type_id)}</h1><p>{_e(description)}</p></header>",
        f'<main><p class="prevalence">Found on {len(rows)} of {total} platforms'
        + (
            f". By stance and severity: {_split(rows, total)}.</p>"
            if rows
            else f", {EARLIER_ONLY}.</p>"
        ),
        _search_controls("Severity", "severity", list(reversed(SEVERITY_SCALE)), len(rows)),
        '<table class="grid wordings"><tr><th scope="col">platform</th><th scope="col">'
        f'severity</th><th scope="col">wording</th></tr>{wordings}</table></main>',
        _footer(),
    ]
    return page(f"{type_id}: policy atlas", body, css=CSS, script=SCRIPT)


def _finding_page(
    document: CollectionDocument,
    finding: Finding,
    type_rows: list[tuple[str, Finding]],
    total: int,
    same_wording: int,
    context: FindingContext | None,
    versions: DocumentVersions | None,
) -> str:
    from clauseclf.html_verdict import context_html

    stance = sum(1 for _, f in type_rows if f.stance == finding.stance)
    body = [
        _crumbs(
            ("index.html", "Atlas"),
            (platform_page_name(document.platform), document.platform),
            (type_page_name(finding.type), finding.type),
        ),
        f"<header><h1>{_e(document.platform)}: {_e(finding.type)}</h1></header><main>",
        _earlier_note(versions, document.document_id),
        finding_html(finding, clause_link=False, heading_level=2),
        _stability(versions, document.document_id, finding),
        '<section class="among"><h2>Among other platforms</h2>',
        f'<p class="prevalence">This type appears on {len(type_rows)} of {total} platforms; '
        f"{stance} of {total} have it as {finding.stance} "
        f"({_split(type_rows, total) or EARLIER_ONLY}).</p>",
        f'<p class="uniqueness">{"Unique" if same_wording == 0 else "Shared"}: '
        f"{same_wording} other platform(s) use the same wording.</p>",
    ]
    if context is not None:
        body.append(context_html(context))
    body += ["</section></main>", _footer()]
    return page(f"{document.platform}: {finding.type}", body, css=CSS)


def _version_line(versions: DocumentVersions | None, document_id: str) -> str:
    if versions is None:
        return ""
    position = versions.position(document_id)
    return (
        f'<p class="version">Version of {versions.dates[position].isoformat()} '
        f"({position + 1} of {len(versions.dates)})</p>"
    )


def _earlier_note(versions: DocumentVersions | None, document_id: str) -> str:
    """For a finding of an earlier version: that it is, and which version is current."""
    if versions is None or versions.position(document_id) == len(versions.dates) - 1:
        return ""
    return (
        f'<p class="earlier-version">From an earlier version, of '
        f"{versions.dates[versions.position(document_id)].isoformat()}; the platform&#x27;s "
        f"current version is of {versions.dates[-1].isoformat()}. The counts of platforms "
        "below are of each platform&#x27;s current documents.</p>"
    )


def _stability(versions: DocumentVersions | None, document_id: str, finding: Finding) -> str:
    """How stable the finding's clause has been over the versions of its document ("" when
    the results hold one version)."""
    if versions is None:
        return ""
    lineage = versions.lineage(document_id, finding.clause_index)
    total = len(versions.dates)
    position = versions.position(document_id)
    status = {
        "stable": "unchanged in every version",
        "changed": "reworded or restored since first seen",
        "new": "added after the first version",
        "removed": "not in the latest version",
    }[lineage.status]
    facts = (
        ("First seen", lineage.first_seen.isoformat()),
        ("Last seen", lineage.last_seen.isoformat()),
        ("In versions", f"{lineage.versions} of {total}"),
        ("Changes", str(lineage.changes)),
        ("Status", f"{lineage.status}: {status}"),
    )
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return (
        '<section class="stability"><h2>Stability</h2>'
        f"<p>Over the {total} versions of this document in the results "
        f"({versions.dates[0].isoformat()} to {versions.dates[-1].isoformat()}; this page: "
        f"the version of {versions.dates[position].isoformat()}).</p>"
        f"<dl>{rows}</dl></section>"
    )


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _footer() -> str:
    return (
        '<footer><p class="note">Clause types, severities and grades are a model&#x27;s '
        "predictions; regulation pointers are for review, not legal advice.</p></footer>"
    )
