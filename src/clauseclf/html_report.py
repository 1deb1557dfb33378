"""An HTML report of one analysed policy: ``render_html(report)`` (or ``report.to_html()``).

One self-contained page (inline CSS and a small inline script; no external resource, no network;
a Content-Security-Policy allows only the page's own style and script): the report's provenance
and a summary, a filter bar (clause types, severities), then one ``<article class="clause">`` per
clause with ``data-types`` (its types, space-separated; ``other`` for an unlabelled clause) and
``data-severity``, coloured by severity and labelled with it in text, its labels with their
probabilities, its confidence, its text with the evidence in ``<mark>``
(``clauseclf.evidence.highlight``), the regulation pointers of its types
(``clauseclf.taxonomy.regulations_for``: pointers for review, not legal advice) and, when a
``ClauseIndex`` is given, the most similar clauses of other platforms.

A clause is shown while at least one of its types and its severity are ticked in the filter bar.
Every text of the report, the model and the index is HTML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from clauseclf.evidence import highlight
from clauseclf.rendering import clause_types, display_name, report_name
from clauseclf.taxonomy import (
    OTHER,
    SEVERITY_SCALE,
    RegulationRef,
    default_taxonomy,
    regulations_for,
)

if TYPE_CHECKING:
    from clauseclf.index import ClauseIndex
    from clauseclf.report import AnalyzedClause, DocumentReport

#: Shown with every list of regulation pointers.
REGULATION_NOTE = "Pointers for review, not legal advice."

_e = html.escape

_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.45}table{border-collapse:collapse}td,th{padding:.2rem .6rem;"
    "text-align:left;vertical-align:top}.provenance th,.provenance td{font-size:.9em}"
    ".provenance th{color:#555;font-weight:normal}.provenance td{word-break:break-all}"
    ".summary{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start}"
    ".summary td:last-child{text-align:right}"
    ".filters{border-bottom:1px solid #ccc;padding:.5rem 0}"
    ".filters fieldset{border:1px solid #ddd;margin:.3rem 0}"
    ".filters label{display:inline-block;margin:.1rem .7rem .1rem 0;white-space:nowrap}"
    ".filters button{font-size:.8em;margin-right:.3rem}"
    ".clause{border-left:.45rem solid #999;background:#f6f6f6;margin:1rem 0;"
    "padding:.6rem .9rem;border-radius:.2rem}.clause[hidden]{display:none}"
    ".clause header{display:flex;gap:.8rem;flex-wrap:wrap;align-items:baseline}"
    ".num{color:#666;font-variant-numeric:tabular-nums}.section{color:#555;font-style:italic}"
    ".badge{font-weight:bold;font-size:.85em;padding:.05rem .45rem;border-radius:.8rem;"
    "color:#fff;background:#666}.confidence{color:#555;font-size:.9em}"
    ".labels{list-style:none;padding:0;margin:.3rem 0;display:flex;gap:.5rem;flex-wrap:wrap}"
    ".labels li{background:#fff;border:1px solid #ccc;border-radius:.2rem;padding:0 .4rem;"
    "font-size:.9em}.text{white-space:pre-wrap;margin:.4rem 0}"
    "mark{background:#ffe066;color:inherit;border-bottom:2px solid #c49000;padding:0 .05rem}"
    ".evidence,.regulations,.similar{font-size:.9em;margin:.4rem 0}"
    ".regulations ul,.similar ol{margin:.2rem 0}.note{color:#8a5a00;font-size:.85em}"
    ".similar q{color:#333}.muted{color:#666}"
    ".sev-none{border-left-color:#2e7d32;background:#eef7ee}.badge.sev-none{background:#2e7d32}"
    ".sev-low{border-left-color:#1565c0;background:#edf3fb}.badge.sev-low{background:#1565c0}"
    ".sev-medium{border-left-color:#b26a00;background:#fff6e5}"
    ".badge.sev-medium{background:#b26a00}"
    ".sev-high{border-left-color:#c62828;background:#fdeeee}.badge.sev-high{background:#c62828}"
)

# The filter script. It holds no text of the report, so it needs no escaping; the page's
# Content-Security-Policy allows exactly this script (by its hash).
_SCRIPT = """
(function () {
  "use strict";
  var clauses = Array.prototype.slice.call(document.querySelectorAll("article.clause"));
  var counter = document.getElementById("shown-count");
  function boxes(group) {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[data-filter="' + group + '"]'));
  }
  function ticked(group) {
    var set = {};
    boxes(group).forEach(function (box) { if (box.checked) { set[box.value] = true; } });
    return set;
  }
  function update() {
    var types = ticked("type");
    var severities = ticked("severity");
    var shown = 0;
    clauses.forEach(function (clause) {
      var visible = severities[clause.getAttribute("data-severity")] === true &&
        clause.getAttribute("data-types").split(" ").some(function (t) {
          return types[t] === true;
        });
      clause.hidden = !visible;
      if (visible) { shown += 1; }
    });
    counter.textContent = String(shown);
  }
  Array.prototype.slice.call(document.querySelectorAll("button[data-select]")).forEach(
    function (button) {
      button.addEventListener("click", function () {
        var on = button.getAttribute("data-select") === "all";
        boxes(button.getAttribute("data-group")).forEach(function (box) { box.checked = on; });
        update();
      });
    });
  boxes("type").concat(boxes("severity")).forEach(function (box) {
    box.addEventListener("change", update);
  });
  update();
})();
"""


def render_html(
    report: DocumentReport, *, index: ClauseIndex | None = None, similar_k: int = 3
) -> str:
    """A self-contained HTML page of ``report`` (see the module docstring).

    ``index``: a ``ClauseIndex``; each clause that is not ``other`` then lists its ``similar_k``
    most similar clauses of the same type on other platforms (the report's own platform left
    out). ``TypeError`` for a report or index of the wrong kind, ``ValueError`` for
    ``similar_k`` < 1 or evidence that does not fit its clause's text.
    """
    from clauseclf.report import DocumentReport

    if not isinstance(report, DocumentReport):
        raise TypeError(f"report must be a DocumentReport, not {type(report).__name__}")
    if isinstance(similar_k, bool) or not isinstance(similar_k, int):
        raise TypeError(f"similar_k must be an int, not {type(similar_k).__name__}")
    if similar_k < 1:
        raise ValueError(f"similar_k must be at least 1, got {similar_k}")
    if index is not None:
        from clauseclf.index import ClauseIndex

        if not isinstance(index, ClauseIndex):
            raise TypeError(f"index must be a ClauseIndex or None, not {type(index).__name__}")

    name = report_name(report)
    # Each clause's types, the top label first; ``other`` for a clause without one.
    type_counts = Counter(
        t for clause in report.clauses for t in clause_types(clause.prediction.labels, OTHER)
    )
    severity_counts = Counter(clause.severity for clause in report.clauses)
    types = _ordered_types(type_counts)
    severities = list(SEVERITY_SCALE) + sorted(set(severity_counts) - set(SEVERITY_SCALE))

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">',
        f"<title>Clause report: {_e(name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(name)}</h1>",
        _provenance_table(report, index),
        "</header>",
        '<section class="summary" aria-label="summary">',
        _count_table("Clauses per type", [(t, type_counts[t]) for t in types], "type"),
        _count_table(
            "Clauses per severity",
            [(s, severity_counts[s]) for s in severities],
            "severity",
        ),
        "</section>",
        _filter_bar(types, type_counts, severities, severity_counts, len(report.clauses)),
        '<main class="clauses">',
    ]
    if not report.clauses:
        parts.append('<p class="muted">No clauses were found in this document.</p>')
    for clause in report.clauses:
        parts.append(_clause_html(clause, report, index, similar_k))
    parts.append("</main>")
    parts.append(
        '<footer><p class="note">Clause types, severities and evidence are a model&#x27;s '
        "predictions; regulation pointers are for review, not legal advice.</p></footer>"
    )
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _csp() -> str:
    """Nothing but this page's own style and script (by hash): no network, no injected code."""
    return (
        "default-src 'none'; "
        f"style-src '{_sha256(_CSS)}'; script-src '{_sha256(_SCRIPT)}'; "
        "base-uri 'none'; form-action 'none'"
    )


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _ordered_types(counts: Counter[str]) -> list[str]:
    """Types present in taxonomy order, then unknown ones alphabetically, ``other`` last
    (always listed)."""
    known = [t.id for t in default_taxonomy().types if t.id != OTHER and t.id in counts]
    unknown = sorted(t for t in counts if t not in known and t != OTHER)
    return [*known, *unknown, OTHER]


