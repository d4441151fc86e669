"""The sound treatment (issue 24), each part measured independently of Studio's own meters.

Fixtures are built here from the shared corpus's real speech and its real noise recording (read in place,
never copied): three speakers at -18, -26 and -32 LUFS, the quietest band-limited to a telephone's
300-3400 Hz; clean speech with 50 Hz mains hum and its harmonics; speech in kitchen noise and in pink noise.
Loudness is pyloudnorm's, spectra scipy's, SNR and SI-SDR computed here from the known clean and noise
signals. `process_file` is the treatment the renditions run (the same filters, in the same order), written
at the programme's own level and sample-aligned with its source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_shared

from studio.cli import cli
from studio.media.ffmpeg import find_ffmpeg
from studio.media.processing import SoundFigures, process_file, read_figures
from studio.workspace.config import Processing

pyln = pytest.importorskip("pyloudnorm")
sf = pytest.importorskip("soundfile")
signal = pytest.importorskip("scipy.signal")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("STUDIO_CORPUS", ROOT.parent / "shared" / "corpus"))
NOISE = CORPUS / "noise" / "doing_the_dishes.wav"
R = 48000
ALL_ON = Processing()
BEFORE_PROCESSING = "ec6f8e5"  # the commit before the treatment existed: what "off" must reproduce


def corpus(*names: str) -> list[Path]:
    paths = [CORPUS / name for name in names]
    for path in paths:
        need_shared(path)
    return paths


def load(path: Path) -> np.ndarray:
    x, rate = sf.read(path, dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    return signal.resample_poly(x, R, rate) if rate != R else x


def loudness(x: np.ndarray) -> float:
    return pyln.Meter(R).integrated_loudness(x)


def at_lufs(x: np.ndarray, lufs: float) -> np.ndarray:
    return x * 10 ** ((lufs - loudness(x)) / 20)


def phone(x: np.ndarray) -> np.ndarray:
    sos = signal.butter(6, [300, 3400], btype="band", fs=R, output="sos")
    return signal.sosfilt(sos, x)


def speaker(names: list[str], gap_s: float = 0.35) -> np.ndarray:
    """Sentences of one speaker read one after the other, with short pauses."""
    pause = np.zeros(int(gap_s * R))
    return np.concatenate([part for path in corpus(*names) for part in (load(path), pause)])


NEWS = [f"id/indsp_news/SPK00_F_{n}.wav" for n in
        ("0003", "0046", "0091", "0137", "0187", "0297", "0349", "0411", "0468", "0527", "0600")]
TVRI = ["id/tvri/a_TVRI_BS_071119_0177.wav", "id/tvri/a_TVRI_BS_071119_0246.wav",
        "id/tvri/a_TVRI_BS_071119_0383.wav", "id/tvri/r_TVRI_BS_071119_0246.wav"]
FAL = [f"id/indsp_teldialog/FAL_U0{n}.wav" for n in ("01", "10", "21", "26", "30", "38")]
MBO = [f"id/indsp_teldialog/MBO_U0{n}.wav" for n in ("01", "10", "21", "26", "30", "38")]


def talk_session() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Host (-18 LUFS), guest (-26) and a caller on a phone line (-32, 300-3400 Hz), taking turns of 20-30 s
    twice over, with a pause between turns. Returns the samples and each turn's [start, end) samples."""
    turns = [at_lufs(speaker(NEWS[:5]), -18), at_lufs(speaker(TVRI[:2]), -26), at_lufs(phone(speaker(FAL)), -32),
             at_lufs(speaker(NEWS[5:]), -18), at_lufs(speaker(TVRI[2:]), -26), at_lufs(phone(speaker(MBO)), -32)]
    pause = np.zeros(int(0.8 * R))
    bounds, at = [], 0
    for turn in turns:
        bounds.append((at, at + len(turn)))
        at += len(turn) + len(pause)
    return np.concatenate([p for turn in turns for p in (turn, pause)]), bounds


def write(x: np.ndarray, path: Path) -> Path:
    sf.write(path, x.astype(np.float32), R, subtype="FLOAT")
    return path


