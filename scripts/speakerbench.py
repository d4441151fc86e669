"""scripts/bench-speakers' fixtures and scoring: conversations built from the corpus's voices, read in place.

Voices: the news reader (INDspeech news: 20 utterances and the 279 s bulletin), the two telephone-dialog voices
FAL and MBO, the two TVRI announcers (the a_ and r_ files: two voices, their prints' cosine 0.58), JFK. Each voice
is a pool of its files, trimmed of their silent edges and joined; a turn takes the next stretch of the pool
(from the start again when it runs out: the small pools repeat in long sessions). Turns are separated by
0.3-1.0 s of faint room tone; the reference turns are known by construction (the turn's extent). A phone voice
is its pool through ffmpeg's highpass 300 Hz, lowpass 3400 Hz and an 8 kHz resample; a jingle is 8 s of an
aevalsrc tune (not speech: no reference turn).
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RATE = 16000
COLLAR = 0.25

VOICES = {
    "news": ["id/long/indsp_news_bulletin_a.wav", "id/indsp_news/*.wav"],
    "fal": ["id/indsp_teldialog/FAL_*.wav"],
    "mbo": ["id/indsp_teldialog/MBO_*.wav"],
    "tvri_a": ["id/tvri/a_*.wav"],
    "tvri_r": ["id/tvri/r_*.wav"],
    "jfk": ["en/jfk.flac"],
}
JINGLE = ("aevalsrc='0.25*sin(2*PI*(330+110*floor(mod(2*t,4)))*t)+0.12*sin(4*PI*(330+110*floor(mod(2*t,4)))*t)"
          "+0.08*sin(2*PI*55*t)*lt(mod(t,0.5),0.1)':s=16000:d=8")


@dataclass
class Session:
    name: str
    voices: list[str]  # in order of the rounds
    phone: str | None = None  # this voice on a phone line
    jingle: bool = False  # a jingle after the first half
    rounds: int = 3
    turn_s: tuple[float, float] = (3.0, 25.0)
    seed: int = 0
    reference: list[tuple[float, float, str]] = field(default_factory=list)
    duration: float = 0.0


SESSIONS = [
    Session("2 voices", ["news", "mbo"], rounds=4, turn_s=(5, 40), seed=1),
    Session("3 voices", ["news", "fal", "mbo"], seed=2),
    Session("4 voices", ["news", "fal", "mbo", "tvri_a"], seed=3),
    Session("5 voices", ["news", "fal", "mbo", "tvri_a", "tvri_r"], rounds=2, seed=4),
    Session("3 voices, phone", ["news", "mbo", "fal"], phone="fal", seed=5),
    Session("4 voices, phone", ["news", "fal", "mbo", "jfk"], phone="mbo", seed=6),
    Session("2 voices + jingle", ["news", "fal"], jingle=True, rounds=4, turn_s=(5, 60), seed=7),
    Session("3 voices, phone + jingle", ["news", "tvri_a", "mbo"], phone="mbo", jingle=True, seed=8),
    Session("1 voice (bulletin)", ["news"], rounds=4, turn_s=(20, 60), seed=9),
]


def decode(ffmpeg: str, path: Path, chain: str = "") -> np.ndarray:
    args = [ffmpeg, "-v", "error", "-i", str(path)] + (["-af", chain] if chain else [])
    raw = subprocess.run(args + ["-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"], capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def trimmed(x: np.ndarray) -> np.ndarray:
    """Without the silent edges (20 ms frames 40 dB under the loudest)."""
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    level = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() - 40)
    return x[loud[0] * 320:(loud[-1] + 1) * 320]


def pools(ffmpeg: str) -> dict[str, np.ndarray]:
    out = {}
    for voice, patterns in VOICES.items():
        files = [p for pattern in patterns for p in sorted(CORPUS.glob(pattern))]
        if not files:
            raise SystemExit(f"no corpus files for {voice} under {CORPUS}")
        out[voice] = np.concatenate([trimmed(decode(ffmpeg, f)) for f in files])
    return out


def phone_line(ffmpeg: str, x: np.ndarray, folder: Path) -> np.ndarray:
    clean = write_wav(folder / "phone-in.wav", x)
    return decode(ffmpeg, clean, "highpass=f=300,lowpass=f=3400,aresample=8000,aresample=16000")[: len(x)]


def jingle(ffmpeg: str) -> np.ndarray:
    raw = subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", JINGLE, "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def write_wav(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def build(session: Session, voices: dict[str, np.ndarray], ffmpeg: str, folder: Path) -> Path:
    """The session's WAV in `folder`; fills session.reference and session.duration."""
    rng = np.random.default_rng(session.seed)
    pool = dict(voices)
    if session.phone:
        pool[session.phone] = phone_line(ffmpeg, pool[session.phone], folder)
    cursor = {v: 0 for v in pool}
    parts, at = [], 0.0
    session.reference = []
    schedule = [v for _ in range(session.rounds) for v in session.voices]
    for index, voice in enumerate(schedule):
        if session.jingle and index == len(schedule) // 2:
            tune = jingle(ffmpeg)
            parts.append(tune)
            at += len(tune) / RATE
        seconds = float(rng.uniform(*session.turn_s))
        n = int(seconds * RATE)
        source = pool[voice]
        take = np.concatenate([source[cursor[voice]:], source] * (1 + n // len(source)))[:n]
        cursor[voice] = (cursor[voice] + n) % len(source)
        session.reference.append((at, at + n / RATE, voice))
        gap = (rng.standard_normal(int(rng.uniform(0.3, 1.0) * RATE)) * 3e-4).astype(np.float32)
        parts += [take, gap]
        at += (n + len(gap)) / RATE
    session.duration = at
    return write_wav(folder / (session.name.replace(" ", "_").replace(",", "").replace("+", "and") + ".wav"),
                     np.concatenate(parts))


def der(reference: list[tuple[float, float, str]], turns: list[tuple[float, float, int]]) -> dict[str, float]:
    """pyannote.metrics' diarization error rate (0.25 s collar) and its parts, as shares of the reference speech."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for i, (start, end, voice) in enumerate(reference):
        ref[Segment(start, end), i] = voice
    for i, (start, end, speaker) in enumerate(turns):
        hyp[Segment(start, end), i] = f"s{speaker}"
    metric = DiarizationErrorRate(collar=COLLAR, skip_overlap=False)
    parts = metric(ref, hyp, detailed=True)
    total = parts["total"] or 1.0
    return {"der": parts["diarization error rate"], "miss": parts["missed detection"] / total,
            "false": parts["false alarm"] / total, "confusion": parts["confusion"] / total}
