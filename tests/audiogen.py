"""Test audio, made on the spot, and an independent loudness meter.

Signals are synthesized with numpy (speech-like phrases, a music-like jingle,
a clap, room noise) and encoded to any format with the ffmpeg binary of the
imageio-ffmpeg wheel (there is no system ffmpeg). Everything is seeded, so a
given call always gives the same samples.

The meter is deliberately NOT Studio's: integrated loudness and loudness range
come from pyloudnorm, true peak from a 4x polyphase oversampling
(scipy.signal.resample_poly), momentary/short-term maxima from a K-weighting
filter written out here with the coefficients of ITU-R BS.1770. Files are read
with soundfile (libsndfile reads WAV, FLAC, OGG and MP3).

Also used by scripts/bench-loudness (which imports this module by path).
"""

from __future__ import annotations

import math
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
RATE = 48000


# -- running ffmpeg -------------------------------------------------------------

def ffmpeg(*args: str | Path, stdin: bytes | None = None) -> None:
    """Run the wheel's ffmpeg quietly; raise with its log when it fails."""
    cmd = [FFMPEG, "-hide_banner", *(["-nostdin"] if stdin is None else []), "-loglevel", "error", "-y",
           *map(str, args)]
    proc = subprocess.run(cmd, input=stdin, capture_output=True)
    if proc.returncode:
        raise RuntimeError(f"ffmpeg {' '.join(map(str, args))} failed: {proc.stderr.decode(errors='replace')[-2000:]}")


LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def encode(samples: np.ndarray, path: Path, *args: str, rate: int | None = None, in_rate: int = RATE) -> Path:
    """Encode float samples (n,) or (n, channels) in [-1, 1] to `path`; `args` are ffmpeg output options.

    The samples are at `in_rate` (48 kHz, as every generator here makes them);
    ffmpeg resamples them to `rate` when given.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    channels = x.shape[1]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "f32le", "-ar", str(in_rate), "-ch_layout", LAYOUTS[channels], "-i", "pipe:0",
           "-ar", str(rate or in_rate), *args, path, stdin=np.ascontiguousarray(x).tobytes())
    return path


# Output options for each container/codec the tests ingest.
FORMATS = {
    "wav": ["-c:a", "pcm_s16le"],
    "wav24": ["-c:a", "pcm_s24le"],
    "wavf32": ["-c:a", "pcm_f32le"],
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "160k"],
    "m4a": ["-c:a", "aac", "-b:a", "128k"],
    "aac": ["-c:a", "aac", "-b:a", "96k", "-f", "adts"],
    "opus": ["-c:a", "libopus", "-b:a", "64k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
}


def with_video(samples: np.ndarray, path: Path, rate: int | None = None, audio: list[str] | None = None) -> Path:
    """A small video file (MP4, MOV or MKV by suffix) with `samples` (48 kHz) as its audio track."""
    wav = Path(path).with_suffix(".src.wav")
    encode(samples, wav, "-c:a", "pcm_s16le", rate=rate)
    seconds = len(samples) / RATE
    try:
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=10:duration={seconds:.3f}", "-i", wav,
               "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               *(audio or ["-c:a", "aac", "-b:a", "128k"]), "-shortest", path)
    finally:
        wav.unlink(missing_ok=True)
    return Path(path)


def video_only(path: Path, seconds: float = 3.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=10:duration={seconds}", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", path)
    return Path(path)


# -- signals --------------------------------------------------------------------

def db(value: float) -> float:
    return 10 ** (value / 20)


def _resonator(freq: float, bandwidth: float, rate: int) -> tuple[np.ndarray, np.ndarray]:
    r = math.exp(-math.pi * bandwidth / rate)
    theta = 2 * math.pi * freq / rate
    return np.array([1 - r]), np.array([1, -2 * r * math.cos(theta), r * r])


VOWELS = [(730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410)]


def speech(seconds: float, rate: int = RATE, seed: int = 0, f0: float = 130.0, unevenness_db: float = 8.0,
           pause: tuple[float, float] = (0.25, 0.9)) -> np.ndarray:
    """Mono speech-like audio: phrases of syllables (a glottal pulse train through vowel
    formants, with noisy consonant onsets), pauses between phrases, and phrase levels
    that wander over `unevenness_db`. Peak about 0.5; loudness roughly -24 LUFS."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    out = np.zeros(n + rate, dtype=np.float64)
    pos = int(rng.uniform(0.05, 0.3) * rate)
    while pos < n:
        gain = db(rng.uniform(-unevenness_db, 0))
        pitch = f0 * rng.uniform(0.85, 1.2)
        for _ in range(int(rng.integers(3, 12))):
            length = int(rng.uniform(0.12, 0.32) * rate)
            t = np.arange(length) / rate
            contour = pitch * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6)))
            phase = np.cumsum(contour / rate)
            pulses = np.diff(np.floor(phase), prepend=0.0)
            voiced = np.zeros(length)
            for formant, amp in zip(VOWELS[int(rng.integers(len(VOWELS)))], (1.0, 0.6, 0.3)):
                b, a = _resonator(formant * rng.uniform(0.9, 1.1), 80 + formant * 0.06, rate)
                voiced += amp * lfilter(b, a, pulses)
            voiced = lfilter([1, -0.9], [1], voiced)  # lip radiation: tilt up the spectrum
            voiced /= np.max(np.abs(voiced)) + 1e-12
            envelope = np.sin(np.pi * np.minimum(1, np.arange(length) / length)) ** 0.7
            syllable = voiced * envelope
            if rng.random() < 0.5:  # a fricative/plosive onset
                burst = int(rng.uniform(0.03, 0.09) * rate)
                noise = lfilter([1, -0.95], [1], rng.standard_normal(burst)) * 0.12
                syllable[:burst] += noise * np.hanning(burst)
            end = min(pos + length, len(out))
            out[pos:end] += gain * 0.5 * syllable[: end - pos]
            pos += length + int(rng.uniform(0.01, 0.07) * rate)
            if pos >= n:
                break
        pos += int(rng.uniform(*pause) * rate)
    return out[:n].astype(np.float32)


