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

from ..errors import BadInput, ProcessingError
from . import riff

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


def write_bext(path: Path, bext: Bext) -> None:
    """Fill the bext chunk of the WAV at `path` in place. ProcessingError when it has none to fill."""
    path = Path(path)
    found = riff.find_chunk(path, b"bext")
    if not found or found.size < BEXT_FIXED_SIZE:
        raise ProcessingError(f"{path.name}: no bext chunk to fill (write the WAV with -write_bext 1)")
    with open(path, "r+b") as f:
        f.seek(found.data_offset)
        f.write(pack_bext(bext))


def read_bext(path: Path) -> Bext | None:
    """The bext chunk of the WAV at `path`, wherever it is in the file; None when it has none."""
    path = Path(path)
    raw = riff.read_chunk(path, b"bext")
    if raw is None:
        return None
    if len(raw) < BEXT_FIXED_SIZE:
        raise BadInput(f"{path.name}: bext chunk is {len(raw)} bytes; at least {BEXT_FIXED_SIZE} expected")
    text = lambda a, b: raw[a:b].split(b"\0")[0].decode("ascii", "replace")  # noqa: E731
    time_reference, _version = struct.unpack("<QH", raw[338:348])
    values = [v / 100 for v in struct.unpack("<5h", raw[412:422])]
    return Bext(text(0, 256), text(256, 288), text(288, 320), text(320, 330), text(330, 338), *values,
                time_reference=time_reference)
