"""The AES46-2002 `cart` chunk: radio traffic metadata in the broadcast WAV.

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

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import BadInput, ProcessingError
from . import riff
from .bwf import ascii_field

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
        raise BadInput(f"a cart chunk holds at most 8 post timers ({len(cart.post_timers)} given)")
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


def unpack_cart(data: bytes, source: str = "WAV") -> Cart:
    """The fields of a cart chunk's data; BadInput (naming `source`) when it is too short to be one."""
    if len(data) < CART_FIXED_SIZE:
        raise BadInput(f"{source}: cart chunk is {len(data)} bytes; at least {CART_FIXED_SIZE} expected")

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
        layout = riff.read_layout(f, path.name)
        if not layout.find(b"data"):
            raise BadInput(f"{path.name}: WAV without a data chunk")
        kept = list(layout.chunks)
        while kept and kept[-1].id == b"cart":
            kept.pop()
        at = kept[-1].end
        new_size = at + len(chunk)
        if layout.form == b"RIFF" and new_size - 8 > _U32_MAX:
            raise ProcessingError(f"{path.name}: a cart chunk would take this RIFF file past 4 GiB; "
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
    """The cart chunk of the WAV at `path`; None when it has none."""
    data = riff.read_chunk(path, b"cart")
    return unpack_cart(data, Path(path).name) if data is not None else None


def cut_id(episode_id: str) -> str:
    """The episode id when it fits in 64 characters, else a shortened id with a hash of the whole."""
    if len(episode_id) <= CUT_ID_SIZE:
        return episode_id
    digest = hashlib.sha256(episode_id.encode()).hexdigest()[:8]
    return f"{episode_id[:CUT_ID_SIZE - 9]}~{digest}"