def _token(value: str) -> str:
    """A value as one token of a space-separated attribute (``data-types``)."""
    return "_".join(value.split()) or "_"


def _css_class(severity: str) -> str:
    return f"sev-{severity}" if severity in SEVERITY_SCALE else "sev-unknown"


def _provenance_table(report: DocumentReport, index: ClauseIndex | None) -> str:
    analysed = report.analyzed_at.isoformat(timespec="seconds") if report.analyzed_at else None
    rows: list[tuple[str, str | None]] = [
        ("platform", report.platform),
        ("document", report.document),
        ("source", report.source),
        ("input format", report.format),
        ("sha256", report.sha256),
        ("analysed", analysed),
        ("model id", report.model_id),
        ("model version", report.model_version),
        ("clauses", str(len(report.clauses))),
    ]
    if index is not None:
        rows.append(
            (
                "similar clauses from",
                f"an index of {len(index)} clauses on {index.platform_count} platforms",
            )
        )
    unknown = '<span class="muted">unknown</span>'
    cells = "".join(
        f'<tr><th scope="row">{_e(key)}</th><td data-field="{_e(_token(key))}">'
        f"{_e(value) if value else unknown}</td></tr>"
        for key, value in rows
    )
    return f'<table class="provenance" aria-label="provenance">{cells}</table>'