def music(seconds: float, rate: int = RATE, seed: int = 1, channels: int = 2) -> np.ndarray:
    """A dense, loud music-like jingle: chords of harmonic tones, kick and hi-hat. Peak ~0.95."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    out = np.zeros((n, channels))
    beat = 0.5
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (196.0, 246.9, 329.6)]
    for i, start in enumerate(np.arange(0, seconds, 4 * beat)):
        seg = (t >= start) & (t < start + 4 * beat)
        for k, freq in enumerate(chords[i % len(chords)]):
            tone = sum(np.sin(2 * np.pi * freq * h * t[seg]) / h for h in range(1, 6))
            pan = (k + 1) / (len(chords[0]) + 1)
            for c in range(channels):
                out[seg, c] += tone * (pan if c % 2 else 1 - pan) * 0.5
    for start in np.arange(0, seconds, beat):
        i0 = int(start * rate)
        length = min(int(0.25 * rate), n - i0)
        tt = np.arange(length) / rate
        kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 12)
        out[i0:i0 + length] += kick[:, None] * 1.2
        h0 = int((start + beat / 2) * rate)
        hl = min(int(0.05 * rate), n - h0)
        if hl > 0:
            out[h0:h0 + hl] += (rng.standard_normal((hl, channels)) * np.exp(-np.arange(hl) / rate * 80)[:, None]) * 0.3
    out = np.tanh(out * 0.8)  # mastered loud
    return (out / np.max(np.abs(out)) * 0.95).astype(np.float32)


def clap(rate: int = RATE, peak: float = 0.99, seed: int = 2) -> np.ndarray:
    """A 40 ms hand clap / dropped microphone: a noise burst decaying fast, full scale."""
    rng = np.random.default_rng(seed)
    length = int(0.04 * rate)
    x = rng.standard_normal(length) * np.exp(-np.arange(length) / rate * 120)
    return (x / np.max(np.abs(x)) * peak).astype(np.float32)


def room_noise(seconds: float, rate: int = RATE, level_db: float = -60.0, seed: int = 3) -> np.ndarray:
    """Quiet pinkish noise: the air of a room, `level_db` RMS dBFS."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    x = lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                [1, -2.494956002, 2.017265875, -0.522189400], rng.standard_normal(int(seconds * rate)))
    return (x / np.sqrt(np.mean(x ** 2)) * db(level_db)).astype(np.float32)


def telephone(x: np.ndarray, rate: int) -> np.ndarray:
    """Band-limit to 300-3400 Hz, as a phone line does."""
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(4, [300, 3400], btype="bandpass", fs=rate, output="sos"), x).astype(np.float32)


def stereo(x: np.ndarray, width: float = 0.1) -> np.ndarray:
    """Two slightly different channels from a mono signal."""
    return np.stack([x * (1 - width / 2), np.roll(x, 7) * (1 + width / 2) * 0.9], axis=1)


