"""The AES46-2002 `cart` chunk (radio traffic metadata) and a small RIFF walker.

ffmpeg reserves room for bext but not for cart, so `write_cart` appends the
chunk after the audio data and fixes the RIFF size (or, in an RF64 file, the
ds64 riffSize) in place: the audio, which may be gigabytes, is never copied.
Readers that matter here walk every chunk (Rivendell's RDWaveFile, libsndfile,
mediainfo), so a chunk after `data` is found.

Field layout (2048 bytes, then the free-length TagText):
Version[4] Title[64] Artist[64] CutID[64] ClientID[64] Category[64]
Classification[64] OutCue[64] StartDate[10] StartTime[8] EndDate[10] EndTime[8]
ProducerAppID[64] ProducerAppVersion[64] UserDef[64] dwLevelReference
PostTimer[8]{FOURCC usage, DWORD value} Reserved[276] URL[1024] TagText[].
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import __version__
from .bwf import ascii_field
from .config import Show
from .workspace import Episode

CART_VERSION = "0101"
CART_FIXED_SIZE = 2048
CUT_ID_SIZE = 64
# AES46 leaves an open end to the producer; 9999-12-31 23:59:59 is what Rivendell and most
# playout systems write for "no end date".
OPEN_END = ("9999-12-31", "23:59:59")
_U32_MAX = 0xFFFFFFFF
_FIELDS_64 = ("title", "artist", "cut_id", "client_id", "category", "classification", "out_cue")


@dataclass(frozen=True)
class Cart:
    title: str
    artist: str
    cut_id: str
    start_date: str  # yyyy-mm-dd
    start_time: str  # hh:mm:ss
    end_date: str  # yyyy-mm-dd
    end_time: str  # hh:mm:ss
    client_id: str = ""
    category: str = ""
    classification: str = ""
    out_cue: str = ""
    producer_app_id: str = "Studio"
    producer_app_version: str = __version__
    user_def: str = ""
    # Sample value of the 0 dB reference: full scale of the file's PCM (2**23 for 24-bit),
    # the AES46 example being 32768 for 16-bit.
    level_reference: int = 1 << 23
    post_timers: tuple[tuple[str, int], ...] = ()  # up to 8 (usage FOURCC such as "AUDs", sample)
    url: str = ""
    tag_text: str = ""
    version: str = CART_VERSION


# -- packing ------------------------------------------------------------------

def _ascii(text: str) -> bytes:
    return ascii_field(text, len(text.encode("utf-8"))).rstrip(b"\0")


def pack_cart(cart: Cart) -> bytes:
    """The cart chunk's data (without the 8-byte chunk header)."""
    if len(cart.post_timers) > 8:
        raise ValueError("a cart chunk holds at most 8 post timers")
    timers = b"".join(ascii_field(usage, 4) + struct.pack("<I", value) for usage, value in cart.post_timers)
    data = b"".join([
        ascii_field(cart.version, 4),
        *(ascii_field(getattr(cart, name), 64) for name in _FIELDS_64),
        ascii_field(cart.start_date, 10),
        ascii_field(cart.start_time, 8),
        ascii_field(cart.end_date, 10),
        ascii_field(cart.end_time, 8),
        ascii_field(cart.producer_app_id, 64),
        ascii_field(cart.producer_app_version, 64),
        ascii_field(cart.user_def, 64),
        struct.pack("<i", cart.level_reference),
        timers.ljust(64, b"\0"),
        b"\0" * 276,
        ascii_field(cart.url, 1024),
    ])
    assert len(data) == CART_FIXED_SIZE
    if cart.tag_text:
        tag = _ascii(cart.tag_text).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        data += tag + b"\r\n"  # AES46: free text, CR/LF terminated
    return data


def unpack_cart(data: bytes) -> Cart:
    if len(data) < CART_FIXED_SIZE:
        raise ValueError(f"cart chunk is {len(data)} bytes; at least {CART_FIXED_SIZE} expected")

    def text(start: int, size: int) -> str:
        return data[start:start + size].split(b"\0")[0].decode("ascii", "replace")

    values = {name: text(4 + 64 * i, 64) for i, name in enumerate(_FIELDS_64)}
    timers = []
    for i in range(8):
        usage, value = data[684 + 8 * i:688 + 8 * i], struct.unpack_from("<I", data, 688 + 8 * i)[0]
        if usage.strip(b"\0"):
            timers.append((usage.decode("ascii", "replace"), value))
    tag_text = data[CART_FIXED_SIZE:].split(b"\0")[0].decode("ascii", "replace")
    return Cart(
        version=text(0, 4), **values,
        start_date=text(452, 10), start_time=text(462, 8), end_date=text(470, 10), end_time=text(480, 8),
        producer_app_id=text(488, 64), producer_app_version=text(552, 64), user_def=text(616, 64),
        level_reference=struct.unpack_from("<i", data, 680)[0], post_timers=tuple(timers),
        url=text(1024, 1024), tag_text=tag_text.rstrip("\r\n").replace("\r\n", "\n"),
    )


# -- the RIFF walk ------------------------------------------------------------

@dataclass(frozen=True)
class Chunk:
    id: bytes
    offset: int  # of the 8-byte chunk header
    size: int  # of the data (from ds64 for an RF64 `data` chunk)

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        """Offset after the data and its pad byte."""
        return self.offset + 8 + self.size + (self.size & 1)


@dataclass(frozen=True)
class RiffLayout:
    form: bytes  # b"RIFF" or b"RF64"
    chunks: tuple[Chunk, ...]
    file_size: int
    ds64: Chunk | None = None

    def find(self, chunk_id: bytes) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)


