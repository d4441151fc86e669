"""One streamed pass over a recording: where the speech is, how loud each stretch of it is, the noise
floor and the mains hum of the non-speech parts.

The original is decoded once to 16 kHz mono float samples and read in blocks of BLOCK_S seconds: only
one block is in memory, and what is kept per 100 ms frame (its K-weighted power and peak, two floats)
is a few hundred kilobytes for hours of audio. Speech is found by the silero VAD that faster-whisper
ships (already installed for the transcription); a music bed or a jingle is not speech, so the leveler
leaves it alone. Loudness is K-weighted (ITU-R BS.1770) in the frequency domain: each frame's spectrum
weighted by the response of the standard's two filters, which numpy does in one batched FFT.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..ffmpeg import FFmpeg, Progress, read_ffmpeg
from .figures import Hum
from .spectrum import RATE, SPECTRUM, _db, band_dbfs, find_hum, hum_share

ANALYSIS_VERSION = 4
FRAME = RATE // 10  # 100 ms
BLOCK_S = 60  # seconds of audio the VAD sees at once
SILENT_DB = -120.0

# VAD: sentence-sized segments (a pause of 300 ms ends one), little padding so that pauses stay pauses.
VAD_THRESHOLD = 0.5
VAD_MIN_SILENCE_MS = 300
VAD_PAD_MS = 100
# A sentence this much louder or quieter than the turn so far starts a new turn (another speaker).
TURN_SPLIT_LU = 4.5
TURN_MIN_S = 1.0  # shorter sentences never start a turn
MAX_BOOST_DB = 18.0
MAX_CUT_DB = 12.0


@dataclass
class Turn:
    """A stretch of speech at one level (one speaker's turn, as the levels tell): the leveler's unit."""

    start: float
    end: float
    loudness: float  # K-weighted, relative-gated power of its speech frames (dB, ~LUFS)
    gain_db: float = 0.0


@dataclass
class SoundAnalysis:
    """What the pass learned; cached with the original's sha256 (to_dict/from_dict)."""

    duration: float
    speech: list[list[float]]  # [start, end] of every VAD segment, seconds
    turns: list[Turn]
    noise_floor_dbfs: float | None  # RMS of the non-speech parts (None: no non-speech part)
    quiet_dbfs: float | None  # the steady noise: 20th percentile of the non-speech frames' levels
    speech_lufs: float | None  # the typical speech loudness (duration-weighted median of the turns)
    hum: Hum | None
    noise_sample: list[float] | None  # [start, end] of the quietest non-speech stretch: the noise profile
    # the level below the voice: what the K-weighting leaves out of the talk's pauses (mostly under 40 Hz) or the
    # 20-80 Hz band of the non-speech spectrum, whichever is louder
    rumble_dbfs: float | None = None
    hum_share_db: float | None = None  # the hum's share of the steady noise's power, dB (what the notches take)
    programme_gain_db: float = 0.0  # the leveler's gain for music and long non-speech stretches (gain_curve)
    # The blocks histogram ([loudness, peak, count], as loudness.Analysis.blocks) before and after the leveler's
    # gains, on this pass's own scale, and the same pass's integrated loudness and highest peak of each.
    blocks_plain: list[list[float]] = field(default_factory=list)
    blocks_levelled: list[list[float]] = field(default_factory=list)
    integrated_plain: float = -70.0
    integrated_levelled: float = -70.0
    peak_plain: float = SILENT_DB
    peak_levelled: float = SILENT_DB

    @property
    def spread_lu(self) -> float | None:
        """max - min loudness over the turns (the producer's "level spread between speakers")."""
        levels = [t.loudness for t in self.turns]
        return round(max(levels) - min(levels), 2) if len(levels) > 1 else (0.0 if levels else None)

    def to_dict(self) -> dict:
        return {"version": ANALYSIS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "SoundAnalysis":
        data = {k: v for k, v in data.items() if k != "version"}
        hum = data.pop("hum", None)
        return cls(turns=[Turn(**t) for t in data.pop("turns")],
                   hum=Hum(**{**hum, "harmonics_hz": tuple(hum["harmonics_hz"])}) if hum else None, **data)


# -- K-weighting -----------------------------------------------------------------------------------

def _k_weights(n: int) -> np.ndarray:
    """|H(f)|^2 of BS.1770's pre-filter and RLB filter (48 kHz coefficients) at the rfft bins of n samples."""
    stages = [([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585]),
              ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])]
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    z = np.exp(-2j * np.pi * freqs / 48000)
    power = np.ones_like(freqs)
    for b, a in stages:
        h = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
        power *= np.abs(h) ** 2
    return power


