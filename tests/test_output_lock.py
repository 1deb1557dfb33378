"""``OutputLock`` on both of its platforms: POSIX ``flock`` here, and the Windows branch
(``msvcrt.locking`` of one byte past the pid) through a stand-in ``msvcrt`` that keeps a lock
per file until the descriptor holding it is closed, as Windows does."""

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
    held: dict[tuple[int, int], int] = {}  # (device, inode) -> descriptor holding the lock

    def locking(fd: int, mode: int, nbytes: int) -> None:
        assert mode == module.LK_NBLCK and nbytes == 1
        assert os.lseek(fd, 0, os.SEEK_CUR) == LOCKED_OFFSET
        stat = os.fstat(fd)
        key = (stat.st_dev, stat.st_ino)
        holder = held.get(key)
        if holder is not None and holder != fd:
            try:
                still = os.fstat(holder)
                open_same = (still.st_dev, still.st_ino) == key
            except OSError:
                open_same = False
            if open_same:
                raise PermissionError(13, "Permission denied")
        held[key] = fd

    module = types.ModuleType("msvcrt")
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