def treat(tmp_path: Path, x: np.ndarray, parts: Processing = ALL_ON) -> tuple[np.ndarray, SoundFigures]:
    source = write(x, tmp_path / "in.wav")
    figures = process_file(find_ffmpeg(), source, tmp_path / "out.wav", parts)
    y, rate = sf.read(tmp_path / "out.wav", dtype="float64")
    assert rate == R and y.ndim == 1, "48 kHz, mono as its source"
    assert len(y) == len(x), "same length as the source"
    return y, figures


def short_term(x: np.ndarray, start: int, end: int, window_s: float = 3.0, hop_s: float = 0.5) -> np.ndarray:
    meter = pyln.Meter(R)
    w, hop = int(window_s * R), int(hop_s * R)
    return np.array([meter.integrated_loudness(x[i:i + w]) for i in range(start, end - w + 1, hop)])


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    reference, estimate = reference - reference.mean(), estimate - estimate.mean()
    target = np.dot(estimate, reference) / np.dot(reference, reference) * reference
    return 10 * np.log10(np.sum(target ** 2) / np.sum((estimate - target) ** 2))


# -- the leveler -------------------------------------------------------------------------------------

def test_leveler_brings_three_speakers_within_3_lu_without_pumping(tmp_path):
    x, bounds = talk_session()
    before = [loudness(x[a:b]) for a, b in bounds]
    y, figures = treat(tmp_path, x)
    after = [loudness(y[a:b]) for a, b in bounds]
    assert max(before) - min(before) > 13.0
    assert max(after) - min(after) <= 3.0, f"per-turn loudness after: {np.round(after, 1)}"
    for (a, b), level in zip(bounds, after):
        # What the leveler did inside a turn: the short-term loudness after less before, 3 s windows.
        change = short_term(y, a, b) - short_term(x, a, b)
        assert np.ptp(change) <= 1.0, f"turn at {a / R:.1f} s: the gain moved {np.ptp(change):.2f} LU inside it"
    assert figures.leveler and figures.segments >= 6
    assert figures.speech_spread_before_lu > 12.0 and figures.speech_spread_after_lu <= 3.0
    assert not figures.hum_reduction and figures.hum is None


