"""The measurements and fixtures of scripts/bench-sound (issue 24), importable by its test (tests/test_bench_sound.py).

Every figure is computed here from the known clean speech, noise and hum the fixtures were built from, never
from what the processing itself reports: loudness with pyloudnorm (BS.1770), SI-SDR from its definition,
STOI (pystoi), wide-band PESQ (pesq), hum as the level of a sinusoid fitted at each harmonic's exact frequency.
The corpus is read where it is (../shared/corpus, benchlib.CORPUS), never copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

RATE = 48000  # what the fixtures are written at and the processing returns
EVAL_RATE = 16000  # STOI, PESQ, SI-SDR and the hum figures (the corpus is 16 kHz speech)


# -- signals -------------------------------------------------------------------------------------------------------

def resample(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    """Polyphase resampling (zero phase: no delay)."""
    from scipy.signal import resample_poly

    if rate == to:
        return np.asarray(x, dtype=np.float64)
    g = gcd(rate, to)
    return resample_poly(np.asarray(x, dtype=np.float64), to // g, rate // g)


def read_mono(path: Path, rate: int) -> np.ndarray:
    """A sound file as one float64 channel at `rate` (channels averaged)."""
    import soundfile as sf

    data, source_rate = sf.read(str(path), dtype="float64", always_2d=True)
    return resample(data.mean(axis=1), source_rate, rate)


def write_wav(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    import soundfile as sf

    sf.write(str(path), np.asarray(x, dtype=np.float64), rate, subtype="PCM_24")
    return path


def align(y: np.ndarray, ref: np.ndarray, rate: int, max_lag_s: float = 0.5) -> tuple[np.ndarray, int]:
    """`y` shifted to line up with `ref` (cross-correlation over the first 30 s, lags within `max_lag_s`) and cut
    or padded to its length; returns it and the lag found in samples (positive: `y` was late)."""
    from scipy.signal import correlate, correlation_lags

    n = min(len(ref), len(y), int(30 * rate))
    c = correlate(y[:n], ref[:n], mode="full", method="fft")
    lags = correlation_lags(n, n, mode="full")
    window = np.abs(lags) <= int(max_lag_s * rate)
    lag = int(lags[window][np.argmax(np.abs(c[window]))])
    y = y[lag:] if lag > 0 else np.concatenate([np.zeros(-lag), y])
    y = y[: len(ref)]
    return np.concatenate([y, np.zeros(len(ref) - len(y))]), lag


# -- noise, hum and mixing -----------------------------------------------------------------------------------------

def coloured_noise(n: int, rate: int, exponent: float, seed: int, low_hz: float = 20.0) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, as a fan; 2: brown, as an air conditioner's rumble),
    nothing below `low_hz`; unit RMS."""
    from scipy.fft import irfft, next_fast_len, rfft

    m = next_fast_len(n, real=True)  # an FFT of an awkward length can take minutes
    rng = np.random.default_rng(seed)
    spectrum = rfft(rng.standard_normal(m))
    f = np.fft.rfftfreq(m, 1.0 / rate)
    shape = np.zeros_like(f)
    shape[f >= low_hz] = f[f >= low_hz] ** (-exponent / 2.0)
    x = irfft(spectrum * shape, m)[:n]
    return x / np.sqrt(np.mean(x**2))


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float, active: np.ndarray) -> np.ndarray:
    """`clean` + `noise` scaled so that speech power (over the samples where `active`) / noise power = snr_db."""
    speech_power = np.mean(clean[active] ** 2)
    noise_power = np.mean(noise[: len(clean)] ** 2)
    return clean + noise[: len(clean)] * np.sqrt(speech_power / (noise_power * 10 ** (snr_db / 10)))


def hum(n: int, rate: int, mains_hz: float = 50.0, harmonics: int = 6, rms_dbfs: float = -40.0) -> np.ndarray:
    """Mains hum: the fundamental and its harmonics at equal amplitude, the sum at `rms_dbfs` (0 dBFS: the RMS
    of a full-scale sine, AES17)."""
    t = np.arange(n) / rate
    x = sum(np.sin(2 * np.pi * mains_hz * k * t + 0.7 * k) for k in range(1, harmonics + 1))
    return x * (10 ** (rms_dbfs / 20) / np.sqrt(2)) / np.sqrt(np.mean(x**2))


def harmonic_freqs(mains_hz: float = 50.0, harmonics: int = 6) -> list[float]:
    return [mains_hz * k for k in range(1, harmonics + 1)]


# -- measures ------------------------------------------------------------------------------------------------------