def _count_table(caption: str, counts: list[tuple[str, int]], kind: str) -> str:
    rows = "".join(
        f'<tr data-{kind}="{_e(_token(value))}"><td>{_e(value)}</td><td>{count}</td></tr>'
        for value, count in counts
    )
    return f'<table class="counts-{kind}"><caption>{_e(caption)}</caption>{rows}</table>'


def _filter_bar(
    types: list[str],
    type_counts: Counter[str],
    severities: list[str],
    severity_counts: Counter[str],
    total: int,
) -> str:
    def checkboxes(group: str, values: list[str], counts: Counter[str]) -> str:
        return "".join(
            f'<label><input type="checkbox" data-filter="{group}" '
            f'value="{_e(_token(value))}" checked> {_e(value)} ({counts[value]})</label>'
            for value in values
        )

    def buttons(group: str) -> str:
        return (
            f'<button type="button" data-select="all" data-group="{group}">all</button>'
            f'<button type="button" data-select="none" data-group="{group}">none</button>'
        )

    return (
        '<nav class="filters" aria-label="filters">'
        f"<fieldset><legend>Clause types</legend>{buttons('type')}"
        f"{checkboxes('type', types, type_counts)}</fieldset>"
        f"<fieldset><legend>Severity</legend>{buttons('severity')}"
        f"{checkboxes('severity', severities, severity_counts)}</fieldset>"
        f'<p>Showing <span id="shown-count">{total}</span> of {total} clauses '
        '<span class="muted">(a clause shows while one of its types and its severity are '
        "ticked)</span></p></nav>"
    )