def gated_loudness(powers: np.ndarray) -> float:
    """BS.1770 gating over 400 ms block powers (absolute -70, relative -10)."""
    levels = -0.691 + _db(powers)
    audible = powers[levels > -70.0]
    if not len(audible):
        return -70.0
    relative = -0.691 + _db(audible.mean()) - 10.0
    kept = audible[-0.691 + _db(audible) > relative]
    return float(-0.691 + _db(kept.mean()))


# -- the pass ----------------------------------------------------------------------------------------

def decode_args(source: Path, chain: str = "") -> list[str]:
    """ffmpeg arguments that write the first audio track as 16 kHz mono float to stdout (after `chain`,
    on the renditions' timeline)."""
    from ..loudness import _COMMON_CHAIN

    steps = ",".join(filter(None, [_COMMON_CHAIN, chain, f"aresample={RATE}", "aformat=channel_layouts=mono"]))
    return ["-v", "error", "-i", str(source), "-filter_complex", f"[0:a:0]{steps}[out]", "-map", "[out]",
            "-f", "f32le", "-"]


def blocks(ffmpeg: FFmpeg, args: list[str], progress: Progress | None = None):
    """Yield (offset seconds, float32 samples) blocks of BLOCK_S seconds from ffmpeg's stdout."""
    size = BLOCK_S * RATE * 4
    pending = bytearray()
    offset = 0
    for data in read_ffmpeg(ffmpeg, args, 1 << 18):
        pending += data
        while len(pending) >= size:
            yield offset / RATE, np.frombuffer(bytes(pending[:size]), dtype=np.float32)
            del pending[:size]
            offset += BLOCK_S * RATE
            if progress:
                progress(offset / RATE)
    usable = len(pending) // 4 * 4
    if usable:
        yield offset / RATE, np.frombuffer(bytes(pending[:usable]), dtype=np.float32)