def db(power_ratio: float) -> float:
    return float(10 * np.log10(max(power_ratio, 1e-30)))


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019)."""
    reference = reference - reference.mean()
    estimate = estimate - estimate.mean()
    target = reference * (np.dot(estimate, reference) / np.dot(reference, reference))
    return db(np.sum(target**2) / np.sum((estimate - target) ** 2))


def stoi(estimate: np.ndarray, reference: np.ndarray, rate: int = EVAL_RATE) -> float:
    from pystoi import stoi as _stoi

    return float(_stoi(reference, estimate, rate, extended=False))


def pesq_wb(estimate: np.ndarray, reference: np.ndarray, rate: int = EVAL_RATE) -> float:
    """Wide-band PESQ (ITU-T P.862.2, MOS-LQO 1.0-4.64; the pesq package; it aligns levels itself)."""
    from pesq import pesq as _pesq

    return float(_pesq(rate, reference, estimate, "wb"))


def least_squares_gain(y: np.ndarray, reference: np.ndarray) -> float:
    return float(np.dot(y, reference) / np.dot(reference, reference))


def tone_amplitude(x: np.ndarray, rate: int, freq: float) -> float:
    """Amplitude of the sinusoid at exactly `freq` in `x` (Hann-windowed projection: speech, spread over many
    frequencies, adds little to one)."""
    w = np.hanning(len(x))
    phase = np.exp(-2j * np.pi * freq * np.arange(len(x)) / rate)
    return float(2 * np.abs(np.sum(w * x * phase)) / np.sum(w))


def hum_reduction(y: np.ndarray, clean: np.ndarray, added_hum: np.ndarray, rate: int, freqs: list[float],
                  ceiling_db: float = 80.0) -> list[float]:
    """dB by which each harmonic of `added_hum` is lower in `y` (aligned with `clean`) than in the input: the hum
    left is what remains of `y`, brought to the clean speech's level (least squares), once the clean speech is
    subtracted. At most `ceiling_db` (nothing left)."""
    rest = y / least_squares_gain(y, clean) - clean
    out = []
    for f in freqs:
        before, after = tone_amplitude(added_hum, rate, f), tone_amplitude(rest, rate, f)
        out.append(min(ceiling_db, 20 * np.log10(before / max(after, 1e-12))))
    return out


def hum_reduction_in_pauses(y: np.ndarray, clean: np.ndarray, added_hum: np.ndarray, active: np.ndarray, rate: int,
                            freqs: list[float], ceiling_db: float = 80.0) -> list[float]:
    """dB by which each harmonic is lower in `y` (at the clean speech's level) than in the added hum, where there
    is no speech (`active` false): the sinusoid fitted in each pause, power-averaged over the pauses. Unlike
    hum_reduction, speech that a notch takes away is not counted as hum left."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (~active).astype(int), [0]])))
    pauses = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= rate // 4]
    y = y / least_squares_gain(y, clean)
    out = []
    for f in freqs:
        before = np.mean([tone_amplitude(added_hum[a:b], rate, f) ** 2 for a, b in pauses])
        after = np.mean([tone_amplitude(y[a:b], rate, f) ** 2 for a, b in pauses])
        out.append(min(ceiling_db, 10 * np.log10(before / max(after, 1e-24))))
    return out


def band_change(y: np.ndarray, clean: np.ndarray, rate: int, low: float = 100.0, high: float = 300.0,
                exclude: list[float] = (), exclude_hz: float = 6.0, reference: tuple[float, float] = (300.0, 3400.0)
                ) -> float:
    """dB change of the speech energy between `low` and `high` Hz in `y` against the clean speech, each relative to
    its own energy in the `reference` band (so a gain, even one that changes with time, is not counted), leaving
    out `exclude_hz` either side of each frequency in `exclude` (the hum's harmonics)."""
    from scipy.signal import welch

    f, p_clean = welch(clean, rate, window="blackmanharris", nperseg=rate)
    _, p_y = welch(y, rate, window="blackmanharris", nperseg=rate)
    keep = (f >= low) & (f <= high)
    for h in exclude:
        keep &= np.abs(f - h) > exclude_hz
    ref = (f >= reference[0]) & (f <= reference[1])
    return db((np.sum(p_y[keep]) / np.sum(p_y[ref])) / (np.sum(p_clean[keep]) / np.sum(p_clean[ref])))


def loudness(x: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS, BS.1770 gated), pyloudnorm."""
    import pyloudnorm

    return float(pyloudnorm.Meter(rate).integrated_loudness(x))


def short_term_loudness(x: np.ndarray, rate: int, window_s: float = 3.0, hop_s: float = 1.0
                        ) -> tuple[np.ndarray, np.ndarray]:
    """EBU short-term loudness (K-weighted, ungated, 3 s windows) every `hop_s`: window start times and LUFS."""
    from pyloudnorm.iirfilter import IIRfilter

    k = IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf").apply_filter(np.asarray(x, dtype=np.float64))
    k = IIRfilter(0.0, 0.5, 38.0, rate, "high_pass").apply_filter(k)
    cumulative = np.concatenate([[0.0], np.cumsum(k**2)])
    size, hop = int(window_s * rate), int(hop_s * rate)
    starts = np.arange(0, max(len(k) - size, 0) + 1, hop)
    mean_square = (cumulative[starts + size] - cumulative[starts]) / size
    return starts / rate, -0.691 + 10 * np.log10(np.maximum(mean_square, 1e-30))


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float
    speaker: str
    target_lufs: float


def segment_loudness(x: np.ndarray, rate: int, segments: list[Segment]) -> list[float]:
    return [loudness(x[int(s.start * rate): int(s.end * rate)], rate) for s in segments]


def spread(x: np.ndarray, rate: int, segments: list[Segment]) -> float:
    """max - min of the speech segments' integrated loudness (LU)."""
    levels = segment_loudness(x, rate, segments)
    return max(levels) - min(levels)


def within_segment_change(x: np.ndarray, y: np.ndarray, rate: int, segments: list[Segment]) -> float:
    """The largest loudness variation inside one segment caused by the processing: within each segment, the
    short-term loudness of the output `y` minus that of the input `x` (3 s windows wholly inside the segment,
    where the input is no more than 10 LU under the segment's loudness: speech, not a pause); max - min of that
    difference; the largest over the segments."""
    times, before = short_term_loudness(x, rate)
    _, after = short_term_loudness(y, rate)
    worst = 0.0
    for seg, level in zip(segments, segment_loudness(x, rate, segments)):
        inside = (times >= seg.start) & (times + 3.0 <= seg.end) & (before >= level - 10.0)
        if inside.sum() >= 2:
            diff = after[inside] - before[inside]
            worst = max(worst, float(diff.max() - diff.min()))
    return worst


# -- fixtures from the corpus --------------------------------------------------------------------------------------

def scale_to(x: np.ndarray, rate: int, lufs: float) -> np.ndarray:
    return x * 10 ** ((lufs - loudness(x, rate)) / 20)


def phone_band(x: np.ndarray, rate: int) -> np.ndarray:
    """A telephone line: 300-3400 Hz (8th-order Butterworth band-pass)."""
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(4, [300.0, 3400.0], btype="bandpass", fs=rate, output="sos"), x)