def test_leveler_leaves_pauses_below_speech_and_music_at_its_level(tmp_path):
    x, bounds = talk_session()
    # a 6 s jingle (a chord struck every second) between two turns
    t = np.arange(int(6 * R)) / R
    chord = sum(np.sin(2 * np.pi * f * t) * np.exp(-((t % 1.0) * 3)) for f in (220.0, 277.2, 329.6, 440.0))
    music = at_lufs(chord, -20.0)
    cut = bounds[2][0] - int(0.4 * R)
    x = np.concatenate([x[:cut], np.zeros(int(2 * R)), music, np.zeros(int(2 * R)), x[cut:]])
    start = cut + int(2 * R)
    y, figures = treat(tmp_path, x)
    # The jingle moves with the programme (whose loud host the leveler brings down): against the whole
    # programme's loudness it stays where it was, within 1 LU.
    jingle = slice(start, start + len(music))
    change = (loudness(y[jingle]) - loudness(y)) - (loudness(x[jingle]) - loudness(x))
    assert abs(change) <= 1.0, f"the jingle moved {change:+.1f} LU against the programme"
    assert not figures.noise_reduction, "a jingle between the talk is not the room's noise"
    # The caller's pauses between sentences: raised with the caller (by the same gain), never to speech level.
    a, b = bounds[2][0] + len(music) + int(4 * R), bounds[2][1] + len(music) + int(4 * R)
    frames = y[a:b][: (b - a) // 4800 * 4800].reshape(-1, 4800)
    levels = 10 * np.log10(np.maximum((frames ** 2).mean(axis=1), 1e-12))
    speech_level = np.percentile(levels, 90)
    quiet = levels[levels < speech_level - 30]
    assert len(quiet) and np.max(quiet) < speech_level - 30


# -- hum and rumble ------------------------------------------------------------------------------------

def hum(n: int, level_dbfs: float = -40.0, mains: float = 50.0, harmonics: int = 6) -> np.ndarray:
    t = np.arange(n) / R
    wave = sum(np.sin(2 * np.pi * mains * k * t + k) / k for k in range(1, harmonics + 1))
    return wave * 10 ** (level_dbfs / 20) / np.max(np.abs(wave))


def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # 0.125 Hz bins: a hum's line is that narrow, the voice around it spread over many bins
    return signal.welch(x, R, window="hann", nperseg=R * 8)


def band_db(freqs, power, lo, hi) -> float:
    return 10 * np.log10(power[(freqs >= lo) & (freqs < hi)].sum())


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_hum_is_notched_25_db_and_speech_low_end_kept(tmp_path, mains):
    clean = at_lufs(speaker(NEWS[:6]), -20)
    buzz = hum(len(clean), mains=mains)
    y, figures = treat(tmp_path, clean + buzz, replace(ALL_ON, leveler=False))
    assert figures.hum is not None and figures.hum.mains_hz == mains and figures.hum_reduction
    f, before = spectrum(clean + buzz)
    _, after = spectrum(y)
    _, speech_only = spectrum(clean)
    for k in range(1, 7):
        line = np.abs(f - mains * k) <= 0.25
        drop = 10 * np.log10(before[line].sum() / after[line].sum())
        assert drop >= 25.0, f"{mains * k:g} Hz down only {drop:.1f} dB"
    assert abs(band_db(f, after, 100, 300) - band_db(f, speech_only, 100, 300)) <= 1.0
    assert max(figures.hum.harmonics_hz) < mains * 6.5, "no notch above where the hum stops"


def tone_power(x: np.ndarray, hz: float) -> float:
    """Power of the sinusoid at exactly `hz` in `x` (Hann-windowed projection)."""
    w = np.hanning(len(x))
    return float(np.abs(np.sum(w * x * np.exp(-2j * np.pi * hz * np.arange(len(x)) / R))) / np.sum(w)) ** 2


def test_hum_is_25_db_down_at_every_harmonic_in_the_pauses(tmp_path):
    """Where the listener hears hum most: the pauses between sentences (0.7 s), right after the voice. A female
    voice (pitch about 200 Hz) that a notch rings on must not leave a line there."""
    voices = [n for n in NEWS if n[-8:-4] in ("0003", "0046", "0091", "0137", "0297", "0411", "0527")] + MBO[:3] + MBO[4:5]
    clean = at_lufs(np.concatenate([np.zeros(R), speaker(voices, gap_s=0.7)]), -23)
    t = np.arange(len(clean)) / R
    buzz = sum(np.sin(2 * np.pi * 50 * k * t + 0.7 * k) for k in range(1, 7))
    buzz *= 10 ** (-40 / 20) / np.sqrt(2) / np.sqrt(np.mean(buzz ** 2))  # -40 dBFS RMS, equal harmonics
    y, figures = treat(tmp_path, clean + buzz)
    y = y * np.dot(clean, clean) / np.dot(y, clean)  # at the clean speech's level, whatever the leveler did
    assert figures.hum is not None and max(figures.hum.harmonics_hz) < 325
    quiet = np.abs(clean) == 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(int), [0]])))
    pauses = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= R // 4]
    assert len(pauses) >= 7
    drops = [10 * np.log10(np.mean([tone_power(buzz[a:b], 50 * k) for a, b in pauses])
                           / np.mean([tone_power(y[a:b], 50 * k) for a, b in pauses])) for k in range(1, 7)]
    assert min(drops) >= 25.0, f"down by {np.round(drops, 1)} dB at 50..300 Hz in the pauses"
    f, after = spectrum(y)
    _, speech_only = spectrum(clean)
    assert abs(band_db(f, after, 100, 300) - band_db(f, speech_only, 100, 300)) <= 1.0


