"""Both renditions, measured with an independent meter (pyloudnorm + 4x oversampled true peak).

One workspace is made for the whole module: every case below is ingested and
`studio process --all` runs once; each test then measures what came out.
The podcast MP3 must be at -16 LUFS and the broadcast WAV at -23 LUFS (both
within 0.5 LU) with true peaks at most -1.0 dBTP, whatever went in.
The files' structure (WAV fmt and bext chunks, MP3 frames and ID3 tags) is
parsed here byte by byte, not with Studio's own code.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import audiogen as g
import numpy as np
import pytest
from click.testing import CliRunner

from studio.cli import cli

RUNNER = CliRunner()
R = g.RATE
PODCAST_LUFS, BROADCAST_LUFS, CEILING = -16.0, -23.0, -1.0
TOLERANCE = 0.5
SHOW_TITLE, AUTHOR = "Sosialisasi Pemilu", "Diskominfo Kota"


def studio(ws: Path, *args):
    return RUNNER.invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)


@dataclass
class Case:
    make: Callable[[Path], tuple[Path, float, float]]  # -> (file, programme start s, programme end s)
    suffix: str
    about: str


def _write(signal: Callable[[], np.ndarray], suffix: str, *args, rate: int | None = None, video: bool = False):
    def make(path: Path) -> tuple[Path, float, float]:
        x = signal()
        active = np.flatnonzero(np.max(np.abs(x.reshape(len(x), -1)), axis=1) > 0.02)
        span = (active[0] / R, (active[-1] + 1) / R)
        if video:
            return g.with_video(x, path, audio=list(args)), *span
        return g.encode(x, path, *args, rate=rate), *span
    return make


def _uneven() -> np.ndarray:
    a = g.scale_to(g.speech(5.0, seed=21, f0=120), -20.0)
    b = g.scale_to(g.speech(5.0, seed=22, f0=210), -33.0)
    c = g.scale_to(g.speech(3.0, seed=23, f0=120), -24.0)
    speech = np.concatenate([a, b, c])
    lead, tail = g.room_noise(3.0, level_db=-75, seed=24), g.room_noise(4.0, level_db=-75, seed=25)
    x = np.concatenate([lead, speech, tail])
    return g.stereo(x)


def _quiet_with_clap() -> np.ndarray:
    x = g.scale_to(g.speech(12.0, seed=31), -38.0)
    at = 6 * R
    x[at:at + len(g.clap())] += g.clap()
    return x


def _music_intro() -> np.ndarray:
    return g.concat(g.scale_to(g.music(6.0, seed=41), -10.0), g.stereo(g.scale_to(g.speech(10.0, seed=42), -30.0)))


def _telephone() -> np.ndarray:
    return g.scale_to(g.telephone(g.speech(10.0, seed=51), R), -26.0)


def _loud_compressed() -> np.ndarray:
    return g.stereo(g.hard_limit(g.speech(10.0, seed=61), 20.0))


CASES = {
    "uneven-speech": Case(_write(_uneven, ".wav", "-c:a", "pcm_s24le"), ".wav",
                          "two speakers 13 dB apart, 3 s of room tone before and 4 s after"),
    "quiet-speech-loud-clap": Case(_write(_quiet_with_clap, ".wav", "-c:a", "pcm_s16le", rate=44100), ".wav",
                                   "speech at -38 LUFS with a full-scale clap, mono 44.1 kHz"),
    "loud-music-intro": Case(_write(_music_intro, ".flac", "-c:a", "flac"), ".flac",
                             "6 s of music at -10 LUFS, then speech at -30 LUFS"),
    "mono": Case(_write(lambda: g.scale_to(g.speech(10.0, seed=71), -20.0), ".wav", "-c:a", "pcm_s16le"), ".wav",
                 "mono 48 kHz speech"),
    "telephone-8k": Case(_write(_telephone, ".wav", "-c:a", "pcm_mulaw", rate=8000), ".wav",
                         "300-3400 Hz speech, 8 kHz mu-law"),
    "surround-96k-float": Case(_write(lambda: g.surround(g.scale_to(g.speech(10.0, seed=81), -27.0)), ".wav",
                                      "-c:a", "pcm_f32le", rate=96000), ".wav",
                               "5.1, 96 kHz 32-bit float, speech in the centre"),
    "loud-compressed-mp3": Case(_write(_loud_compressed, ".mp3", "-c:a", "libmp3lame", "-b:a", "192k", rate=44100),
                                ".mp3", "speech driven 20 dB into a clipper, MP3 (peaks over 0 dBFS once decoded)"),
    "video-with-opus": Case(_write(lambda: g.stereo(g.scale_to(g.speech(8.0, seed=91), -22.0)), ".mkv",
                                   "-c:a", "libopus", video=True), ".mkv", "an MKV video whose audio track is Opus"),
}


@dataclass
class Episode:
    id: str
    folder: Path
    source: Path
    programme: tuple[float, float]
    report: dict


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> dict[str, Episode]:
    from PIL import Image

    base = tmp_path_factory.mktemp("loudness")
    ws = base / "ws"
    assert studio(ws, "init", ws).exit_code == 0
    art = base / "art.jpg"
    Image.new("RGB", (1400, 1400), (20, 90, 160)).save(art, quality=80)
    result = studio(ws, "show", "add", "pemilu", "--title", SHOW_TITLE, "--author", AUTHOR, "--artwork", art)
    assert result.exit_code == 0, result.output
    episodes = {}
    for name, case in CASES.items():
        source, start, end = case.make(base / f"{name}{case.suffix}")
        result = studio(ws, "ingest", source, "--show", "pemilu", "--title", f"Uji {name}",
                        "--recorded-on", "2026-02-03", "--json")
        assert result.exit_code == 0, f"{name}: {result.output}"
        data = json.loads(result.stdout)
        episodes[name] = Episode(data["id"], Path(data["path"]), source, (start, end), {})
    result = studio(ws, "-q", "process", "--all", "--no-transcribe", "--no-clips", "--json")
    assert result.exit_code == 0, result.output
    reports = {r["id"]: r for r in json.loads(result.stdout)}
    for episode in episodes.values():
        episode.report = reports[episode.id]
        assert {"broadcast", "podcast"} <= set(episode.report["done"])
        assert episode.report["decodes"] <= 2  # analysis cached at ingest: one render, one correction at most
    return episodes


@functools.cache
def meter(path: Path, windows: bool = False) -> g.Measured:
    return g.measure(path, windows=windows)


def input_level(episode: Episode) -> str:
    x, rate = g.read(episode.source)
    if x.shape[1] > 5:
        return "5.1 input"
    import pyloudnorm

    return f"input {pyloudnorm.Meter(rate).integrated_loudness(x):.1f} LUFS, {g.true_peak_db(x, rate):.1f} dBTP"


@pytest.mark.parametrize("name", CASES)
def test_podcast_loudness(processed, name: str) -> None:
    episode = processed[name]
    m = meter(episode.folder / "podcast.mp3")
    why = (f"{name} ({CASES[name].about}; {input_level(episode)}): "
           f"podcast {m.integrated:.2f} LUFS {m.true_peak:.2f} dBTP")
    assert abs(m.integrated - PODCAST_LUFS) <= TOLERANCE, why
    assert m.true_peak <= CEILING, why


@pytest.mark.parametrize("name", CASES)
def test_broadcast_loudness(processed, name: str) -> None:
    episode = processed[name]
    m = meter(episode.folder / "broadcast.wav", windows=True)
    why = (f"{name} ({CASES[name].about}; {input_level(episode)}): "
           f"broadcast {m.integrated:.2f} LUFS {m.true_peak:.2f} dBTP")
    assert abs(m.integrated - BROADCAST_LUFS) <= TOLERANCE, why
    assert m.true_peak <= CEILING, why


@pytest.mark.parametrize("name", CASES)
def test_podcast_is_128k_cbr_stereo_mp3(processed, name: str) -> None:
    episode = processed[name]
    mp3 = g.parse_mp3(episode.folder / "podcast.mp3")
    assert mp3.bitrates == {128}, mp3.bitrates
    assert mp3.rates == {44100}
    assert mp3.modes <= {"stereo", "joint stereo"}, mp3.modes
    assert mp3.info_tag == "Info"  # LAME's CBR header (gapless playback, exact duration)
    assert mp3.id3_version[0] in (3, 4)
    source = g.read(episode.source)
    duration = len(source[0]) / source[1]
    assert abs(mp3.frames * 1152 / 44100 - duration) < 0.2, "the podcast is not trimmed and has the full length"
    m = meter(episode.folder / "podcast.mp3")
    assert m.channels == 2 and m.rate == 44100


def test_podcast_id3_tags(processed) -> None:
    episode = processed["uneven-speech"]
    frames = g.parse_mp3(episode.folder / "podcast.mp3").id3_frames
    assert g.id3_text(frames["TIT2"]) == "Uji uneven-speech"
    assert g.id3_text(frames["TALB"]) == SHOW_TITLE
    assert g.id3_text(frames["TPE1"]) == AUTHOR
    year = frames.get("TYER") or frames.get("TDRC")
    assert year and g.id3_text(year).startswith("2026")
    assert "APIC" in frames, "the show's artwork is embedded"
    assert b"\xff\xd8" in frames["APIC"][:64], "as a JPEG"


@pytest.mark.parametrize("name", CASES)
def test_broadcast_wav_and_bext(processed, name: str) -> None:
    episode = processed[name]
    path = episode.folder / "broadcast.wav"
    chunks = g.riff_chunks(path)
    fmt = g.wav_format(chunks)
    assert (fmt.format_tag, fmt.rate, fmt.bits, fmt.channels) == (1, 48000, 24, 2)
    list_order = list(chunks)
    assert b"bext" in chunks and list_order.index(b"bext") < list_order.index(b"data")
    bext = g.parse_bext(chunks[b"bext"])
    assert bext.version == 2
    assert SHOW_TITLE in bext.description and f"Uji {name}" in bext.description
    assert bext.originator
    assert bext.origination_date == "2026-02-03"
    assert len(bext.origination_time) == 8 and bext.origination_time[2] == ":"
    m = meter(path, windows=True)
    assert abs(bext.loudness_value - m.integrated) <= 0.5, (bext, m)
    assert abs(bext.max_true_peak - m.true_peak) <= 0.5, (bext, m)
    assert abs(bext.max_momentary - m.max_momentary) <= 0.5, (bext, m)
    assert abs(bext.max_short_term - m.max_short_term) <= 0.5, (bext, m)
    if m.seconds >= 12:  # below that, too few 3 s blocks for a loudness range
        # Implementations of LRA differ (ffmpeg's is histogram-based, pyloudnorm pads with silence):
        # up to 2 LU on a programme with a loud music part and a quiet speech part.
        assert abs(bext.loudness_range - m.loudness_range) <= 2.0, (bext, m)


@pytest.mark.parametrize("name", CASES)
def test_broadcast_keeps_the_whole_programme(processed, name: str) -> None:
    """Trimming takes silence only: never the first or last words, even after a loud intro."""
    episode = processed[name]
    start, end = episode.programme
    broadcast = meter(episode.folder / "broadcast.wav")
    assert broadcast.seconds >= end - start - 0.3, (broadcast.seconds, start, end)


def test_broadcast_silence_trimmed(processed) -> None:
    episode = processed["uneven-speech"]
    start, end = episode.programme  # 3 s of room tone before, 4 s after
    broadcast = meter(episode.folder / "broadcast.wav", windows=True)
    podcast = meter(episode.folder / "podcast.mp3")
    assert end - start - 0.3 <= broadcast.seconds <= end - start + 1.2, (broadcast.seconds, start, end)
    assert podcast.seconds > end + 3.5  # the podcast keeps the whole recording
    data, rate = g.read(episode.folder / "broadcast.wav")
    edge = int(0.8 * rate)  # speech within the first and the last 0.8 s
    assert np.max(np.abs(data[:edge])) > 0.02 and np.max(np.abs(data[-edge:])) > 0.02


def test_status_reports_both_renditions(processed) -> None:
    episode = next(iter(processed.values()))
    ws = episode.folder.parents[2]
    result = studio(ws, "status", "--json")
    assert result.exit_code == 0, result.output
    statuses = {s["id"]: s for s in json.loads(result.stdout)}
    for ep in processed.values():
        s = statuses[ep.id]
        assert s["state"] == "processed"
        assert Path(s["artifacts"]["podcast"]) == ep.folder / "podcast.mp3"
        assert Path(s["artifacts"]["broadcast"]) == ep.folder / "broadcast.wav"
        for name, path in (("podcast", "podcast.mp3"), ("broadcast", "broadcast.wav")):
            reported = s["loudness"][name]["integrated"]
            assert abs(reported - meter(ep.folder / path).integrated) <= 0.5, (ep.id, name, reported)


def test_stream_meter_agrees_with_pyloudnorm(processed) -> None:
    """The block-wise meter of scripts/bench-loudness is the same meter as pyloudnorm's."""
    for path in (processed["loud-music-intro"].folder / "podcast.mp3",
                 processed["telephone-8k"].folder / "broadcast.wav"):
        whole, streamed = meter(path), g.measure_stream(path, block_seconds=1.3)
        assert math.isclose(whole.integrated, streamed.integrated, abs_tol=0.02)
        assert math.isclose(whole.true_peak, streamed.true_peak, abs_tol=0.05)
