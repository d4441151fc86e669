"""studio.media.riff: the one RIFF/RF64 chunk walk behind bwf, cart and the ingest check for truncated WAVs."""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from studio.errors import BadInput, StudioError
from studio.media import bwf, cart, riff
from studio.media.ffmpeg import _wav_declared_bytes, find_ffmpeg

FMT_16 = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)  # PCM, mono, 8 kHz, 16-bit


def body(chunk_id: bytes, data: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def wave(*chunks: bytes, form: bytes = b"RIFF") -> bytes:
    content = b"WAVE" + b"".join(chunks)
    return form + struct.pack("<I", len(content) if form == b"RIFF" else 0xFFFFFFFF) + content


def ffmpeg_wav(path: Path, *args: str) -> Path:
    subprocess.run([find_ffmpeg().path, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=r=48000:d=1", "-ac", "1", "-c:a", "pcm_s24le", *args, str(path)], check=True)
    return path


BEXT = bwf.Bext("Radio Abdi: Tahapan", "Diskominfo", "abc123", "2026-02-20", "09:30:00",
                -23.0, 6.5, -2.1, -15.25, -18.5)
CART = cart.Cart("Tahapan Pilkada", "Radio Abdi", "radio-abdi/2026-02-20-tahapan", "2026-03-01", "06:00:00",
                 *cart.OPEN_END, tag_text="Penjelasan tahapan.")


# -- chunks after the audio ------------------------------------------------------------

def test_bext_written_after_the_audio_is_read_and_filled(tmp_path):
    """Some tools append their metadata after the data chunk, as Studio does with cart."""
    wav = ffmpeg_wav(tmp_path / "late.wav")
    data = wav.read_bytes() + body(b"bext", bwf.pack_bext(BEXT))
    wav.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    assert bwf.read_bext(wav) == BEXT
    changed = bwf.Bext(**{**BEXT.__dict__, "description": "Edited"})
    bwf.write_bext(wav, changed)
    assert bwf.read_bext(wav) == changed
    assert sf.info(wav).frames == 48000


def test_broadcast_wav_round_trip(tmp_path):
    """What the broadcast rendition gets: ffmpeg's empty bext filled in, a cart chunk appended; both read back."""
    wav = ffmpeg_wav(tmp_path / "broadcast.wav", "-write_bext", "1", "-rf64", "auto")
    bwf.write_bext(wav, BEXT)
    cart.write_cart(wav, CART)
    assert bwf.read_bext(wav) == BEXT
    assert cart.read_cart(wav) == CART
    layout_ids = [c.id for c in _layout(wav).chunks]
    assert layout_ids.index(b"bext") < layout_ids.index(b"data") < layout_ids.index(b"cart")
    found = riff.find_chunk(wav, b"cart")
    assert found and found.offset > riff.find_chunk(wav, b"data").offset
    assert riff.read_chunk(wav, b"cart") == cart.pack_cart(CART)
    assert riff.wav_info(wav) == riff.WavInfo(48000, 1, 24, 48000)


def test_rf64_round_trip(tmp_path):
    wav = ffmpeg_wav(tmp_path / "rf64.wav", "-write_bext", "1", "-rf64", "always")
    bwf.write_bext(wav, BEXT)
    cart.write_cart(wav, CART)
    layout = _layout(wav)
    assert layout.form == b"RF64" and layout.ds64 is not None
    assert layout.find(b"data").size == 48000 * 3  # from ds64, not the 0xFFFFFFFF in the chunk header
    assert bwf.read_bext(wav) == BEXT and cart.read_cart(wav) == CART
    assert sf.info(wav).frames == 48000


def _layout(path: Path) -> riff.RiffLayout:
    with open(path, "rb") as f:
        return riff.read_layout(f, path.name)


# -- odd sizes, zero sizes, sizes past the end ----------------------------------------------

def test_odd_sized_chunk_is_followed_after_its_pad_byte(tmp_path):
    wav = tmp_path / "odd.wav"
    wav.write_bytes(wave(body(b"fmt ", FMT_16), body(b"odd ", b"abc"), body(b"data", b"\1\0" * 4),
                         body(b"cart", cart.pack_cart(CART))))
    layout = _layout(wav)
    assert [c.id for c in layout.chunks] == [b"fmt ", b"odd ", b"data", b"cart"]
    assert layout.find(b"odd ").size == 3 and layout.find(b"data").offset == layout.find(b"odd ").end
    assert cart.read_cart(wav) == CART


def test_zero_sized_chunks_are_walked_past(tmp_path):
    wav = tmp_path / "zeros.wav"
    wav.write_bytes(wave(*[body(b"\0\0\0\0", b"")] * 1000, body(b"fmt ", FMT_16), body(b"data", b"\1\0" * 8)))
    assert riff.wav_info(wav) == riff.WavInfo(8000, 1, 16, 8)


@pytest.mark.parametrize("size", [100, 0x7FFFFFFF, 0xFFFFFFFF])
def test_a_chunk_past_the_end_is_bad_input_not_a_hang(tmp_path, size):
    wav = tmp_path / "past.wav"
    wav.write_bytes(wave(body(b"fmt ", FMT_16)) + b"LIST" + struct.pack("<I", size) + b"INFO")
    for read in (lambda: riff.read_chunk(wav, b"bext"), lambda: bwf.read_bext(wav), lambda: cart.read_cart(wav),
                 lambda: riff.wav_info(wav)):
        with pytest.raises(BadInput, match=r"past\.wav: truncated WAV \('LIST' chunk runs past the end"):
            read()
    with open(wav, "rb") as f:  # as ingest reads a recording cut short: the walk keeps what was declared
        assert riff.read_layout(f, wav.name, partial=True).chunks[-1] == riff.Chunk(b"LIST", 36, size)


def test_rf64_with_a_short_ds64_is_bad_input(tmp_path):
    wav = tmp_path / "short.wav"
    wav.write_bytes(wave(b"ds64" + struct.pack("<I", 28) + b"\0" * 4, form=b"RF64"))
    for read in (lambda: bwf.read_bext(wav), lambda: cart.read_cart(wav), lambda: riff.wav_info(wav)):
        with pytest.raises(BadInput, match="short.wav: broken RF64 file"):
            read()
    assert _wav_declared_bytes(wav) is None


def test_short_bext_and_cart_chunks_are_bad_input(tmp_path):
    wav = tmp_path / "stubs.wav"
    wav.write_bytes(wave(body(b"fmt ", FMT_16), body(b"bext", b"x" * 100), body(b"data", b"\0\0"),
                         body(b"cart", b"0101")))
    with pytest.raises(BadInput, match="stubs.wav: bext chunk is 100 bytes"):
        bwf.read_bext(wav)
    with pytest.raises(BadInput, match="stubs.wav: cart chunk is 4 bytes"):
        cart.read_cart(wav)


def test_garbage_never_escapes_as_a_raw_exception(tmp_path):
    """Random chunk streams and a real broadcast WAV cut anywhere: a result, or one StudioError."""
    rng = random.Random(11)
    real = tmp_path / "real.wav"
    ffmpeg_wav(real, "-write_bext", "1", "-rf64", "always")
    cart.write_cart(real, CART)
    whole = real.read_bytes()
    samples = [whole[:cut] for cut in sorted(rng.sample(range(len(whole)), 150))]
    samples += [whole[:cut] for cut in range(0, 200)]  # every cut through the header, ds64 and bext
    for _ in range(300):
        form = rng.choice([b"RIFF", b"RF64"])
        chunks = b"".join(rng.choice([b"ds64", b"fmt ", b"data", b"bext", b"cart", b"JUNK"])
                          + struct.pack("<I", rng.choice([0, 1, 7, 16, 28, 602, 2048, 0xFFFFFFFF, rng.getrandbits(32)]))
                          + rng.randbytes(rng.randrange(40)) for _ in range(rng.randrange(6)))
        samples.append(form + rng.randbytes(4) + b"WAVE" + chunks)
    wav = tmp_path / "x.wav"
    for sample in samples:
        wav.write_bytes(sample)
        for read in (bwf.read_bext, cart.read_cart, riff.wav_info, _wav_declared_bytes):
            try:
                read(wav)
            except StudioError as exc:
                assert "\n" not in str(exc) and str(exc).startswith("x.wav: "), exc


def test_not_a_wav(tmp_path):
    bogus = tmp_path / "x.wav"
    bogus.write_bytes(b"ID3" + b"\0" * 100)
    with pytest.raises(BadInput, match="x.wav: not a WAV file"):
        riff.find_chunk(bogus, b"bext")
    assert _wav_declared_bytes(bogus) is None
