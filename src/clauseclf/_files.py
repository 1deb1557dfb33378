"""Checks on the files of model, encoder and index folders, and the safe replacement of such a
folder.

A folder clauseclf reads holds regular files only: a symlink could make ``save`` copy (publish)
any local file, and a FIFO or device would hang or flood the reader. Every check uses
``lstat`` and runs before the file is opened. A folder is replaced only when it is empty or of
the kind being written; a staging folder beside it is swapped in, so a crash keeps the old one.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

#: The largest marker file (``config.json``, ``index.json``) read to recognise a folder.
MARKER_LIMIT = 1 << 20


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def require_regular_file(path: Path, error: type[Exception]) -> None:
    """``error`` unless ``path`` is a regular file itself (not a symlink, FIFO, device or
    folder); ``FileNotFoundError`` if it does not exist."""
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise error(
            f"{path}: refused: {_kind(mode)}, not a regular file (model and index folders hold "
            "regular files only)"
        )


def check_folder_entries(directory: Path, error: type[Exception]) -> None:
    """``error`` unless every entry of ``directory`` is a regular file or a real folder (no
    symlinks, FIFOs, devices or sockets); subfolders are checked by the readers that use them."""
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        mode = entry.stat(follow_symlinks=False).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise error(
                f"{Path(entry.path)}: refused: {_kind(mode)} in {directory} (model and index "
                "folders hold regular files and folders only)"
            )


def require_inner_folder(directory: Path, relative: str, error: type[Exception]) -> Path:
    """``directory / relative`` when it is a real folder inside ``directory``: no part of
    ``relative`` is a symlink, ``..`` or absolute; ``error`` otherwise."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or any(p in ("..", ".") for p in parts):
        raise error(f"{relative!r} must be a folder inside the folder {directory}")
    current = directory
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            raise error(f"{current}: missing (a folder inside {directory})") from None
        if not stat.S_ISDIR(mode):
            raise error(f"{current}: refused: {_kind(mode)}, not a folder inside {directory}")
    return current


def read_marker(path: Path) -> object:
    """The JSON of a folder's marker file (``config.json``, ``index.json``), None when it is
    missing, not a regular file, larger than ``MARKER_LIMIT`` or not JSON."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MARKER_LIMIT:
        return None
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it (both resolved)."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def check_replaceable(
    target: Path, *, kind: str, marker: str, fmt: str, entries: Collection[str]
) -> None:
    """``FileExistsError`` unless ``target`` is missing, an empty folder, or a folder of
    ``kind`` to replace: its ``marker`` file is JSON with ``"format": fmt`` and it holds nothing
    but ``entries`` (anything else would be deleted with it). A symlink or a file at
    ``target`` is refused too."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    advice = "remove it yourself or choose another folder"
    if not stat.S_ISDIR(mode):
        raise FileExistsError(
            f"{target} exists and is {_kind(mode).replace('not a regular file', 'a file')}, "
            f"not a {kind} folder: refusing to replace it ({advice})"
        )
    names = sorted(os.listdir(target))
    if not names:
        return
    data = read_marker(target / marker)
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise FileExistsError(
            f"{target} exists and is not a {kind} folder (no {marker} of format {fmt!r}): "
            f"refusing to replace it, which would delete what it holds ({advice})"
        )
    foreign = [name for name in names if name not in entries]
    if foreign:
        raise FileExistsError(
            f"{target} is a {kind} folder but also holds {foreign[:5]}: refusing to replace "
            f"it, which would delete them ({advice})"
        )


def replace_folder(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``; an existing ``target`` (checked by
    ``check_replaceable``) is swapped out to a unique hidden name, then removed."""
    if not os.path.lexists(target):
        os.replace(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    retired.rmdir()
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def write_replacing(target: Path, fill: Callable[[Path], None]) -> None:
    """``fill`` a new staging folder beside ``target`` (made readable by all, as ordinary data
    is), then move it to ``target`` with ``replace_folder`` (the caller has checked ``target``
    with ``check_replaceable``). A failure removes the staging folder and leaves ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staging.chmod(0o755)
        fill(staging)
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
