"""Parsing JSON from files: every way a text can fail is a ``json.JSONDecodeError``.

``json.loads`` lets a few inputs escape as other exceptions: nesting deeper than Python's
recursion limit (``RecursionError``) and an integer longer than Python converts
(``ValueError``). ``loads`` turns both into ``json.JSONDecodeError`` with the line where the
problem starts, so a reader's ``except json.JSONDecodeError`` names its file and line for
them too. ``non_finite`` finds a NaN or infinite number (``NaN``, ``Infinity`` or ``1e999``
parse as floats) and names its key.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

#: Nesting deeper than this is reported as too deep (json recurses once per level).
_REPORTED_DEPTH = 200
_MAX_DIGITS = sys.get_int_max_str_digits() or 4300
_LONG_INTEGER = re.compile(f"[0-9]{{{_MAX_DIGITS + 1},}}")


def loads(text: str) -> Any:
    """``json.loads(text)``; ``json.JSONDecodeError`` for every malformed text, too deep
    nesting and too long integers included."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(
            "nested too deeply (arrays or objects inside each other)", text, _deep_position(text)
        ) from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer longer than int() converts
        found = _LONG_INTEGER.search(text)
        raise json.JSONDecodeError(
            f"number too large (more than {_MAX_DIGITS} digits)",
            text,
            found.start() if found else 0,
        ) from None


def non_finite(data: Any) -> tuple[str, float] | None:
    """The key path (``"a.b[2]"``) and value of the first NaN or infinite number in ``data``
    (parsed JSON), or None when every number is finite."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path or "(the document)", value
        if isinstance(value, dict):
            children = [(f"{path}.{key}" if path else str(key), v) for key, v in value.items()]
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", v) for i, v in enumerate(value)]))
    return None


def _deep_position(text: str) -> int:
    """Where ``text``'s nesting first passes ``_REPORTED_DEPTH`` (outside strings), else 0."""
    depth, in_string, escaped = 0, False, False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > _REPORTED_DEPTH:
                return position
        elif char in "]}":
            depth -= 1
    return 0
