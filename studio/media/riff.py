"""The chunks of a RIFF/RF64 WAVE file: one walk for every WAV reader and writer (bwf, cart, media).

A WAVE file is a 12-byte header ("RIFF" or "RF64", a size, "WAVE"), then
chunks: a 4-byte id, a 32-bit little-endian size, the body, and a pad byte
after a body of odd size. In an RF64 file (one past 4 GiB) the data chunk's
size field is 0xFFFFFFFF and the real size is in the ds64 chunk in front of
it. The walk goes to the end of the file, so a chunk written after the audio
data (the cart chunk) is found.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import BadInput

SIZE_IN_DS64 = 0xFFFFFFFF  # a 32-bit size field of an RF64 file: the size is in ds64 (or not known yet)
DS64_MIN_SIZE = 16  # riffSize and dataSize, 64 bits each


@dataclass(frozen=True)
class Chunk:
    id: bytes
    offset: int  # of the 8-byte chunk header
    size: int  # of the body, as declared (from ds64 for an RF64 `data` chunk)

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        """Offset after the body and its pad byte."""
        return self.offset + 8 + self.size + (self.size & 1)

    @property
    def name(self) -> str:
        return self.id.decode("ascii", "replace")


@dataclass(frozen=True)
class RiffLayout:
    form: bytes  # b"RIFF" or b"RF64"
    chunks: tuple[Chunk, ...]
    file_size: int
    ds64: Chunk | None = None

    def find(self, chunk_id: bytes) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)


def read_layout(f: BinaryIO, name: str, partial: bool = False) -> RiffLayout:
    """Every chunk of the RIFF/RF64 WAVE file open in `f`, in file order.

    BadInput (naming the file as `name`) when it is not one, or when a chunk
    runs past the end of the file. With `partial`, such a chunk (the audio of
    a recording cut short) is kept as declared and ends the walk, and an RF64
    data chunk without a ds64 keeps the size 0xFFFFFFFF (unknown).
    """
    file_size = f.seek(0, os.SEEK_END)
    f.seek(0)
    header = f.read(12)
    if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
        raise BadInput(f"{name}: not a WAV file")
    form = header[:4]
    ds64: Chunk | None = None
    data_size64: int | None = None
    chunks: list[Chunk] = []
    offset = 12
    while offset + 8 <= file_size:  # every chunk moves it on by 8 bytes at least: the walk ends
        f.seek(offset)
        cid, size = struct.unpack("<4sI", f.read(8))
        if form == b"RF64" and cid == b"ds64" and ds64 is None:
            body = f.read(DS64_MIN_SIZE)
            if size < DS64_MIN_SIZE or len(body) < DS64_MIN_SIZE:
                raise BadInput(f"{name}: broken RF64 file (its ds64 chunk is too short)")
            ds64 = Chunk(cid, offset, size)
            data_size64 = struct.unpack("<QQ", body)[1]
        if form == b"RF64" and cid == b"data" and size == SIZE_IN_DS64 and data_size64 is not None:
            size = data_size64
        chunk = Chunk(cid, offset, size)
        chunks.append(chunk)
        if chunk.data_offset + size > file_size:
            if partial:
                break
            raise BadInput(f"{name}: truncated WAV ({chunk.name!r} chunk runs past the end of the file)")
        offset = chunk.end
    if form == b"RF64" and ds64 is None and not partial:
        raise BadInput(f"{name}: broken RF64 file (no ds64 chunk)")
    return RiffLayout(form, tuple(chunks), file_size, ds64)


def read_body(f: BinaryIO, chunk: Chunk, limit: int | None = None) -> bytes:
    """The chunk's body (its first `limit` bytes); shorter when the file ends first."""
    f.seek(chunk.data_offset)
    return f.read(chunk.size if limit is None else min(limit, chunk.size))


def find_chunk(path: Path, chunk_id: bytes) -> Chunk | None:
    """The first chunk `chunk_id` of the WAV at `path`, wherever it is; None when there is none."""
    with open(path, "rb") as f:
        return read_layout(f, Path(path).name).find(chunk_id)


def read_chunk(path: Path, chunk_id: bytes) -> bytes | None:
    """The body of the first chunk `chunk_id` of the WAV at `path`; None when there is none."""
    with open(path, "rb") as f:
        chunk = read_layout(f, Path(path).name).find(chunk_id)
        return read_body(f, chunk) if chunk else None


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    bit_depth: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def wav_info(path: Path) -> WavInfo:
    """Format and length of a PCM WAV, from its fmt and data chunks (no decoding)."""
    path = Path(path)
    with open(path, "rb") as f:
        layout = read_layout(f, path.name)
        fmt, data = layout.find(b"fmt "), layout.find(b"data")
        if not fmt or not data or fmt.size < 16:
            raise BadInput(f"{path.name}: WAV without fmt or data chunk")
        _tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", read_body(f, fmt, 16))
    return WavInfo(rate, channels, bits, data.size // block_align if block_align else 0)