def test_rumble_is_cut_below_the_voice(tmp_path):
    clean = at_lufs(np.concatenate([np.zeros(R), speaker(NEWS[:6], gap_s=0.8)]), -20)
    sos = signal.butter(4, 70, btype="low", fs=R, output="sos")  # traffic, handling: all below the voice
    rumble = signal.sosfilt(sos, np.random.default_rng(7).standard_normal(len(clean)))
    rumble *= 10 ** (-30 / 20) / np.sqrt(np.mean(rumble ** 2))  # 10 dB under the speech
    y, figures = treat(tmp_path, clean + rumble, replace(ALL_ON, leveler=False, noise_reduction=False))
    assert figures.highpass_hz == 60.0 and figures.hum is None
    f, before = spectrum(clean + rumble)
    _, after = spectrum(y)
    _, speech_only = spectrum(clean)
    assert band_db(f, before, 15, 35) - band_db(f, after, 15, 35) >= 10.0
    assert abs(band_db(f, after, 100, 300) - band_db(f, speech_only, 100, 300)) <= 1.0
    # A faint rumble (30 dB under the speech) is left: the high-pass would cost the voice more than it gains.
    _, faint = treat(tmp_path, clean + rumble / 10 ** (20 / 20), replace(ALL_ON, leveler=False, noise_reduction=False))
    assert faint.highpass_hz is None


def test_clean_speech_is_left_alone(tmp_path):
    clean = at_lufs(speaker(NEWS), -20)
    y, figures = treat(tmp_path, clean)
    assert figures.hum is None and not figures.hum_reduction
    assert not figures.noise_reduction and figures.highpass_hz is None
    assert si_sdr(clean, y) > 30.0, "nothing a listener could hear was done"


# -- noise -------------------------------------------------------------------------------------------

def pink(n: int, seed: int = 3) -> np.ndarray:
    spectrum_ = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum_ /= np.sqrt(np.maximum(np.arange(len(spectrum_)), 1))
    return np.fft.irfft(spectrum_, n)


def kitchen(n: int) -> np.ndarray:
    (path,) = corpus("noise/doing_the_dishes.wav")
    return np.resize(load(path), n)


@pytest.mark.parametrize("snr", [5, 10])
@pytest.mark.parametrize("noise", [kitchen, pink], ids=["dishes", "pink"])
def test_noise_reduction_improves_si_sdr(tmp_path, noise, snr):
    clean = at_lufs(np.concatenate([np.zeros(R), speaker(NEWS[:6], gap_s=0.8)]), -20)
    n = noise(len(clean))
    n *= np.sqrt(np.mean(clean ** 2) / np.mean(n ** 2)) * 10 ** (-snr / 20)
    y, figures = treat(tmp_path, clean + n, replace(ALL_ON, leveler=False))
    before, after = si_sdr(clean, clean + n), si_sdr(clean, y)
    assert figures.noise_reduction
    assert after >= before + 1.0, f"SI-SDR {before:.1f} -> {after:.1f} dB"
    assert figures.noise_floor_after_dbfs < figures.noise_floor_before_dbfs
    # The pauses (where the clean signal is silent), past the first 2 s where the noise is learnt: quieter.
    frames = len(clean) // 4800
    silent = np.abs(clean[: frames * 4800].reshape(frames, 4800)).max(axis=1) == 0
    silent[:20] = False
    def pauses(z):
        return 10 * np.log10(np.mean(z[: frames * 4800].reshape(frames, 4800)[silent] ** 2))
    assert pauses(y) <= pauses(clean + n) - 3.0


# -- in the renditions ---------------------------------------------------------------------------------

def studio(ws: Path, *args):
    return CliRunner().invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)


def make_workspace(base: Path, source: Path) -> tuple[Path, str]:
    ws = base / "ws"
    assert studio(ws, "init", ws).exit_code == 0
    assert studio(ws, "show", "add", "bincang", "--title", "Bincang Sore").exit_code == 0
    result = studio(ws, "ingest", source, "--show", "bincang", "--title", "Telepon", "--recorded-on",
                    "2026-03-04", "--json")
    assert result.exit_code == 0, result.output
    return ws, json.loads(result.stdout)["id"]