def surround(x: np.ndarray, seed: int = 4) -> np.ndarray:
    """5.1 (FL FR FC LFE BL BR): speech in the centre, room in the others, a little LFE."""
    n = len(x)
    room = np.stack([room_noise(n / RATE + 1, seed=seed + i)[:n] for i in range(4)], axis=1)
    from scipy.signal import butter, sosfilt

    lfe = sosfilt(butter(2, 120, fs=RATE, output="sos"), x) * 0.5
    return np.stack([x * 0.3 + room[:, 0], x * 0.3 + room[:, 1], x, lfe, room[:, 2], room[:, 3]], axis=1)


def scale_to(x: np.ndarray, lufs: float, rate: int = RATE) -> np.ndarray:
    """Scale so pyloudnorm measures `lufs` (before any encoding)."""
    import pyloudnorm

    now = pyloudnorm.Meter(rate).integrated_loudness(np.asarray(x, dtype=np.float64))
    return (x * db(lufs - now)).astype(np.float32)


def concat(*parts: np.ndarray) -> np.ndarray:
    parts2 = [p if p.ndim == 2 else p[:, None] for p in parts]
    channels = max(p.shape[1] for p in parts2)
    return np.concatenate([np.repeat(p, channels, axis=1) if p.shape[1] == 1 else p for p in parts2])


def hard_limit(x: np.ndarray, drive_db: float) -> np.ndarray:
    """A heavily compressed, clipped master: drive into a soft clipper, then a hard clip at -0.1 dBFS."""
    y = np.tanh(x * db(drive_db) * 1.5) / np.tanh(1.5)
    return np.clip(y, -0.989, 0.989).astype(np.float32)


# -- the independent meter ------------------------------------------------------

@dataclass
class Measured:
    integrated: float  # LUFS (pyloudnorm)
    true_peak: float  # dBTP (4x polyphase oversampling)
    loudness_range: float  # LU (pyloudnorm)
    max_momentary: float  # LUFS
    max_short_term: float  # LUFS
    rate: int
    channels: int
    seconds: float


def read(path: Path) -> tuple[np.ndarray, int]:
    """(samples (n, channels) float64, rate); files libsndfile cannot read (MP4, MKV, ...) go through ffmpeg."""
    import tempfile

    import soundfile

    try:
        data, rate = soundfile.read(str(path), always_2d=True, dtype="float64")
    except soundfile.LibsndfileError:
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "decoded.wav"
            ffmpeg("-i", path, "-map", "0:a:0", "-c:a", "pcm_f32le", wav)
            data, rate = soundfile.read(str(wav), always_2d=True, dtype="float64")
    return data, rate


def true_peak_db(data: np.ndarray, rate: int) -> float:
    """dBTP: maximum absolute sample value after 4x polyphase oversampling (as BS.1770-4 Annex 2)."""
    from scipy.signal import resample_poly

    peak = 0.0
    block = rate * 20
    for start in range(0, len(data), block):  # in blocks with overlap, to bound memory
        lo = max(0, start - 256)
        chunk = data[lo:start + block + 256]
        up = resample_poly(chunk, 4, 1, axis=0)
        peak = max(peak, float(np.max(np.abs(up))) if up.size else 0.0)
    return 20 * math.log10(peak) if peak > 0 else -math.inf


# BS.1770 K-weighting at 48 kHz (the standard's published coefficients).
_K48 = [([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585]),
        ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])]


