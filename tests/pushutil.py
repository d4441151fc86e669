"""Helpers for the radio push tests: a broadcast-sized stand-in file and its PushItem."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from studio.radio.push.base import PushItem

WIB = dt.timezone(dt.timedelta(hours=7))


def make_item(folder: Path, episode: str = "2024-01-10-dpt", size: int = 300_000, *, seed: bytes = b"",
              air_from: dt.datetime | None = dt.datetime(2031, 3, 4, 19, 0, tzinfo=WIB), **fields) -> PushItem:
    """A file of `size` bytes (its content depends on `episode` and `seed`) and its item: 60 s long, cue points,
    aired from `air_from` for an hour."""
    data = (hashlib.sha256(episode.encode() + seed).digest() * (size // 32 + 1))[:size]
    data = bytes(b ^ (i * 131 % 251) for i, b in enumerate(data)) if seed else data
    path = folder / f"{episode}{'-' + seed.decode() if seed else ''}.wav"
    path.write_bytes(data)
    values = dict(show="kpu", episode=episode, path=path, sha256=hashlib.sha256(data).hexdigest(), bytes=size,
                  duration=60.0, title=f"Debat {episode}", artist="Kabar Pemilu", album="Kabar Pemilu",
                  cue_in=1.5, cue_out=58.25, fade_in=0.5, fade_out=1.0, air_from=air_from,
                  air_until=air_from + dt.timedelta(hours=1) if air_from else None)
    values.update(fields)
    return PushItem(**values)


def journal_of(root: Path, item: PushItem) -> Path:
    folder = root / "journal" / item.episode
    os.makedirs(folder, exist_ok=True)
    return folder


def write_big(path: Path, mib: int) -> None:
    """A file of `mib` MiB, written a MiB at a time."""
    block = hashlib.sha256(path.name.encode()).digest() * (1 << 15)
    with open(path, "wb") as f:
        for n in range(mib):
            f.write(n.to_bytes(4, "big") + block[4:])


def peak_memory_kib(status: str) -> int:
    """VmHWM (the peak resident memory of a process since it started its program) from /proc/<pid>/status."""
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
