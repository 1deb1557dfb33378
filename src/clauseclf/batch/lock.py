"""One writer per output: ``<out>.lock`` holds the pid of the run writing ``out``.

The lock is an ``flock`` on that file (POSIX) or a ``msvcrt.locking`` of one byte past the pid
(Windows), which the system releases when its process ends however it ends; so a lock file left
by a killed run (a stale lock) is taken over, with a warning naming the pid that left it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path
from types import TracebackType

from clauseclf.errors import ScoringError, StaleLockWarning

#: Where the Windows lock sits in the file: past the pid, so that others can read the pid.
LOCKED_OFFSET = 1024


class OutputLock:
    """Context manager: hold ``<out>.lock`` while writing ``out``; ``ScoringError`` naming the
    owner's pid when another run holds it."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.with_name(out.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                owner = _owner(fd)
                os.close(fd)
                raise ScoringError(
                    f"{self.out} is being written by another clauseclf score run (pid "
                    f"{owner or 'unknown'}, lock file {self.path}): wait for it to finish, or "
                    "stop it and run this command again with --resume"
                )
            # The holder may have removed the file between our open and lock: lock the new one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            _unlock(fd)
            os.close(fd)
        stale = _owner(fd)
        if stale is not None and stale != os.getpid():
            warnings.warn(
                f"{self.path}: took over the lock left by pid {stale}, which no longer holds it "
                "(that run ended without finishing, e.g. it was killed)",
                StaleLockWarning,
                stacklevel=2,
            )
        _write_pid(fd)
        self._fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if _windows():  # an open file cannot be removed there: release, close, then remove
            try:
                os.ftruncate(fd, 0)  # a file left behind below names no one: not "stale"
                _unlock(fd)
            finally:
                os.close(fd)
            # PermissionError: another process has it open (a run about to take the lock, or
            # a reader of the pid); the file stays, empty.
            with contextlib.suppress(PermissionError):
                self.path.unlink(missing_ok=True)
            return
        try:
            self.path.unlink(missing_ok=True)  # while still holding it: no one else can
        finally:
            os.close(fd)


def _windows() -> bool:
    return sys.platform == "win32"


def _try_lock(fd: int) -> bool:
    """Take the lock of ``fd`` without waiting; False if another process holds it."""
    if _windows():
        import msvcrt

        os.lseek(fd, LOCKED_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    """Windows: release the byte ``_try_lock`` locked (Windows asks for it before the close,
    which frees a lock only when the system gets to it). POSIX: nothing (the close frees it)."""
    if _windows():
        import msvcrt

        os.lseek(fd, LOCKED_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def _owner(fd: int) -> int | None:
    """The pid written in the lock file open as ``fd`` (None if none is readable)."""
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def _write_pid(fd: int) -> None:
    """Our pid at the start of the file, padded to a fixed width (nothing is truncated: on
    Windows the locked byte lies past the end)."""
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid():<20}\n".encode())
    os.fsync(fd)
