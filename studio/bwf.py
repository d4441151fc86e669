"""Broadcast Wave Format metadata: the bext chunk, version 2 (EBU Tech 3285).

ffmpeg writes the WAV with an empty bext chunk in front of the audio data
(-write_bext 1); `write_bext` then fills it in place, so the audio (which
may be gigabytes) is never copied.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

BEXT_FIXED_SIZE = 602


@dataclass(frozen=True)
class Bext:
    description: str
    originator: str
    originator_reference: str
    origination_date: str  # yyyy-mm-dd
    origination_time: str  # hh:mm:ss
    loudness_value: float  # LUFS
    loudness_range: float  # LU
    max_true_peak: float  # dBTP
    max_momentary: float  # LUFS
    max_short_term: float  # LUFS
    time_reference: int = 0  # samples since midnight


def ascii_field(text: str, size: int) -> bytes:
    """bext text fields are ASCII: drop accents, replace the rest, pad with NULs."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return plain[:size].ljust(size, b"\0")


def _centi(value: float) -> int:
    """Loudness fields are signed 16-bit hundredths; -inf and the like are clamped."""
    if value != value:  # NaN
        return -32768
    return max(-32768, min(32767, round(max(-1e6, min(1e6, value)) * 100)))  # round(inf) would raise


def pack_bext(bext: Bext) -> bytes:
    data = b"".join([
        ascii_field(bext.description, 256),
        ascii_field(bext.originator, 32),
        ascii_field(bext.originator_reference, 32),
        ascii_field(bext.origination_date, 10),
        ascii_field(bext.origination_time, 8),
        struct.pack("<QH", bext.time_reference, 2),
        b"\0" * 64,  # UMID
        struct.pack("<5h", *(_centi(v) for v in (bext.loudness_value, bext.loudness_range, bext.max_true_peak,
                                                bext.max_momentary, bext.max_short_term))),
        b"\0" * 180,
    ])
    assert len(data) == BEXT_FIXED_SIZE
    return data


def find_chunk(path: Path, chunk_id: bytes) -> tuple[int, int] | None:
    """(offset of the chunk's data, its size) for the first chunk `chunk_id`, or None."""
    with open(path, "rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
            raise ValueError(f"{path.name}: not a WAV file")
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            cid, size = head[:4], struct.unpack("<I", head[4:])[0]
            if cid == chunk_id:
                return f.tell(), size
            if cid == b"data":  # everything Studio writes puts its metadata before the audio
                return None
            f.seek(size + (size & 1), 1)


def write_bext(path: Path, bext: Bext) -> None:
    found = find_chunk(path, b"bext")
    if not found or found[1] < BEXT_FIXED_SIZE:
        raise ValueError(f"{path.name}: no bext chunk to fill (write the WAV with -write_bext 1)")
    with open(path, "r+b") as f:
        f.seek(found[0])
        f.write(pack_bext(bext))


def read_bext(path: Path) -> Bext | None:
    found = find_chunk(path, b"bext")
    if not found:
        return None
    with open(path, "rb") as f:
        f.seek(found[0])
        raw = f.read(BEXT_FIXED_SIZE)
    text = lambda a, b: raw[a:b].split(b"\0")[0].decode("ascii", "replace")  # noqa: E731
    time_reference, _version = struct.unpack("<QH", raw[338:348])
    values = [v / 100 for v in struct.unpack("<5h", raw[412:422])]
    return Bext(text(0, 256), text(256, 288), text(288, 320), text(320, 330), text(330, 338), *values,
                time_reference=time_reference)