def read_layout(f: BinaryIO, name: str = "file") -> RiffLayout:
    """Every chunk of a RIFF/RF64 WAVE file; ValueError when it is not one or is truncated."""
    file_size = f.seek(0, os.SEEK_END)
    f.seek(0)
    header = f.read(12)
    if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
        raise ValueError(f"{name}: not a WAV file")
    form = header[:4]
    data_size64 = None
    ds64 = None
    chunks = []
    offset = 12
    while offset + 8 <= file_size:
        f.seek(offset)
        cid, size = struct.unpack("<4sI", f.read(8))
        if form == b"RF64" and cid == b"ds64":
            ds64 = Chunk(cid, offset, size)
            data_size64 = struct.unpack("<QQ", f.read(16))[1]
        if form == b"RF64" and cid == b"data" and size == _U32_MAX:
            if data_size64 is None:
                raise ValueError(f"{name}: RF64 file without a ds64 chunk")
            size = data_size64
        chunk = Chunk(cid, offset, size)
        if chunk.data_offset + size > file_size:
            raise ValueError(f"{name}: truncated WAV ({cid.decode('ascii', 'replace')} chunk runs past the end)")
        chunks.append(chunk)
        offset = chunk.end
    if form == b"RF64" and ds64 is None:
        raise ValueError(f"{name}: RF64 file without a ds64 chunk")
    return RiffLayout(form, tuple(chunks), file_size, ds64)


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
    with open(path, "rb") as f:
        layout = read_layout(f, path.name)
        fmt, data = layout.find(b"fmt "), layout.find(b"data")
        if not fmt or not data or fmt.size < 16:
            raise ValueError(f"{path.name}: WAV without fmt or data chunk")
        f.seek(fmt.data_offset)
        _tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", f.read(16))
    return WavInfo(rate, channels, bits, data.size // block_align if block_align else 0)


# -- writing and reading the chunk in a file ------------------------------------

def write_cart(path: Path, cart: Cart) -> None:
    """Add (or replace) the cart chunk of the WAV at `path`, in place.

    The chunk goes at the end of the file. An existing cart chunk at the end
    is cut off first; one elsewhere is renamed JUNK (readers skip it), so the
    audio never moves.
    """
    path = Path(path)
    data = pack_cart(cart)
    chunk = b"cart" + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)
    with open(path, "r+b") as f:
        layout = read_layout(f, path.name)
        if not layout.find(b"data"):
            raise ValueError(f"{path.name}: WAV without a data chunk")
        kept = list(layout.chunks)
        while kept and kept[-1].id == b"cart":
            kept.pop()
        at = kept[-1].end
        new_size = at + len(chunk)
        if layout.form == b"RIFF" and new_size - 8 > _U32_MAX:
            raise ValueError(f"{path.name}: a cart chunk would take this RIFF file past 4 GiB; "
                             "write it as RF64 (ffmpeg -rf64 always) instead")
        for old in kept:
            if old.id == b"cart":
                f.seek(old.offset)
                f.write(b"JUNK")
        content_end = kept[-1].data_offset + kept[-1].size
        f.seek(content_end)
        f.write(b"\0" * (at - content_end))  # the pad byte after an odd-sized chunk, which some writers omit
        f.write(chunk)
        f.truncate(new_size)
        if layout.form == b"RIFF":
            f.seek(4)
            f.write(struct.pack("<I", new_size - 8))
        else:
            f.seek(layout.ds64.data_offset)
            f.write(struct.pack("<Q", new_size - 8))
        f.flush()
        os.fsync(f.fileno())


def read_cart(path: Path) -> Cart | None:
    with open(path, "rb") as f:
        found = read_layout(f, Path(path).name).find(b"cart")
        if not found:
            return None
        f.seek(found.data_offset)
        return unpack_cart(f.read(found.size))


# -- from an episode ------------------------------------------------------------

def cut_id(episode_id: str) -> str:
    """The episode id when it fits in 64 characters, else a shortened id with a hash of the whole."""
    if len(episode_id) <= CUT_ID_SIZE:
        return episode_id
    digest = hashlib.sha256(episode_id.encode()).hexdigest()[:8]
    return f"{episode_id[:CUT_ID_SIZE - 9]}~{digest}"


def air_time(value: str) -> dt.datetime:
    """An air-window bound from episode.toml; one without a zone is local time (as at ingest)."""
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.astimezone()


def _date_time(moment: dt.datetime) -> tuple[str, str]:
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")


def cart_for_episode(episode: Episode, show: Show) -> Cart:
    """The cart chunk Studio writes into an episode's broadcast WAV.

    Start and end come from the air window as the producer wrote it (wall-clock
    time in the offset given at ingest; playout systems compare it with the
    station's local clock). With no window, the cut starts on the day the
    episode was ingested and never ends (9999-12-31 23:59:59). The ingest day
    rather than the day of processing keeps the file's bytes, and so its
    sha256, the same when it is rendered again.
    """
    if episode.air_from:
        start = _date_time(air_time(episode.air_from))
    else:
        start = (episode.ingested_at[:10] or episode.recorded_on, "00:00:00")
    end = _date_time(air_time(episode.air_until)) if episode.air_until else OPEN_END
    return Cart(
        title=episode.title,
        artist=show.title,
        cut_id=cut_id(episode.id),
        client_id=show.author,
        classification=show.slug,
        start_date=start[0], start_time=start[1],
        end_date=end[0], end_time=end[1],
        url=show.link,
        tag_text=episode.description,
    )
