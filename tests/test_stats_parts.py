"""A big log counted in parts: worker processes, memory flat, and an interrupted import that resumes after its last
written part without counting anything twice."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest
from statsutil import APP, PODCAST_ADDICT, combined, mp3_episode, when

from studio.stats import parts
from studio.stats.counting import count
from studio.stats.report import report
from studio.workspace.layout import STATS_DB_FILE

MEDIA = "/media/kpu/2026-11-01-dpt.mp3"
SAME_DAY = when("2026-11-03T12:00:00Z")  # that day's window still open
LISTENERS = 4000
# `studio stats import` in parts of 4 KiB that dies, with its workers, while it writes its third part: two parts
# committed, the third's sums written but not committed
CRASH = """
import os, signal, sys
import studio.stats.parts as parts
from studio.stats.importer import Source
from studio.cli import main

parts.PART_BYTES = 4096
record, calls = Source.record, []

def crashing(self, db, upto, digest):
    record(self, db, upto, digest)
    calls.append(upto)
    if len(calls) == 3:
        os.killpg(0, signal.SIGKILL)

Source.record = crashing
sys.argv[0] = "studio"
main()
"""


@pytest.fixture
def episode(workspace, ffmpeg_exe):
    return mp3_episode(workspace, ffmpeg_exe)


def big_log(path, needed: int) -> int:
    """Listeners spread over the whole log: every odd one downloads (one GET), every even one gets just over half
    of what a download needs (so that any part counted twice would make it a download). Returns the answer."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(LISTENERS):
            address = f"36.68.{i // 250}.{i % 250 + 1}"
            stamp = f"03/Nov/2026:{8 + i * 12 // LISTENERS:02d}:00:00 +0700"
            if i % 2:
                f.write(combined(address, stamp, APP, MEDIA, 200, needed) + "\n")
            else:
                f.write(combined(address, stamp, PODCAST_ADDICT, MEDIA, 206, needed // 2 + 1) + "\n")
    return LISTENERS // 2


def test_a_log_in_many_parts_counts_as_in_one(workspace, episode, tmp_path, monkeypatch):
    path = tmp_path / "access.log"
    answer = big_log(path, episode)
    copy = tmp_path / "access.log.1"
    shutil.copyfile(path, copy)  # a rotated copy, read after it: counts nothing more
    monkeypatch.setattr(parts, "PART_BYTES", 4096)  # ~150 parts, counted by a worker per core
    tally = count(workspace, [path, copy], now=SAME_DAY)
    assert tally.lines == LISTENERS and tally.files == 1
    assert report(workspace, now=SAME_DAY).downloads == answer
    assert count(workspace, [copy, path], now=SAME_DAY).lines == 0


def test_an_interrupted_import_resumes_after_its_last_part(workspace, episode, tmp_path):
    path = tmp_path / "access.log"
    answer = big_log(path, episode)
    child = subprocess.run([sys.executable, "-c", CRASH, "--workspace", str(workspace.root), "stats", "import",
                            str(path)], start_new_session=True, capture_output=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    db = sqlite3.connect(workspace.root / STATS_DB_FILE)
    try:
        read_to = db.execute("SELECT max(upto) FROM sources").fetchone()[0]
    finally:
        db.close()
    assert 0 < read_to < path.stat().st_size
    with open(path, "rb") as f:
        lines_read = f.read(read_to).count(b"\n")
    tally = count(workspace, [path], now=SAME_DAY)
    assert tally.lines == LISTENERS - lines_read
    assert report(workspace, now=SAME_DAY).downloads == answer


def test_a_log_studio_cannot_read_stops_the_import_before_anything_counts(workspace, episode, tmp_path):
    from studio.errors import BadInput

    good = tmp_path / "access.log"
    big_log(good, episode)
    bad = tmp_path / "notes.txt"
    bad.write_text("not a log\n")
    with pytest.raises(BadInput, match="notes.txt"):
        count(workspace, [good, bad], now=SAME_DAY)
    assert report(workspace, now=SAME_DAY).downloads == 0
