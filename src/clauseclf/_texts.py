"""Checking the texts a caller passes to the encoders, the model and the estimators."""

from __future__ import annotations

from typing import Any


def text_list(texts: Any, *, caller: str) -> list[str]:
    """``texts`` as a list of str, or a TypeError naming ``caller`` and the first bad item."""
    if isinstance(texts, str):
        raise TypeError(f"{caller} takes a sequence of texts, not a single string")
    checked: list[str] = []
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text #{position} is {type(text).__name__}, not str")
        checked.append(text)
    return checked
