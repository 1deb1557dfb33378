"""Progress bars: ``progress_bar`` is tqdm's bar, the notebook widget only where it can draw.

``tqdm.auto`` warns "IProgress not found" on import in a Jupyter kernel without ipywidgets,
even for a disabled bar; ``progress_bar`` imports it only for an enabled bar with ipywidgets
installed, and otherwise uses the text bar (on stderr).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any


def progress_bar(
    iterable: Iterable[Any] | None = None, *, disable: bool = False, **kwargs: Any
) -> Any:
    """A ``tqdm`` bar over ``iterable`` (or updated by hand); ``kwargs`` as for ``tqdm``."""
    if disable or importlib.util.find_spec("ipywidgets") is None:
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, disable=disable, **kwargs)
