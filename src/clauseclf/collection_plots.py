"""Charts of a collection's tables (``clauseclf.collection``; need matplotlib: ``[plot]``).

``plot_severity_grid`` draws ``severity_table`` as clause types x platforms, one colour per
level: absent (light grey) apart from protective (blue), neutral (pale yellow) and adverse
(orange for medium, dark red for high), with a legend in words. ``plot_prevalence`` stacks
``prevalence_table``: per type, the platforms at each level. Both draw on ``ax`` (default: a
new figure) and return the axes; they pick no backend, so they draw inline in a notebook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clauseclf.collection import ABSENT, LEVELS
from clauseclf.errors import require_extra

if TYPE_CHECKING:
    import pandas as pd

#: Level -> colour (absent and protective are told apart from each other and from adverse).
LEVEL_COLORS: dict[str, str] = {
    ABSENT: "#ececec",
    "none": "#2c7fb8",
    "low": "#fee391",
    "medium": "#f16913",
    "high": "#8c1010",
}
#: Level -> its name in the legends.
LEVEL_NAMES: dict[str, str] = {
    ABSENT: "absent (not found)",
    "none": "protective (none)",
    "low": "neutral (low)",
    "medium": "adverse (medium)",
    "high": "adverse (high)",
}


def _pyplot() -> Any:
    require_extra("matplotlib", "plot", "clauseclf's charts")
    import matplotlib.pyplot as plt

    return plt


def _legend(ax: Any, levels: tuple[str, ...], **kwargs: Any) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=LEVEL_COLORS[level], edgecolor="#999999", label=LEVEL_NAMES[level])
        for level in levels
    ]
    ax.legend(handles=handles, **kwargs)


def plot_severity_grid(table: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """``table`` (``severity_table``: platforms x types, cells in ``LEVELS``) as a grid of
    types (rows) x platforms (columns); ``ValueError`` naming a cell outside ``LEVELS``."""
    plt = _pyplot()
    from matplotlib.colors import ListedColormap

    cells = table.T.astype(str)
    unknown = sorted(set(cells.to_numpy().ravel()) - set(LEVELS))
    if unknown:
        raise ValueError(f"severity cells must be one of {list(LEVELS)}, got {unknown}")
    codes = [[float(LEVELS.index(value)) for value in row] for row in cells.to_numpy()]
    if ax is None:
        width = min(18.0, 3.0 + 0.32 * len(cells.columns))
        _, ax = plt.subplots(figsize=(width, 1.5 + 0.3 * len(cells.index)))
    ax.imshow(
        codes,
        cmap=ListedColormap([LEVEL_COLORS[level] for level in LEVELS]),
        vmin=-0.5,
        vmax=len(LEVELS) - 0.5,
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_xticks(range(len(cells.columns)), [str(c) for c in cells.columns], rotation=90)
    ax.set_yticks(range(len(cells.index)), [str(i) for i in cells.index])
    ax.set_xticks([x - 0.5 for x in range(1, len(cells.columns))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(cells.index))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    _legend(ax, LEVELS, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    return ax


def plot_prevalence(prevalence: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """``prevalence`` (``prevalence_table``: types x ``LEVELS`` counts) as stacked horizontal
    bars, adverse on the left, then neutral, protective and absent; types in table order, the
    first at the top."""
    plt = _pyplot()
    missing = [level for level in LEVELS if level not in prevalence.columns]
    if missing:
        raise ValueError(f"prevalence lacks the column(s) {missing}")
    order = ("high", "medium", "low", "none", ABSENT)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 1.5 + 0.3 * len(prevalence.index)))
    left = [0.0] * len(prevalence.index)
    positions = list(range(len(prevalence.index)))
    for level in order:
        values = [float(v) for v in prevalence[level]]
        ax.barh(positions, values, left=left, color=LEVEL_COLORS[level], edgecolor="white")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, [str(i) for i in prevalence.index])
    ax.invert_yaxis()
    ax.set_xlabel("platforms")
    ax.set_xlim(0, max(left, default=1.0) or 1.0)
    _legend(ax, order, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    return ax
