"""The shell of clauseclf's self-contained HTML pages: one document with inline CSS and script
and a Content-Security-Policy that allows exactly those (by hash), so a page loads nothing from
the network and runs no injected code. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable

_e = html.escape

#: Severity colours; they come last in a page's CSS so that they win over a card's defaults.
SEVERITY_CSS = (
    ".sev-none{border-left-color:#2e7d32;background:#eef7ee}.badge.sev-none{background:#2e7d32}"
    ".sev-low{border-left-color:#1565c0;background:#edf3fb}.badge.sev-low{background:#1565c0}"
    ".sev-medium{border-left-color:#9a5b00;background:#fff6e5}"
    ".badge.sev-medium{background:#9a5b00}"
    ".sev-high{border-left-color:#c62828;background:#fdeeee}.badge.sev-high{background:#c62828}"
)

#: Styles every page shares: layout, badges (text contrast >= 4.5:1), finding cards, tables,
#: focus outlines for keyboard use.
LAYOUT_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.45}table{border-collapse:collapse}td,th{padding:.2rem .6rem;"
    "text-align:left;vertical-align:top}a{color:#0b57a4}"
    "a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #0b57a4;"
    "outline-offset:2px}.muted{color:#595959}.note{color:#7a4f00;font-size:.85em}"
    ".badge{font-weight:bold;font-size:.85em;padding:.05rem .45rem;border-radius:.8rem;"
    "color:#fff;background:#595959}"
    ".grade{display:inline-block;font-size:2.2rem;font-weight:bold;width:3.2rem;height:3.2rem;"
    "line-height:3.2rem;text-align:center;border-radius:.4rem;color:#fff;background:#595959}"
    ".grade-A{background:#2e7d32}.grade-B{background:#4d7a1a}.grade-C{background:#8a6100}"
    ".grade-D{background:#b3400b}.grade-E{background:#b71c1c}"
    ".grade.not-graded{font-size:.9rem;line-height:1.1rem;padding-top:.4rem;height:2.8rem}"
    ".finding{border-left:.45rem solid #999;margin:.8rem 0;padding:.5rem .9rem;"
    "border-radius:.2rem}.finding h3{margin:.1rem 0;font-size:1.05em}"
    ".finding .why,.finding .means{margin:.3rem 0}.finding blockquote{margin:.4rem 0 .4rem 1rem;"
    "white-space:pre-wrap}.citation{font-size:.8em;color:#595959;word-break:break-all}"
    ".grid td,.grid th{border:1px solid #ccc}.grid th{background:#f0f0f0}"
    "mark{background:#ffe066;color:inherit;border-bottom:2px solid #c49000;padding:0 .05rem}"
    ".controls{border-bottom:1px solid #ccc;padding:.5rem 0}"
    ".controls label{margin-right:.8rem;white-space:nowrap}[hidden]{display:none!important}"
)
#: The layout and components of every page, then ``SEVERITY_CSS``.
BASE_CSS = LAYOUT_CSS + SEVERITY_CSS


def csp(css: str, script: str | None) -> str:
    """A Content-Security-Policy allowing only ``css`` and ``script`` by hash."""
    scripts = f"'{sha256_source(script)}'" if script else "'none'"
    return (
        f"default-src 'none'; style-src '{sha256_source(css)}'; script-src {scripts}; "
        "base-uri 'none'; form-action 'none'"
    )


def sha256_source(text: str) -> str:
    """The CSP hash source of an inline style or script."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def page(title: str, body: Iterable[str], *, css: str = BASE_CSS, script: str | None = None) -> str:
    """A whole HTML page: ``title`` (escaped here), ``body`` (HTML parts, joined by newlines)
    and the inline ``css`` and ``script`` the page's CSP allows."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp(css, script)}">',
        f"<title>{_e(title)}</title>",
        f"<style>{css}</style></head><body>",
        *body,
    ]
    if script:
        parts.append(f"<script>{script}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