@pytest.mark.slow
def test_renditions_are_treated_and_sound_json_has_the_figures(tmp_path):
    x, bounds = talk_session()
    x = x + hum(len(x), level_dbfs=-45)
    ws, episode = make_workspace(tmp_path, write(x, tmp_path / "session.wav"))
    result = studio(ws, "-q", "process", episode, "--no-transcribe", "--no-clips", "--json")
    assert result.exit_code == 0, result.output
    folder = ws / "episodes" / episode
    figures = read_figures(folder / ".studio" / "sound.json")
    assert figures.hum is not None and figures.hum.mains_hz == 50.0 and figures.hum_reduction
    assert figures.speech_spread_before_lu > 12.0 and figures.speech_spread_after_lu <= 3.0
    assert figures.noise_floor_after_dbfs < figures.noise_floor_before_dbfs
    assert json.loads((folder / ".studio" / "sound.json").read_text())["key"]
    podcast, rate = sf.read(folder / "podcast.mp3", dtype="float64", always_2d=True)
    podcast = signal.resample_poly(podcast, R, rate, axis=0)
    assert abs(pyln.Meter(R).integrated_loudness(podcast) - (-16.0)) <= 0.5  # both channels, as BS.1770 sums
    podcast = podcast.mean(axis=1)
    # the MP3 starts with the encoder's delay: compare turns by their middles only
    after = [loudness(podcast[a + R:b - R]) for a, b in bounds]
    assert max(after) - min(after) <= 3.0, np.round(after, 1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_processing_off_gives_the_renditions_of_before(tmp_path):
    """Every part off: the same files, byte for byte, and the same rendition keys as the code before the
    treatment existed (BEFORE_PROCESSING, exported from git and run in a child process)."""
    if shutil.which("git") is None or subprocess.run(["git", "-C", ROOT, "cat-file", "-e", BEFORE_PROCESSING],
                                                     capture_output=True).returncode:
        pytest.skip(f"needs the git history (commit {BEFORE_PROCESSING})")
    x, _ = talk_session()
    ws, episode = make_workspace(tmp_path / "new", write((x + hum(len(x)))[: 40 * R], tmp_path / "s.wav"))
    old = tmp_path / "old"
    shutil.copytree(ws, old / "ws")
    show = ws / "feeds" / "bincang.toml"
    text = show.read_text()
    assert "[processing]" in text, "save_show writes the section"
    show.write_text(text.replace("leveler = true", "leveler = false").replace("noise_reduction = true",
                    "noise_reduction = false").replace("hum_reduction = true", "hum_reduction = false")
                    .replace("highpass = true", "highpass = false"))
    (old / "ws" / "feeds" / "bincang.toml").write_text(text.split("[processing]")[0])
    code = old / "code"
    code.mkdir()
    archive = subprocess.run(["git", "-C", ROOT, "archive", BEFORE_PROCESSING, "studio"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", code], input=archive, check=True)
    # studio.toml and the show's toml as that Studio writes them: only the settings it knows (a later Studio
    # writes more).
    keep_known = ("import sys, dataclasses, tomllib, tomli_w; from studio.workspace.config import Settings, Show; "
                  "p = sys.argv[1]; d = tomllib.load(open(p, 'rb')); "
                  "known = lambda cls, t: {k: v for k, v in t.items() if k in {f.name for f in dataclasses.fields(cls)}}; "
                  "d = {'studio': known(Settings, d.get('studio', {})), 'stations': d.get('stations', {})} "
                  "if p.endswith('studio.toml') else known(Show, d); "
                  "open(p, 'w').write(tomli_w.dumps(d))")
    for settings in (old / "ws" / "studio.toml", old / "ws" / "feeds" / "bincang.toml"):
        subprocess.run([sys.executable, "-c", keep_known, str(settings)],
                       env={**os.environ, "PYTHONPATH": str(code)}, cwd=code, check=True)
    run = subprocess.run([sys.executable, "-m", "studio", "--workspace", old / "ws", "-q", "process", episode,
                          "--no-transcribe", "--no-clips"], env={**os.environ, "PYTHONPATH": str(code)},
                         capture_output=True, text=True, cwd=code)
    assert run.returncode == 0, run.stderr
    assert studio(ws, "-q", "process", episode, "--no-transcribe", "--no-clips").exit_code == 0
    new_folder, old_folder = ws / "episodes" / episode, old / "ws" / "episodes" / episode
    for name in ("podcast.mp3", "broadcast.wav"):
        assert sha256(new_folder / name) == sha256(old_folder / name), name
    new_state = json.loads((new_folder / ".studio" / "state.json").read_text())
    old_state = json.loads((old_folder / ".studio" / "state.json").read_text())
    for name in ("podcast", "broadcast"):
        assert new_state[name]["key"] == old_state[name]["key"]
    assert not (new_folder / ".studio" / "sound.json").exists()