def _clause_html(
    clause: AnalyzedClause, report: DocumentReport, index: ClauseIndex | None, similar_k: int
) -> str:
    prediction = clause.prediction
    types = clause_types(prediction.labels, OTHER)
    severity = clause.severity
    try:
        text = highlight(clause.text, prediction.evidence, style="html")
    except ValueError as exc:
        raise ValueError(f"clause {clause.index}: {exc}") from None
    parts = [
        f'<article class="clause {_css_class(severity)}" id="clause-{clause.index}" '
        f'data-index="{clause.index}" data-clause-id="{_e(clause.clause_id)}" '
        f'data-types="{_e(" ".join(_token(t) for t in types))}" '
        f'data-severity="{_e(_token(severity))}">',
        "<header>",
        f'<span class="num">#{clause.index}</span>',
        f'<span class="badge {_css_class(severity)}">severity: {_e(severity)}</span>',
    ]
    if clause.segment.heading:
        parts.append(f'<span class="section">{_e(clause.segment.heading)}</span>')
    parts.append(f'<span class="confidence">confidence {prediction.confidence:.2f}</span>')
    parts.append("</header>")
    parts.append(_labels_html(clause))
    parts.append(f'<p class="text">{text}</p>')
    evidence = [(t, spans) for t, spans in prediction.evidence.items() if spans]
    if evidence:
        items = "".join(
            f"<li>{_e(t)}: " + ", ".join(f"<q>{_e(s.text)}</q>" for s in spans) + "</li>"
            for t, spans in evidence
        )
        parts.append(
            f'<details class="evidence"><summary>Evidence</summary><ul>{items}</ul></details>'
        )
    parts.append(_regulations_html(types))
    if index is not None and prediction.label != OTHER:
        parts.append(_similar_html(clause, report, index, similar_k))
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


def _labels_html(clause: AnalyzedClause) -> str:
    prediction = clause.prediction
    if not prediction.labels:
        return f'<ul class="labels"><li data-type="{OTHER}">{OTHER}</li></ul>'
    items = []
    for label, probability in prediction.labels.items():
        severity = prediction.severities.get(label, prediction.severity)
        items.append(
            f'<li data-type="{_e(_token(label))}"><strong>{_e(label)}</strong> '
            f'p={_number(probability)} <span class="muted">({_e(severity)})</span></li>'
        )
    return f'<ul class="labels">{"".join(items)}</ul>'


def _regulations_html(types: Iterable[str]) -> str:
    groups: list[tuple[str, tuple[RegulationRef, ...]]] = []
    for clause_type in types:
        if clause_type == OTHER:
            continue
        try:
            refs = regulations_for(clause_type)
        except KeyError:  # a type of a custom taxonomy: the package has no pointers for it
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


def _similar_html(
    clause: AnalyzedClause, report: DocumentReport, index: ClauseIndex, similar_k: int
) -> str:
    found = index.similar(clause, k=similar_k, exclude_platform=report.platform or None)
    if found.empty:
        return (
            '<div class="similar"><p class="muted">No similar clause of this type on other '
            f"platforms in the index: {_e(found.reason)}.</p></div>"
        )
    items = []
    for row in found.clauses.itertuples(index=False):
        where = display_name(_text(row.platform), _text(row.document), "unknown platform")
        name = _text(row.practice)
        practice = f' <span class="muted">({_e(name)})</span>' if name else ""
        items.append(
            f'<li><span class="muted">similarity {_number(row.similarity)}</span> '
            f"<strong>{_e(where)}</strong> "
            f"[{_e(_text(row.label))}, {_e(_text(row.severity))}, {_e(_text(row.stance))}]"
            f"{practice}<br>"
            f"<q>{_e(_text(row.text))}</q></li>"
        )
    return (
        f'<details class="similar" open><summary>Similar clauses on other platforms '
        f"({len(items)})</summary><ol>{''.join(items)}</ol></details>"
    )


def _text(value: Any) -> str:
    """A DataFrame cell as text: missing values (None, NaN, NA) as an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return ""
    return str(value)


def _number(value: Any) -> str:
    return f"{float(value):.2f}"