def frame_levels(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 100 ms frame: K-weighted power, plain power and peak (linear) of whole frames."""
    n = len(samples) // FRAME
    frames = samples[: n * FRAME].reshape(n, FRAME).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    scale = np.full(spectrum.shape[1], 2.0)
    scale[0] = 1.0
    if FRAME % 2 == 0:
        scale[-1] = 1.0
    k_power = (spectrum * scale * _k_weights(FRAME)).sum(axis=1) / FRAME ** 2
    power = (frames ** 2).mean(axis=1)
    return k_power, power, np.abs(frames).max(axis=1) if n else np.zeros(0)


def _vad(samples: np.ndarray) -> list[tuple[int, int]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=VAD_THRESHOLD, min_silence_duration_ms=VAD_MIN_SILENCE_MS,
                         speech_pad_ms=VAD_PAD_MS)
    return [(c["start"], c["end"]) for c in get_speech_timestamps(samples, options)]


def analyze_sound(ffmpeg: FFmpeg, source: Path, progress: Progress | None = None) -> SoundAnalysis:
    """Decode `source` once and learn what the processing needs (see the module's docstring)."""
    k_parts, power_parts, peak_parts = [], [], []
    speech: list[list[float]] = []
    spectrum_quiet = np.zeros(SPECTRUM // 2 + 1)
    # The steady spectrum: in each block, every bin's 10th percentile over the block's windows (speech, whose
    # harmonics move, is absent from most windows at any one frequency; a hum's line never is), the blocks'
    # levels then averaged (in dB).
    spectrum_steady = np.zeros(SPECTRUM // 2 + 1)
    quiet_windows = steady_blocks = 0
    window = np.hanning(SPECTRUM)
    total = 0
    for offset, samples in blocks(ffmpeg, decode_args(source), progress):
        total += len(samples)
        k_power, power, peak = frame_levels(samples)
        k_parts.append(k_power)
        power_parts.append(power)
        peak_parts.append(peak)
        mask = np.zeros(len(samples), dtype=bool)
        for start, end in _vad(samples):
            mask[start:end] = True
            begin, finish = offset + start / RATE, offset + end / RATE
            if speech and begin - speech[-1][1] < 0.05:  # cut by the block's edge: one segment
                speech[-1][1] = round(finish, 3)
            else:
                speech.append([round(begin, 3), round(finish, 3)])
        starts = range(0, len(samples) - SPECTRUM + 1, SPECTRUM // 2)
        if not starts:
            continue
        lines = np.abs(np.fft.rfft(np.stack([samples[at:at + SPECTRUM] for at in starts]) * window, axis=1)) ** 2
        spectrum_steady += np.log10(np.percentile(lines, 10, axis=0) + 1e-20)
        steady_blocks += 1
        for at, line in zip(starts, lines):
            if not mask[at:at + SPECTRUM].any():
                spectrum_quiet += line
                quiet_windows += 1
    k_power = np.concatenate(k_parts) if k_parts else np.zeros(0)
    power = np.concatenate(power_parts) if power_parts else np.zeros(0)
    peak = np.concatenate(peak_parts) if peak_parts else np.zeros(0)
    duration = total / RATE
    turns = _turns(speech, k_power)
    for turn in turns:  # each turn's loudness over all its speech frames, as the figures measure it after
        turn.loudness = round(_segment_loudness(k_power[int(turn.start * 10):int(math.ceil(turn.end * 10))]), 2)
    _plan_gains(turns)
    quiet = power[pause_frames(speech, len(power)) & (power > 1e-12)]
    # The steady noise: from the pauses of the talk only, not from a jingle or a music bed between talks
    talk_pauses = talk_pause_frames(speech, len(power), duration)
    room = power[talk_pauses & (power > 1e-12)]
    steady = 10 ** (spectrum_steady / steady_blocks) if steady_blocks else None
    spectrum = spectrum_quiet / quiet_windows if quiet_windows >= 4 else steady
    hum = find_hum(steady) if steady is not None else None
    programme_gain = programme_gain_db(turns, k_power)
    gains = (gain_curve(turns, len(k_power) / 10, 10, programme_gain)[: len(k_power)] if turns
             else np.zeros(len(k_power)))
    gains = np.pad(gains, (0, max(0, len(k_power) - len(gains))))
    plain, levelled = _block_powers(k_power), _block_powers(k_power * 10 ** (gains / 10))
    peaks_plain, peaks_levelled = _block_peaks(peak), _block_peaks(peak * 10 ** (gains / 20))
    levels = sorted((t.loudness, t.end - t.start) for t in turns)
    return SoundAnalysis(
        duration=round(duration, 3), speech=speech, turns=turns,
        noise_floor_dbfs=round(float(_db(quiet.mean())), 2) if len(quiet) else None,
        quiet_dbfs=round(float(_db(np.percentile(room, 20))), 2) if len(room) >= 5 else None,
        speech_lufs=_weighted_median(levels), hum=hum,
        rumble_dbfs=_louder(_below_the_voice(power, k_power, talk_pauses),
                            band_dbfs(spectrum, 20, 80, hum, steady=quiet_windows < 4) if spectrum is not None else None),
        noise_sample=_noise_sample(speech, power, duration), hum_share_db=hum_share(steady, hum),
        programme_gain_db=programme_gain,
        blocks_plain=_histogram(plain, peaks_plain), blocks_levelled=_histogram(levelled, peaks_levelled),
        integrated_plain=round(gated_loudness(plain), 3) if len(plain) else -70.0,
        integrated_levelled=round(gated_loudness(levelled), 3) if len(levelled) else -70.0,
        peak_plain=round(float(_db(peaks_plain.max() ** 2)), 2) if len(peaks_plain) else SILENT_DB,
        peak_levelled=round(float(_db(peaks_levelled.max() ** 2)), 2) if len(peaks_levelled) else SILENT_DB,
    )


def _louder(a: float | None, b: float | None) -> float | None:
    return max(a, b) if a is not None and b is not None else a if b is None else b


def _below_the_voice(power: np.ndarray, k_power: np.ndarray, pauses: np.ndarray) -> float | None:
    """The level (dBFS) of the talk's pauses that BS.1770's K-weighting discards: rumble, wind, handling,
    drift far below the voice band (its RLB high-pass is -11 dB at 20 Hz, -1.5 dB at 60 Hz)."""
    if not pauses.any():
        return None
    low = np.maximum(power[pauses] - k_power[pauses], 0.0)
    return round(float(_db(low.mean())), 2)


def _speech_frames(speech: list[list[float]], frames: int) -> np.ndarray:
    mask = np.zeros(frames, dtype=bool)
    for start, end in speech:
        mask[max(0, int(start * 10)):max(0, int(math.ceil(end * 10)))] = True
    return mask


PAUSE_MARGIN_S = 0.2  # a frame this close to speech is its breath or its tail, not the room


def pause_frames(speech: list[list[float]], frames: int) -> np.ndarray:
    """The 100 ms frames of the non-speech parts, PAUSE_MARGIN_S clear of any speech."""
    margin = PAUSE_MARGIN_S
    return ~_speech_frames([[start - margin, end + margin] for start, end in speech], frames)


TALK_PAUSE_MAX_S = 5.0  # a longer stretch without speech is something else (music, a jingle), not the room


def _talk_gaps(speech: list[list[float]], duration: float) -> list[tuple[float, float]]:
    """The gaps between speech (and before the first, after the last) no longer than TALK_PAUSE_MAX_S."""
    edges = [0.0, *(t for segment in speech for t in segment), duration]
    return [(a, b) for a, b in zip(edges[::2], edges[1::2]) if 0 < b - a <= TALK_PAUSE_MAX_S]


def talk_pause_frames(speech: list[list[float]], frames: int, duration: float) -> np.ndarray:
    """The 100 ms frames of the talk's own pauses, PAUSE_MARGIN_S clear of speech: where the room is heard."""
    mask = np.zeros(frames, dtype=bool)
    for a, b in _talk_gaps(speech, duration):
        mask[max(0, int(math.ceil((a + PAUSE_MARGIN_S) * 10))):max(0, int((b - PAUSE_MARGIN_S) * 10))] = True
    return mask


def _segment_loudness(k_power: np.ndarray) -> float:
    """BS.1770 loudness (400 ms blocks, gated) of a run of 100 ms frames: pauses inside do not count."""
    if not len(k_power):
        return -70.0
    return gated_loudness(_block_powers(k_power))


def _turns(speech: list[list[float]], k_power: np.ndarray) -> list[Turn]:
    """Group consecutive sentences into turns: a sentence far from the turn's level starts another."""
    turns: list[Turn] = []
    weight = 0.0  # the current turn's speech seconds, for its running power mean
    for start, end in speech:
        frames = k_power[int(start * 10):int(math.ceil(end * 10))]
        level = _segment_loudness(frames)
        if level <= -70.0:
            continue
        length = end - start
        if turns and (abs(level - turns[-1].loudness) <= TURN_SPLIT_LU or length < TURN_MIN_S):
            turn = turns[-1]
            mean = (10 ** (turn.loudness / 10) * weight + 10 ** (level / 10) * length) / (weight + length)
            turn.loudness, turn.end = float(10 * math.log10(mean)), end
            weight += length
        else:
            turns.append(Turn(start=start, end=end, loudness=level))
            weight = length
    for turn in turns:
        turn.loudness = round(turn.loudness, 2)
    return turns


def _weighted_median(levels: list[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in levels)
    run = 0.0
    for level, w in levels:
        run += w
        if run >= total / 2:
            return round(level, 2)
    return None


def _plan_gains(turns: list[Turn]) -> None:
    """Each turn's gain toward the typical speech level (clamped)."""
    target = _weighted_median(sorted((t.loudness, t.end - t.start) for t in turns))
    for turn in turns:
        turn.gain_db = round(min(MAX_BOOST_DB, max(-MAX_CUT_DB, target - turn.loudness)), 2)


RAMP_S = 0.5  # how long a change of gain takes (in a pause, never inside a sentence)
NEUTRAL_GAP_S = 5.0  # a pause longer than this takes the programme's gain (programme_gain_db) in between


def programme_gain_db(turns: list[Turn], k_power: np.ndarray) -> float:
    """How much the turns' gains move the speech as a whole: the gated loudness (BS.1770, as the programme's is
    measured) of the turns' frames after the gains less before. Music and other long non-speech stretches get
    this gain, so that they keep their level relative to the programme (a jingle after a loud host brought
    down goes down with the programme)."""
    spans = [(int(t.start * 10), int(math.ceil(t.end * 10)), t.gain_db) for t in turns]
    plain = [k_power[a:b] for a, b, _ in spans]
    if not sum(map(len, plain)):
        return 0.0
    levelled = [k_power[a:b] * 10 ** (gain / 10) for a, b, gain in spans]
    before = gated_loudness(_block_powers(np.concatenate(plain)))
    after = gated_loudness(_block_powers(np.concatenate(levelled)))
    return round(after - before, 2) if before > -70.0 and after > -70.0 else 0.0


def gain_curve(turns: list[Turn], duration: float, rate: int, neutral: float = 0.0) -> np.ndarray:
    """The leveler's gain (dB) at `rate` points a second over `duration`: each turn's gain held through the
    turn, changed in the pauses between turns, `neutral` (the programme's gain, programme_gain_db) in long
    non-speech stretches (music, silence) and before the first turn and after the last."""
    n = int(math.ceil(duration * rate)) + rate  # one second more than the audio
    curve = np.full(n, neutral)

    def at(t: float) -> int:
        return min(n, max(0, int(round(t * rate))))

    def ramp(t0: float, t1: float, g0: float, g1: float) -> None:
        i0, i1 = at(t0), at(t1)
        if i1 > i0:
            curve[i0:i1] = np.linspace(g0, g1, i1 - i0, endpoint=False)

    previous: Turn | None = None
    for turn in turns:
        curve[at(turn.start):at(turn.end)] = turn.gain_db
        if previous is None:
            ramp(turn.start - RAMP_S, turn.start, neutral, turn.gain_db)
        else:
            gap = turn.start - previous.end
            if gap > NEUTRAL_GAP_S:
                ramp(previous.end, previous.end + RAMP_S, previous.gain_db, neutral)
                ramp(turn.start - RAMP_S, turn.start, neutral, turn.gain_db)
            else:
                curve[at(previous.end):at(turn.start)] = previous.gain_db
                length = min(gap, RAMP_S)
                ramp(turn.start - length, turn.start, previous.gain_db, turn.gain_db)
        previous = turn
    if previous is not None:
        ramp(previous.end, previous.end + RAMP_S, previous.gain_db, neutral)
    return curve


def _block_powers(k_power: np.ndarray) -> np.ndarray:
    """400 ms blocks every 100 ms (frame i and the three before it)."""
    if len(k_power) < 4:
        return k_power.copy()
    return np.convolve(k_power, np.ones(4) / 4, mode="valid")


def _block_peaks(peak: np.ndarray) -> np.ndarray:
    if len(peak) < 4:
        return peak.copy()
    return np.max(np.stack([peak[i:len(peak) - 3 + i] for i in range(4)]), axis=0)


def _histogram(powers: np.ndarray, peaks: np.ndarray) -> list[list[float]]:
    """[loudness, peak, count] to 0.5 dB, as loudness.Analysis.blocks."""
    levels = np.round((-0.691 + _db(powers)) * 2) / 2
    peak_db = np.round(_db(peaks ** 2) * 2) / 2
    keep = levels > -110.0
    pairs, counts = np.unique(np.stack([levels[keep], peak_db[keep]], axis=1), axis=0, return_counts=True)
    return [[float(m), float(p), int(c)] for (m, p), c in zip(pairs, counts)]


NOISE_SAMPLE_S = (0.5, 2.0)  # shortest and longest stretch afftdn learns the noise from


def _noise_sample(speech: list[list[float]], power: np.ndarray, duration: float) -> list[float] | None:
    """The earliest of the talk's pauses (0.5-2 s of it, 50 ms clear of speech) within 3 dB of the quietest one,
    digital silence excepted."""
    gaps = [(a + 0.05, min(b - 0.05, a + 0.05 + NOISE_SAMPLE_S[1])) for a, b in _talk_gaps(speech, duration)
            if b - a >= NOISE_SAMPLE_S[0] + 0.1]
    levels = []
    for start, end in gaps:
        frames = power[int(math.ceil(start * 10)):int(end * 10)]
        if len(frames) and frames.min() > 1e-10:
            levels.append((float(_db(frames.mean())), start, end))
    if not levels:
        return None
    quietest = min(level for level, _, _ in levels)
    start, end = next((s, e) for level, s, e in levels if level <= quietest + 3.0)
    return [round(start, 3), round(end, 3)]
