"""The episode lock: one process per episode, and a waiter never ends up holding a replaced folder's lock."""

from __future__ import annotations

import fcntl
import shutil
import threading
import time
from pathlib import Path

import pytest

from studio.workspace.layout import LOCK_FILE, STATE_DIR
from studio.workspace.state import EpisodeBusy, episode_lock


def locked_by_someone(folder: Path) -> bool:
    with open(folder / LOCK_FILE, "a+") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
        return False


def test_a_waiter_gives_up_after_wait_seconds_naming_the_holder(tmp_path):
    folder = tmp_path / "kpu" / "2026-01-01-dpt"
    told = []
    with episode_lock(folder):
        started = time.monotonic()
        with pytest.raises(EpisodeBusy, match=r"kpu/2026-01-01-dpt is still locked by pid \d+"):
            with episode_lock(folder, wait=0.5, on_wait=told.append):
                pass
        assert time.monotonic() - started >= 0.5  # it waited its whole `wait` (however slow the machine) first
    assert len(told) == 1 and "waiting up to 0.5 s" in told[0]


def test_a_waiter_takes_the_new_folders_lock_after_a_replace(tmp_path):
    """`ingest --replace` swaps the episode folder while `process` waits on the old one's lock."""
    folder = tmp_path / "kpu" / "2026-01-01-dpt"
    holding = threading.Event()
    waiting = threading.Event()  # set by episode_lock's on_wait: the waiter has the old folder's lock file open
    release = threading.Event()
    waiter_has_it = threading.Event()
    waiter_done = threading.Event()

    def replacer() -> None:
        with episode_lock(folder):
            holding.set()
            release.wait(10)
            old = folder.with_name(".old")
            folder.rename(old)  # the swap, under the lock as ingest does it
            (folder / STATE_DIR).mkdir(parents=True)
            shutil.rmtree(old)

    def waiter() -> None:
        with episode_lock(folder, on_wait=lambda message: waiting.set()):
            waiter_has_it.set()
            waiter_done.wait(10)

    first = threading.Thread(target=replacer)
    first.start()
    holding.wait(10)
    second = threading.Thread(target=waiter)
    second.start()
    assert waiting.wait(10), "the waiter never found the lock taken"
    release.set()  # the swap happens while the waiter waits on the old folder's lock file
    first.join(10)
    assert waiter_has_it.wait(10)
    try:
        assert locked_by_someone(folder), "the waiter holds the lock of a folder that no longer exists"
    finally:
        waiter_done.set()
        second.join(10)