def _window_maxima(data: np.ndarray, rate: int) -> tuple[float, float]:
    """(max momentary, max short-term) loudness, 400 ms and 3 s windows every 100 ms."""
    from scipy.signal import lfilter, resample_poly

    if rate != 48000:
        g = math.gcd(48000, rate)
        data = resample_poly(data, 48000 // g, rate // g, axis=0)
        rate = 48000
    weighted = data
    for b, a in _K48:
        weighted = lfilter(b, a, weighted, axis=0)
    gains = np.array([1.0, 1.0, 1.0, 1.41, 1.41, 1.41][: data.shape[1]])
    power = (weighted ** 2) @ gains
    cumsum = np.concatenate([[0.0], np.cumsum(power)])
    step = rate // 10
    results = []
    for window in (int(0.4 * rate), 3 * rate):
        ends = np.arange(window, len(power) + 1, step)
        if len(ends) == 0:
            results.append(-math.inf)
            continue
        mean = (cumsum[ends] - cumsum[ends - window]) / window
        results.append(float(-0.691 + 10 * np.log10(np.max(mean) + 1e-300)))
    return results[0], results[1]


def measure(path: Path, windows: bool = False) -> Measured:
    import pyloudnorm

    data, rate = read(path)
    meter = pyloudnorm.Meter(rate)
    integrated = float(meter.integrated_loudness(data))
    lra = float(meter.loudness_range(data)) if windows else math.nan
    momentary, short_term = _window_maxima(data, rate) if windows else (math.nan, math.nan)
    return Measured(integrated=integrated, true_peak=true_peak_db(data, rate), loudness_range=lra,
                    max_momentary=momentary, max_short_term=short_term, rate=rate, channels=data.shape[1],
                    seconds=len(data) / rate)


def measure_stream(path: Path, block_seconds: float = 10.0) -> Measured:
    """Integrated loudness (BS.1770-4 gating) and true peak of a file of any length, read in blocks.

    The same meter as `measure` (pyloudnorm's K-weighting coefficients, 400 ms
    blocks every 100 ms, absolute and relative gates; 4x polyphase true peak),
    without holding the file in memory: for hours-long renditions.
    """
    import pyloudnorm
    import soundfile
    from scipy.signal import lfilter, resample_poly

    info = soundfile.info(str(path))
    rate, channels = info.samplerate, info.channels
    filters = [(f.b, f.a, f.passband_gain) for f in pyloudnorm.Meter(rate)._filters.values()]
    states = [np.zeros((max(len(a), len(b)) - 1, channels)) for b, a, _ in filters]
    weights = np.array([1.0, 1.0, 1.0, 1.41, 1.41, 1.41][:channels])
    step = rate // 10  # 100 ms
    energies: list[np.ndarray] = []
    carry = np.zeros((0, channels))
    context = np.zeros((0, channels))
    peak, frames = 0.0, 0
    for block in soundfile.blocks(str(path), blocksize=int(rate * block_seconds), dtype="float64", always_2d=True):
        frames += len(block)
        up = resample_poly(np.concatenate([context, block]), 4, 1, axis=0)[4 * len(context):]
        peak = max(peak, float(np.max(np.abs(up))) if up.size else 0.0)
        context = block[-64:]
        weighted = block
        for i, (b, a, gain) in enumerate(filters):
            weighted, states[i] = lfilter(b, a, weighted, axis=0, zi=states[i])
            weighted = weighted * gain
        weighted = np.concatenate([carry, weighted])
        whole = len(weighted) // step * step
        energies.append(((weighted[:whole] ** 2) @ weights).reshape(-1, step).sum(axis=1))
        carry = weighted[whole:]
    sub = np.concatenate(energies) if energies else np.zeros(0)
    if len(sub) >= 4:
        windows = np.convolve(sub, np.ones(4), mode="valid") / (4 * step)
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10 * np.log10(windows)
        gated = windows[loudness >= -70.0]
        relative = -0.691 + 10 * np.log10(gated.mean()) - 10 if gated.size else -70.0
        kept = windows[(loudness >= -70.0) & (loudness > relative)]
        integrated = -0.691 + 10 * np.log10(kept.mean()) if kept.size else -math.inf
    else:
        integrated = -math.inf
    return Measured(integrated=float(integrated), true_peak=20 * math.log10(peak) if peak > 0 else -math.inf,
                    loudness_range=math.nan, max_momentary=math.nan, max_short_term=math.nan, rate=rate,
                    channels=channels, seconds=frames / rate)


# -- file structure, parsed here (not with studio.media.bwf) -------------------------

def riff_chunks(path: Path) -> dict[bytes, bytes]:
    """Every chunk of a RIFF/WAVE file but `data` (whose size and offset are given instead)."""
    raw = Path(path).read_bytes()
    assert raw[:4] in (b"RIFF", b"RF64") and raw[8:12] == b"WAVE", "not a WAV file"
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        if cid == b"data":
            chunks[b"data"] = struct.pack("<QQ", pos + 8, size)
            if size == 0xFFFFFFFF:  # RF64: size in ds64
                size = struct.unpack("<Q", chunks[b"ds64"][8:16])[0]
        else:
            chunks[cid] = raw[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    return chunks


@dataclass
class WavFormat:
    format_tag: int
    channels: int
    rate: int
    bits: int


def wav_format(chunks: dict[bytes, bytes]) -> WavFormat:
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real tag
        tag = struct.unpack("<H", chunks[b"fmt "][24:26])[0]
    return WavFormat(tag, channels, rate, bits)


@dataclass
class BextFields:
    description: str
    originator: str
    origination_date: str
    origination_time: str
    version: int
    loudness_value: float
    loudness_range: float
    max_true_peak: float
    max_momentary: float
    max_short_term: float


def parse_bext(raw: bytes) -> BextFields:
    """EBU Tech 3285 v2 layout: 256+32+32+10+8 text, 8 time reference, 2 version, 64 UMID, 5 x int16."""
    text = lambda a, b: raw[a:b].split(b"\0")[0].decode("ascii")  # noqa: E731
    version = struct.unpack("<H", raw[346:348])[0]
    values = [v / 100 for v in struct.unpack("<5h", raw[412:422])]
    return BextFields(text(0, 256), text(256, 288), text(320, 330), text(330, 338), version, *values)


@dataclass
class Mp3Info:
    id3_version: tuple[int, int]
    id3_frames: dict[str, bytes]
    bitrates: set[int]  # kbit/s of every MPEG frame
    rates: set[int]
    modes: set[str]
    frames: int
    info_tag: str  # "Info" (CBR), "Xing" (VBR) or ""


_BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]  # MPEG-1 layer III
_RATES = [44100, 48000, 32000]
_MODES = ["stereo", "joint stereo", "dual channel", "mono"]


def parse_mp3(path: Path) -> Mp3Info:
    """ID3v2 header and frames, then walk every MPEG-1 layer III frame header."""
    raw = Path(path).read_bytes()
    assert raw[:3] == b"ID3", "no ID3v2 tag at the start"
    major, minor = raw[3], raw[4]
    syncsafe = lambda b: (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]  # noqa: E731
    tag_size = syncsafe(raw[6:10])
    frames: dict[str, bytes] = {}
    pos = 10
    while pos + 10 <= 10 + tag_size:
        fid = raw[pos:pos + 4]
        if not fid.strip(b"\0"):
            break
        size = syncsafe(raw[pos + 4:pos + 8]) if major == 4 else struct.unpack(">I", raw[pos + 4:pos + 8])[0]
        frames[fid.decode("latin-1")] = raw[pos + 10:pos + 10 + size]
        pos += 10 + size
    pos = 10 + tag_size
    bitrates, rates, modes, count, info = set(), set(), set(), 0, ""
    end = len(raw) - (128 if raw[-128:-125] == b"TAG" else 0)
    while pos + 4 <= end:
        h = struct.unpack(">I", raw[pos:pos + 4])[0]
        if (h >> 21) & 0x7FF != 0x7FF:
            raise AssertionError(f"lost MPEG frame sync at byte {pos} of {end}")
        version, layer = (h >> 19) & 3, (h >> 17) & 3
        assert version == 3 and layer == 1, "not MPEG-1 layer III"
        kbps, rate = _BITRATES[(h >> 12) & 0xF], _RATES[(h >> 10) & 3]
        padding, mode = (h >> 9) & 1, _MODES[(h >> 6) & 3]
        if count == 0:
            side = 17 if mode == "mono" else 32
            tag = raw[pos + 4 + side:pos + 8 + side]
            info = tag.decode("latin-1") if tag in (b"Info", b"Xing") else ""
        bitrates.add(kbps)
        rates.add(rate)
        modes.add(mode)
        count += 1
        pos += 144 * kbps * 1000 // rate + padding
    return Mp3Info((major, minor), frames, bitrates, rates, modes, count, info)


def id3_text(frame: bytes) -> str:
    """Text of an ID3v2 text frame (T***)."""
    encoding, body = frame[0], frame[1:]
    if encoding == 0:
        return body.decode("latin-1").rstrip("\0")
    if encoding == 1:
        return body.decode("utf-16").rstrip("\0")
    if encoding == 2:
        return body.decode("utf-16-be").rstrip("\0")
    return body.decode("utf-8").rstrip("\0")


def file_tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` (files and folders, hidden ones too) with its size and mtime, but the
    workspace's episode index (.studio/index.sqlite3*): a cache of the folders that any command reading
    the episodes may create or bring up to date."""
    root = Path(root)
    tree = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if name.startswith(".studio/index.sqlite3") or name == ".studio":  # the folder: its mtime follows the index
            continue
        st = path.lstat()
        tree[name] = (st.st_size if path.is_file() else -1, st.st_mtime_ns)
    return tree
