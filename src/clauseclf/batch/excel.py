"""Excel output of ``write_scores`` (``.xlsx``, the ``xlsx`` extra: openpyxl).

A workbook cannot be appended to safely, so scoring into ``.xlsx`` checkpoints Parquet parts
like ``.parquet`` output does, and the workbook is written once at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.errors import ScoringError

if TYPE_CHECKING:
    import pandas as pd

XLSX_EXTRA = "pip install 'clauseclf[xlsx]'"
#: Rows an Excel sheet holds, the header included.
EXCEL_MAX_ROWS = 1_048_576


def require_openpyxl(out: Path) -> None:
    """``ScoringError`` naming the extra when openpyxl is not installed."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ScoringError(
            f"{out}: Excel output needs clauseclf[xlsx] (openpyxl): {XLSX_EXTRA}, or write "
            ".parquet, .csv or .jsonl"
        ) from None


def write_workbook(frame: pd.DataFrame, out: Path) -> None:
    """Write ``frame`` (flat cells: no lists or dicts) to the workbook ``out`` atomically.

    Control characters a workbook cannot hold (other than tab and newline) become spaces;
    more rows than a sheet holds is a ``ScoringError`` (nothing is written)."""
    import os

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if len(frame) + 1 > EXCEL_MAX_ROWS:
        raise ScoringError(
            f"{out}: {len(frame):,} rows do not fit in an Excel sheet ({EXCEL_MAX_ROWS - 1:,} "
            "at most); score into .parquet, .csv or .jsonl instead (the scored parts are kept "
            f"in {out.name}.parts: rerun with the new --out and --resume is not needed)"
        )
    text_columns = [c for c in frame.columns if frame[c].dtype == object]
    cleaned = frame.assign(
        **{
            c: frame[c].map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub(" ", v) if isinstance(v, str) else v
            )
            for c in text_columns
        }
    )
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp.xlsx")
    try:
        cleaned.to_excel(staging, index=False, engine="openpyxl", sheet_name="clauses")
        os.replace(staging, out)
    finally:
        staging.unlink(missing_ok=True)


def read_workbook(out: Path) -> pd.DataFrame:
    """The rows of a workbook ``write_workbook`` wrote (document ids as str)."""
    import pandas as pd

    return pd.read_excel(out, engine="openpyxl", dtype={"document_id": str})
