"""One writer per output: ``<out>.lock`` holds the pid of the run writing ``out``.

The lock is an ``flock`` on that file, which the system releases when its process ends however
it ends; so a lock file left by a killed run (a stale lock) is taken over, with a warning naming
the pid that left it. POSIX only (``fcntl``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from types import TracebackType

from clauseclf.errors import ScoringError, StaleLockWarning


class OutputLock:
    """Context manager: hold ``<out>.lock`` while writing ``out``; ``ScoringError`` naming the
    owner's pid when another run holds it."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.with_name(out.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _owner(fd)
                os.close(fd)
                raise ScoringError(
                    f"{self.out} is being written by another clauseclf score run (pid "
                    f"{owner or 'unknown'}, lock file {self.path}): wait for it to finish, or "
                    "stop it and run this command again with --resume"
                ) from None
            # The holder may have removed the file between our open and flock: lock the new one.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        stale = _owner(fd)
        if stale is not None and stale != os.getpid():
            warnings.warn(
                f"{self.path}: took over the lock left by pid {stale}, which no longer holds it "
                "(that run ended without finishing, e.g. it was killed)",
                StaleLockWarning,
                stacklevel=2,
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        os.fsync(fd)
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
        try:
            self.path.unlink(missing_ok=True)  # while still holding it: no one else can
        finally:
            os.close(self._fd)
            self._fd = None


def _owner(fd: int) -> int | None:
    """The pid written in the lock file open as ``fd`` (None if none is readable)."""
    text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None
