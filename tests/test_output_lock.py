"""``OutputLock`` on both of its platforms: POSIX ``flock`` here, and the Windows branch
(``msvcrt.locking`` of one byte past the pid) through a stand-in ``msvcrt`` that keeps a lock
per file until it is unlocked."""

from __future__ import annotations

import os
import sys
import types
import warnings

import pytest

from clauseclf.batch import lock as lock_module
from clauseclf.batch.lock import LOCKED_OFFSET, OutputLock
from clauseclf.errors import ScoringError, StaleLockWarning


def _fake_msvcrt() -> types.ModuleType:
    """Locks per file, released by ``LK_UNLCK`` only: Windows frees a lock its holder closed
    over only when the system gets to it, so the stand-in never does. As on Windows, a locked
    region cannot be locked again (not even through the same descriptor), and unlocking a
    region that is not locked fails."""
    held: set[tuple[int, int]] = set()  # (device, inode) of the files whose byte is locked

    def locking(fd: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1
        assert os.lseek(fd, 0, os.SEEK_CUR) == LOCKED_OFFSET
        stat = os.fstat(fd)
        key = (stat.st_dev, stat.st_ino)
        if mode == module.LK_UNLCK:
            if key not in held:
                raise PermissionError(13, "Permission denied")
            held.discard(key)
            return
        assert mode == module.LK_NBLCK
        if key in held:
            raise PermissionError(13, "Permission denied")
        held.add(key)

    module = types.ModuleType("msvcrt")
    module.LK_UNLCK = 0  # type: ignore[attr-defined]
    module.LK_NBLCK = 2  # type: ignore[attr-defined]
    module.locking = locking  # type: ignore[attr-defined]
    return module


@pytest.fixture(params=["posix", "windows"])
def platform(request, monkeypatch):
    if request.param == "windows":
        monkeypatch.setitem(sys.modules, "msvcrt", _fake_msvcrt())
        monkeypatch.setattr(lock_module, "_windows", lambda: True)
    return request.param


def test_a_second_writer_is_refused_naming_the_owner(platform, tmp_path):
    out = tmp_path / "scores.csv"
    with OutputLock(out) as held:
        assert held.path.read_text().strip() == str(os.getpid())
        with pytest.raises(ScoringError, match=rf"another clauseclf score run \(pid {os.getpid()}"):
            OutputLock(out).__enter__()
    assert not held.path.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleLockWarning)  # released cleanly: nothing stale
        with OutputLock(out):
            pass


def test_a_lock_file_nobody_holds_is_taken_over_with_a_warning(platform, tmp_path):
    out = tmp_path / "scores.csv"
    stale = out.with_name(out.name + ".lock")
    stale.write_text("4194999\n")  # a killed run's pid, its lock gone with it
    with pytest.warns(StaleLockWarning, match="left by pid 4194999"), OutputLock(out) as held:
        assert held.path.read_text().strip() == str(os.getpid())
    assert not stale.exists()


def test_a_lock_file_left_behind_names_no_one(platform, monkeypatch, tmp_path):
    # On Windows another process that has the file open (a reader of the pid) makes its
    # removal fail: the file stays, and must not name this run as a killed one.
    out = tmp_path / "scores.csv"
    path = out.with_name(out.name + ".lock")
    real_unlink = type(path).unlink

    def busy(self, missing_ok=False):
        if self == path and platform == "windows":
            raise PermissionError(13, "The process cannot access the file")
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(type(path), "unlink", busy)
    with OutputLock(out):
        pass
    assert not path.exists() or path.read_text().strip() == ""
