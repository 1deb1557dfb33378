"""An HTML report of one analysed policy: ``render_html(report)`` (or ``report.to_html()``).

One self-contained page (inline CSS and a small inline script; no external resource, no network;
a Content-Security-Policy allows only the page's own style and script): the report's provenance,
the verdict first (``clauseclf.verdict``: the grade, findings per category, the adverse findings
ranked by severity and confidence with why they matter and what they mean for the user, the
protective ones folded; ``clauseclf.html_verdict``), then a summary, a filter bar (clause types,
severities; ``other`` unticked, so folded away, by default) with a sort order (document order,
severity, confidence), then one ``<article class="clause">`` per
clause with ``data-types`` (its types, space-separated; ``other`` for an unlabelled clause) and
``data-severity``, coloured by severity and labelled with it in text, its labels with their
probabilities, its confidence, its text with the evidence in ``<mark>``
(``clauseclf.evidence.highlight``), the regulation pointers of its types
(``clauseclf.taxonomy.regulations_for``: pointers for review, not legal advice) and, when a
``ClauseIndex`` is given, the most similar clauses of other platforms (fetched through
``clauseclf.context``; ``similar=`` takes them already fetched).

A clause is shown while at least one of its types and its severity are ticked in the filter bar.
Every text of the report, the model and the index is HTML-escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from clauseclf.evidence import highlight
from clauseclf.html_page import LAYOUT_CSS, SEVERITY_CSS, csp
from clauseclf.html_verdict import (
    REGULATION_NOTE,
    TOP_FINDINGS,
    regulations_html,
    similar_html,
    verdict_html,
)
from clauseclf.rendering import clause_types, report_name
from clauseclf.taxonomy import OTHER, SEVERITY_SCALE, default_taxonomy
from clauseclf.verdict import report_verdict, severity_rank

if TYPE_CHECKING:
    from clauseclf.index import ClauseIndex
    from clauseclf.index.similar import SimilarClauses
    from clauseclf.report import AnalyzedClause, DocumentReport

__all__ = ["REGULATION_NOTE", "render_html"]

_e = html.escape

_CSS = (
    LAYOUT_CSS
    + (
        ".provenance th,.provenance td{font-size:.9em}"
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
        ".confidence{color:#555;font-size:.9em}"
        ".labels{list-style:none;padding:0;margin:.3rem 0;display:flex;gap:.5rem;flex-wrap:wrap}"
        ".labels li{background:#fff;border:1px solid #ccc;border-radius:.2rem;padding:0 .4rem;"
        "font-size:.9em}.text{white-space:pre-wrap;margin:.4rem 0}"
        ".evidence,.regulations,.similar{font-size:.9em;margin:.4rem 0}"
        ".regulations ul,.similar ol{margin:.2rem 0}.similar q{color:#333}"
        ".verdict{border-bottom:2px solid #ccc;padding-bottom:1rem}"
        ".grade-line{display:flex;gap:1rem;align-items:center}"
    )
    + SEVERITY_CSS
)

# The filter script. It holds no text of the report, so it needs no escaping; the page's
# Content-Security-Policy allows exactly this script (by its hash).
_SCRIPT = """
(function () {
  "use strict";
  var main = document.querySelector("main.clauses");
  var clauses = Array.prototype.slice.call(document.querySelectorAll("article.clause"));
  var counter = document.getElementById("shown-count");
  var order = document.getElementById("sort-order");
  function boxes(group) {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[data-filter="' + group + '"]'));
  }
  function ticked(group) {
    var set = {};
    boxes(group).forEach(function (box) { if (box.checked) { set[box.value] = true; } });
    return set;
  }
  function number(clause, name) { return parseFloat(clause.getAttribute(name)); }
  function sort() {
    var key = order.value;
    var sorted = clauses.slice().sort(function (a, b) {
      var ia = number(a, "data-index"), ib = number(b, "data-index");
      if (key === "severity" && number(a, "data-rank") !== number(b, "data-rank")) {
        return number(b, "data-rank") - number(a, "data-rank");
      }
      if (key !== "document" && number(a, "data-confidence") !== number(b, "data-confidence")) {
        return number(b, "data-confidence") - number(a, "data-confidence");
      }
      return ia - ib;
    });
    sorted.forEach(function (clause) { main.appendChild(clause); });
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
  order.addEventListener("change", sort);
  sort();
  update();
})();
"""


def render_html(
    report: DocumentReport,
    *,
    index: ClauseIndex | None = None,
    similar_k: int = 3,
    similar: Mapping[int, SimilarClauses] | None = None,
) -> str:
    """A self-contained HTML page of ``report`` (see the module docstring).

    ``index``: a ``ClauseIndex``; each clause that is not ``other`` then lists its ``similar_k``
    most similar clauses of the same type on other platforms (the report's own platform left
    out), and each adverse finding of the verdict its prevalence and uniqueness
    (``clauseclf.context``). ``similar``: clause index -> rows of ``ClauseIndex.similar``
    already fetched (``clauseclf.context.similar_clauses``), used instead of querying
    ``index`` for them. ``TypeError`` for a report or index of the wrong kind, ``ValueError``
    for ``similar_k`` < 1 or evidence that does not fit its clause's text.
    """
    from clauseclf.report import DocumentReport

    if not isinstance(report, DocumentReport):
        raise TypeError(f"report must be a DocumentReport, not {type(report).__name__}")
    if isinstance(similar_k, bool) or not isinstance(similar_k, int):
        raise TypeError(f"similar_k must be an int, not {type(similar_k).__name__}")
    if similar_k < 1:
        raise ValueError(f"similar_k must be at least 1, got {similar_k}")
    verdict = report_verdict(report)
    contexts = None
    if index is not None:
        from clauseclf.context import finding_contexts, similar_clauses
        from clauseclf.index import ClauseIndex

        if not isinstance(index, ClauseIndex):
            raise TypeError(f"index must be a ClauseIndex or None, not {type(index).__name__}")
        if similar is None:
            similar = similar_clauses(report, index, similar_k)
        top = verdict.adverse[:TOP_FINDINGS]
        contexts = finding_contexts(report, index, top, k=similar_k, similar=dict(similar))

    name = report_name(report)
    # Each clause's types, the top label first; ``other`` for a clause without one.
    type_counts = Counter(
        t for clause in report.clauses for t in clause_types(clause.prediction.labels, OTHER)
    )
    severity_counts = Counter(clause.severity for clause in report.clauses)
    types = _ordered_types(type_counts)
    severities = list(SEVERITY_SCALE) + sorted(set(severity_counts) - set(SEVERITY_SCALE))
    shown = sum(1 for clause in report.clauses if clause.prediction.labels)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp(_CSS, _SCRIPT)}">',
        f"<title>Clause report: {_e(name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(name)}</h1>",
        _provenance_table(report, index),
        "</header>",
        verdict_html(verdict, contexts=contexts),
        '<h2 id="clauses-title">Clauses</h2>',
        '<section class="summary" aria-label="summary">',
        _count_table("Clauses per type", [(t, type_counts[t]) for t in types], "type"),
        _count_table(
            "Clauses per severity",
            [(s, severity_counts[s]) for s in severities],
            "severity",
        ),
        "</section>",
        _filter_bar(types, type_counts, severities, severity_counts, shown, len(report.clauses)),
        '<main class="clauses" aria-labelledby="clauses-title">',
    ]
    if not report.clauses:
        parts.append('<p class="muted">No clauses were found in this document.</p>')
    for clause in report.clauses:
        parts.append(_clause_html(clause, similar))
    parts.append("</main>")
    parts.append(
        '<footer><p class="note">Clause types, severities, evidence and grades are a '
        "model&#x27;s predictions; regulation pointers are for review, not legal advice.</p>"
        "</footer>"
    )
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


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
    shown: int,
    total: int,
) -> str:
    """Filters (``other`` unticked: folded away by default) and the sort order."""

    def checkboxes(group: str, values: list[str], counts: Counter[str]) -> str:
        return "".join(
            f'<label><input type="checkbox" data-filter="{group}" '
            f'value="{_e(_token(value))}"{"" if value == OTHER else " checked"}> {_e(value)} '
            f"({counts[value]}{', hidden by default' if value == OTHER else ''})</label>"
            for value in values
        )

    def buttons(group: str, what: str) -> str:
        """Tick all / none of ``group``; each button named for its group ("all severities")."""
        return (
            f'<button type="button" data-select="all" data-group="{group}" '
            f'aria-label="all {what}">all</button>'
            f'<button type="button" data-select="none" data-group="{group}" '
            f'aria-label="none of the {what}">none</button>'
        )

    return (
        '<nav class="filters" aria-label="filters">'
        f"<fieldset><legend>Clause types</legend>{buttons('type', 'clause types')}"
        f"{checkboxes('type', types, type_counts)}</fieldset>"
        f"<fieldset><legend>Severity</legend>{buttons('severity', 'severities')}"
        f"{checkboxes('severity', severities, severity_counts)}</fieldset>"
        '<p><label for="sort-order">Sort clauses by</label> <select id="sort-order">'
        '<option value="document" selected>document order</option>'
        '<option value="severity">severity, then confidence</option>'
        '<option value="confidence">confidence</option></select></p>'
        f'<p>Showing <span id="shown-count">{shown}</span> of {total} clauses '
        '<span class="muted">(a clause shows while one of its types and its severity are '
        "ticked)</span></p></nav>"
    )


def _clause_html(clause: AnalyzedClause, similar: Mapping[int, SimilarClauses] | None) -> str:
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
        f'data-severity="{_e(_token(severity))}" data-rank="{severity_rank(severity)}" '
        f'data-confidence="{prediction.confidence:.4f}"{"" if prediction.labels else " hidden"}>',
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
    parts.append(regulations_html(list(types)))
    if similar is not None and clause.index in similar:
        parts.append(similar_html(similar[clause.index]))
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
            f'p={probability:.2f} <span class="muted">({_e(severity)})</span></li>'
        )
    return f'<ul class="labels">{"".join(items)}</ul>'