@dataclass(frozen=True)
class Speaker:
    name: str
    files: tuple[Path, ...]  # utterances, used in turn and round again
    lufs: float
    phone: bool = False


def bulletin_sentences(corpus: Path, rate: int) -> list[np.ndarray]:
    """The long news bulletin (one reader) cut into its sentences at the times of its .segments.tsv."""
    wav = corpus / "long" / "indsp_news_bulletin_a.wav"
    x = read_mono(wav, rate)
    rows = [line.split("\t") for line in wav.with_suffix(".segments.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    return [x[int(float(r[0]) * rate): int(float(r[1]) * rate)] for r in rows if r and r[0]]


@dataclass
class Session:
    audio: np.ndarray
    segments: list[Segment]  # one per turn
    pauses: list[tuple[float, float, int]]  # (start, end, turn) of the pauses between a turn's utterances
    jingle: tuple[float, float]  # the station jingle (music, not speech) after the first round


def build_session(corpus: Path, rate: int = RATE, rounds: int = 3, seed: int = 24,
                  levels: tuple[float, float, float] = (-18.0, -26.0, -32.0), jingle_lufs: float = -20.0,
                  room_dbfs: float = -60.0) -> Session:
    """A talk session: host (the news reader), guest (MBO) and a caller on a phone line (FAL, 300-3400 Hz) at
    `levels` LUFS, taking turns of 20-40 s (whole utterances, 0.4 s apart; turns 0.8 s apart) for `rounds`
    rounds, an 8 s music jingle at `jingle_lufs` after the first round, and pink room tone at `room_dbfs` RMS
    throughout (what the pauses hold)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import audiogen

    rng = np.random.default_rng(seed)
    tel = corpus / "indsp_teldialog"
    pools = {
        "host": bulletin_sentences(corpus, rate),
        "guest": [read_mono(p, rate) for p in sorted(tel.glob("MBO_*.wav"))],
        "caller": [read_mono(p, rate) for p in sorted(tel.glob("FAL_*.wav"))],
    }
    used = dict.fromkeys(pools, 0)
    gap, turn_gap = int(0.4 * rate), np.zeros(int(0.8 * rate))
    parts, segments, pauses, at = [turn_gap], [], [], len(turn_gap) / rate
    jingle = (0.0, 0.0)
    for round_ in range(rounds):
        for (name, pool), level in zip(pools.items(), levels):
            target, turn, gaps = rng.uniform(20.0, 40.0) * rate, [], []
            while sum(map(len, turn)) < target:
                if turn:
                    gaps.append(sum(map(len, turn)))
                    turn.append(np.zeros(gap))
                turn.append(pool[used[name] % len(pool)])
                used[name] += 1
            x = np.concatenate(turn)
            if name == "caller":
                x = phone_band(x, rate)
            x = scale_to(x, rate, level)
            pauses += [(at + g / rate, at + (g + gap) / rate, len(segments)) for g in gaps]
            segments.append(Segment(at, at + len(x) / rate, name, level))
            parts += [x, turn_gap]
            at += (len(x) + len(turn_gap)) / rate
        if round_ == 0:
            music = scale_to(audiogen.music(8.0, rate=rate, channels=1)[:, 0].astype(np.float64), rate, jingle_lufs)
            jingle = (at, at + len(music) / rate)
            parts += [music, turn_gap]
            at += (len(music) + len(turn_gap)) / rate
    audio = np.concatenate(parts)
    audio += coloured_noise(len(audio), rate, 1.0, seed=seed) * 10 ** (room_dbfs / 20) / np.sqrt(2)
    return Session(audio, segments, pauses, jingle)


def pause_change(x: np.ndarray, y: np.ndarray, rate: int, session: Session) -> float:
    """How far the processing raised the pauses towards the speech: per turn, (speech loudness - pause level)
    of the input minus that of the output, in dB; the largest over the turns (0 or less: not raised)."""
    def gaps(z: np.ndarray) -> list[float]:
        speech = segment_loudness(z, rate, session.segments)
        out = []
        for i in range(len(session.segments)):
            quiet = np.concatenate([z[int(a * rate) + rate // 20: int(b * rate) - rate // 20]
                                    for a, b, turn in session.pauses if turn == i])
            out.append(speech[i] - db(np.mean(quiet**2)))
        return out

    return max(before - after for before, after in zip(gaps(x), gaps(y)))


def jingle_change(x: np.ndarray, y: np.ndarray, rate: int, session: Session) -> float:
    """The jingle's loudness relative to the whole programme's, output minus input (LU)."""
    a, b = int(session.jingle[0] * rate), int(session.jingle[1] * rate)
    return (loudness(y[a:b], rate) - loudness(y, rate)) - (loudness(x[a:b], rate) - loudness(x, rate))


# Two speakers, 109 words in about a minute: enough words that one misheard word moves the WER by 0.01.
NOISE_CLIP = tuple(f"indsp_news/SPK00_F_{n}.wav" for n in ("0003", "0046", "0091", "0137", "0297", "0411", "0527",
                                                           "0726")) \
    + tuple(f"indsp_teldialog/MBO_U{n}.wav" for n in ("001", "010", "021", "030"))


def build_clip(corpus: Path, rate: int = EVAL_RATE, files: tuple[str, ...] = NOISE_CLIP, lufs: float = -23.0
               ) -> tuple[np.ndarray, np.ndarray, str]:
    """Clean speech for the noise, no-harm and hum cases: `files` 0.7 s apart after 1 s of silence (where the
    noise alone is heard), at `lufs`. Returns the audio, where speech is (bool per sample) and the reference
    text."""
    lead, gap = np.zeros(int(1.0 * rate)), np.zeros(int(0.7 * rate))
    parts, active, texts = [lead], [np.zeros(len(lead), bool)], []
    for name in files:
        x = read_mono(corpus / name, rate)
        parts += [x, gap]
        active += [np.ones(len(x), bool), np.zeros(len(gap), bool)]
        texts.append((corpus / name).with_suffix(".txt").read_text(encoding="utf-8").strip())
    clean = np.concatenate(parts)
    return scale_to(clean, rate, lufs), np.concatenate(active), " ".join(texts)


def noise_sources(corpus: Path, n: int, rate: int = EVAL_RATE) -> dict[str, np.ndarray]:
    """The three noises, `n` samples each: the corpus's real kitchen recording (from 10 s in), pink and brown."""
    dishes = read_mono(corpus.parent / "noise" / "doing_the_dishes.wav", rate)[int(10 * rate):][:n]
    if len(dishes) < n:
        raise SystemExit(f"the noise recording is shorter than the clip ({len(dishes) / rate:.0f} s)")
    return {"dishes": dishes, "pink": coloured_noise(n, rate, 1.0, seed=7), "brown": coloured_noise(n, rate, 2.0, seed=8)}
