"""`studio ingest` through the real command line: what it accepts, what it keeps, what it refuses.

Every rejection must exit with code 2, say why in one line on stderr, print
nothing on stdout and leave the workspace exactly as it was (the whole file
tree, hidden files included, is compared before and after).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import audiogen as g
import numpy as np
import pytest
from click.testing import CliRunner

from studio.cli import cli

RUNNER = CliRunner()
SPEECH = g.scale_to(g.speech(6.0, seed=11), -24.0)  # 6 s, mono, 48 kHz


def studio(ws: Path, *args):
    return RUNNER.invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert studio(root, "init", root).exit_code == 0
    result = studio(root, "show", "add", "kpu", "--title", "KPU Sosialisasi", "--author", "Diskominfo")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


def ingest_ok(ws: Path, path: Path, *args) -> dict:
    result = studio(ws, "ingest", path, "--show", "kpu", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def check_kept(ws: Path, data: dict, source: Path) -> None:
    """The original is in the episode folder byte for byte, with episode.toml describing it."""
    folder = ws / "episodes" / data["id"]
    assert Path(data["path"]) == folder
    toml = tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))
    original = folder / toml["original"]
    assert original.read_bytes() == source.read_bytes()
    assert toml["sha256"] == data["sha256"] == sha256(source)
    assert toml["size"] == source.stat().st_size
    assert toml["source_name"] == source.name
    assert toml["show"] == "kpu" and data["id"] == f"kpu/{toml['slug']}"


# -- accepted -----------------------------------------------------------------------

def _audio(fmt: str, rate: int | None, channels: int):
    def make(path: Path) -> Path:
        x = SPEECH if channels == 1 else g.stereo(SPEECH) if channels == 2 else g.surround(SPEECH)
        return g.encode(x, path, *g.FORMATS[fmt], rate=rate)
    return make


def _video(audio: list[str]):
    def make(path: Path) -> Path:
        return g.with_video(g.stereo(SPEECH), path, audio=audio)
    return make


ACCEPTED = {
    "wav-16bit-44k1-mono.wav": _audio("wav", 44100, 1),
    "wav-24bit-48k-stereo.wav": _audio("wav24", None, 2),
    "wav-float-96k-5.1.wav": _audio("wavf32", 96000, 6),
    "wav-8k-mono.wav": _audio("wav", 8000, 1),
    "flac-96k-stereo.flac": _audio("flac", 96000, 2),
    "flac-192k-5.1.flac": _audio("flac", 192000, 6),
    "mp3-44k1-stereo.mp3": _audio("mp3", 44100, 2),
    "mp3-22k05-mono.mp3": _audio("mp3", 22050, 1),
    "aac-48k-stereo.m4a": _audio("m4a", None, 2),
    "aac-adts-32k-mono.aac": _audio("aac", 32000, 1),
    "opus-stereo.opus": _audio("opus", None, 2),
    "opus-5.1.ogg": _audio("opus", None, 6),
    "vorbis-44k1.ogg": _audio("ogg", 44100, 2),
    "video-h264-aac.mp4": _video(["-c:a", "aac", "-b:a", "128k"]),
    "video-h264-pcm.mov": _video(["-c:a", "pcm_s16le"]),
    "video-h264-opus.mkv": _video(["-c:a", "libopus"]),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepts_format(ws: Path, src: Path, name: str) -> None:
    source = ACCEPTED[name](src / name)
    data = ingest_ok(ws, source, "--title", "Sesi uji")
    check_kept(ws, data, source)
    assert data["created"] is True
    assert abs(data["duration"] - 6.0) < 0.3, data["duration"]


@pytest.mark.parametrize("name", [
    "Rekaman 'DPT' & \"pemilih\" pindahan.wav",
    "sesi KPU — pemilih pemula (final) #2.wav",
    "Pemilu Café Ñusantara ünïcödé.wav",
    "日本語の名前 & space.wav",
    "-starts-with-dash.wav",
])
def test_awkward_file_names(ws: Path, src: Path, name: str) -> None:
    source = g.encode(SPEECH, src / name, *g.FORMATS["wav"])
    data = ingest_ok(ws, source)
    check_kept(ws, data, source)
    slug = data["id"].split("/", 1)[1]
    assert slug.isascii() and " " not in slug and "'" not in slug and "&" not in slug
    assert data["title"]  # from the file name


def test_json_output(ws: Path, src: Path) -> None:
    source = g.encode(g.stereo(SPEECH), src / "sesi.flac", *g.FORMATS["flac"])
    data = ingest_ok(ws, source, "--title", "Daftar Pemilih Tetap", "--description", "Sesi tentang DPT",
                     "--recorded-on", "2026-03-14", "--source", "studio 1")
    assert data["id"] == "kpu/2026-03-14-daftar-pemilih-tetap"
    assert data["title"] == "Daftar Pemilih Tetap"
    assert data["description"] == "Sesi tentang DPT"
    assert data["recorded_on"] == "2026-03-14"
    assert data["show"] == "kpu" and data["created"] is True
    check_kept(ws, data, source)
    # Plain output: just the id.
    other = g.encode(SPEECH * 0.5, src / "lain.wav", *g.FORMATS["wav"])
    result = studio(ws, "ingest", other, "--show", "kpu", "--title", "Lain", "--recorded-on", "2026-03-15")
    assert result.exit_code == 0
    assert result.stdout.strip() == "kpu/2026-03-15-lain"


def test_same_bytes_twice_is_one_episode(ws: Path, src: Path) -> None:
    source = g.encode(SPEECH, src / "rekaman.wav", *g.FORMATS["wav"])
    first = ingest_ok(ws, source, "--title", "Pertama")
    tree = g.file_tree(ws)
    copy = src / "salinan dengan nama lain.wav"
    shutil.copyfile(source, copy)
    for path, title in [(source, "Pertama"), (copy, "Judul lain")]:
        again = ingest_ok(ws, path, "--title", title)
        assert again["id"] == first["id"] and again["created"] is False
        assert g.file_tree(ws) == tree
    assert len(list((ws / "episodes" / "kpu").iterdir())) == 1


def test_replace(ws: Path, src: Path) -> None:
    a = g.encode(SPEECH, src / "a.wav", *g.FORMATS["wav"])
    b = g.encode(SPEECH[::-1].copy(), src / "b.wav", *g.FORMATS["wav"])
    first = ingest_ok(ws, a, "--title", "Sesi", "--recorded-on", "2026-01-02")
    tree = g.file_tree(ws)
    result = studio(ws, "ingest", b, "--show", "kpu", "--title", "Sesi", "--recorded-on", "2026-01-02")
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--replace" in result.stderr
    assert g.file_tree(ws) == tree
    replaced = ingest_ok(ws, b, "--title", "Sesi", "--recorded-on", "2026-01-02", "--replace")
    assert replaced["id"] == first["id"] and replaced["created"] is True
    check_kept(ws, replaced, b)
    folder = ws / "episodes" / first["id"]
    assert not (folder / "original.wav").read_bytes() == a.read_bytes()
    assert [p.name for p in (ws / "episodes" / "kpu").iterdir()] == [folder.name]  # no leftovers


# -- refused ------------------------------------------------------------------------

def _cut(make, fraction: float):
    def cut(path: Path) -> Path:
        whole = make(path.with_name("whole-" + path.name))
        data = whole.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])
        return path
    return cut


def _garble(make, start: float = 0.3, end: float = 0.7):
    """Overwrite the middle of a valid file with random bytes (headers intact)."""
    def garble(path: Path) -> Path:
        whole = make(path.with_name("whole-" + path.name))
        data = bytearray(whole.read_bytes())
        a, b = int(len(data) * start), int(len(data) * end)
        data[a:b] = np.random.default_rng(7).bytes(b - a)
        path.write_bytes(bytes(data))
        return path
    return garble


def _bytes(content: bytes):
    def write(path: Path) -> Path:
        path.write_bytes(content)
        return path
    return write


def _image(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 64), (200, 30, 30)).save(path)
    return path


def _mp3_xing(path: Path) -> Path:
    out = g.encode(g.stereo(SPEECH), path, "-c:a", "libmp3lame", "-q:a", "4")  # VBR, with a Xing header
    assert b"Xing" in out.read_bytes()[:4096]
    return out


def _m4a_faststart(path: Path) -> Path:
    return g.encode(g.stereo(SPEECH), path, "-c:a", "aac", "-movflags", "+faststart")


REFUSED = {
    "missing.wav": lambda path: path,
    "empty.wav": _bytes(b""),
    "text.txt": _bytes("Ini bukan rekaman.\n".encode() * 200),
    "text-named.mp3": _bytes("Ini bukan rekaman.\n".encode() * 200),
    "document.pdf": _bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"0" * 4000
                           + b"\n%%EOF\n"),
    "random.bin": _bytes(np.random.default_rng(1).bytes(300_000)),
    "random.wav": _bytes(np.random.default_rng(2).bytes(300_000)),
    "image.png": _image,
    "wav-cut-in-half.wav": _cut(_audio("wav", None, 2), 0.5),
    "wav-header-only.wav": _cut(_audio("wav", None, 2), 0.0001),
    "flac-cut.flac": _cut(_audio("flac", None, 2), 0.5),
    "mp3-xing-cut.mp3": _cut(_mp3_xing, 0.5),
    "m4a-cut.m4a": _cut(_audio("m4a", None, 2), 0.5),
    "m4a-faststart-cut.m4a": _cut(_m4a_faststart, 0.5),
    "opus-cut.opus": _cut(_audio("opus", None, 2), 0.5),
    "mkv-cut.mkv": _cut(_video(["-c:a", "libopus"]), 0.5),
    "mp4-cut.mp4": _cut(_video(["-c:a", "aac"]), 0.6),
    "flac-corrupt.flac": _garble(_audio("flac", None, 2)),
    "mp3-corrupt.mp3": _garble(_audio("mp3", 44100, 2)),
    "m4a-corrupt.m4a": _garble(_audio("m4a", None, 2)),
    "opus-corrupt.opus": _garble(_audio("opus", None, 2)),
    "wav-bad-header.wav": _garble(_audio("wav", None, 2), 0.0, 0.0005),
    "video-without-audio.mp4": lambda path: g.video_only(path),
    "too-short.wav": lambda path: g.encode(SPEECH[: int(0.6 * g.RATE)], path, *g.FORMATS["wav"]),
    "digital-silence.wav": lambda path: g.encode(np.zeros(5 * g.RATE, np.float32), path, *g.FORMATS["wav"]),
    "silence.mp3": lambda path: g.encode(np.zeros(5 * g.RATE, np.float32), path, *g.FORMATS["mp3"]),
    "inaudible-hiss.flac": lambda path: g.encode(g.room_noise(5, level_db=-90), path, "-c:a", "flac",
                                                 "-sample_fmt", "s32"),
}


def refuse(ws: Path, *args) -> str:
    tree = g.file_tree(ws)
    result = studio(ws, "ingest", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert g.file_tree(ws) == tree, "a refused ingest changed the workspace"
    return lines[0]


REPO = Path(__file__).resolve().parents[1]


def refuse_in_a_process(ws: Path, *args, prefix: list[str] = (), env: dict | None = None) -> str:
    """Like refuse(), through a real `studio` process (so a hang shows as a timeout: a safety net, not a
    claim about speed); the one error line."""
    import subprocess
    import sys

    tree = g.file_tree(ws)
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([*prefix, sys.executable, "-m", "studio", "--workspace", str(ws), "ingest",
                             *map(str, args)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert g.file_tree(ws) == tree, "a refused ingest changed the workspace"
    return lines[0]


@pytest.mark.parametrize("name", REFUSED)
def test_refuses_bad_input(ws: Path, src: Path, name: str) -> None:
    source = REFUSED[name](src / name)
    message = refuse(ws, source, "--show", "kpu")
    assert source.name in message


@pytest.mark.parametrize("name, words", [
    ("wav-cut-in-half.wav", "truncated"), ("flac-cut.flac", "truncated"), ("mp3-xing-cut.mp3", "truncated"),
    ("opus-cut.opus", "truncated"), ("flac-corrupt.flac", "corrupt"), ("video-without-audio.mp4", "no audio"),
    ("too-short.wav", "1 s"), ("digital-silence.wav", "silent"), ("inaudible-hiss.flac", "silent"),
    ("empty.wav", "empty"), ("missing.wav", "no such file"), ("image.png", "not an audio or video file"),
    ("random.bin", "not a"), ("random.wav", "not a"), ("text.txt", "not a"), ("document.pdf", "not a"),
])
def test_refusal_says_why(ws: Path, src: Path, name: str, words: str) -> None:
    assert words in refuse(ws, REFUSED[name](src / name), "--show", "kpu")


def test_refuses_unknown_show(ws: Path, src: Path) -> None:
    source = g.encode(SPEECH, src / "ok.wav", *g.FORMATS["wav"])
    message = refuse(ws, source, "--show", "tidak-ada")
    assert "tidak-ada" in message and "kpu" in message


def test_refuses_bad_dates(ws: Path, src: Path) -> None:
    source = g.encode(SPEECH, src / "ok.wav", *g.FORMATS["wav"])
    refuse(ws, source, "--show", "kpu", "--recorded-on", "2026-13-45")
    refuse(ws, source, "--show", "kpu", "--air-from", "2026-05-02", "--air-until", "2026-05-01")


def test_refuses_a_folder(ws: Path, src: Path) -> None:
    refuse(ws, src, "--show", "kpu")


def test_unreadable_file(ws: Path, src: Path) -> None:
    """One line and exit 2, as every refusal (click's own readability check used to answer in four lines)."""
    source = g.encode(SPEECH, src / "locked.wav", *g.FORMATS["wav"])
    source.chmod(0)
    # Root reads every file: as root, `studio` runs without the capabilities that let it (setpriv, util-linux).
    without_root_reads = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    message = refuse_in_a_process(ws, source, "--show", "kpu", prefix=without_root_reads)
    assert source.name in message and "permission denied" in message


# -- bad input that once kept ingest busy, crashed it or leaked into metadata --------

def watched_ffmpeg(folder: Path) -> Path:
    """A wrapper of the real ffmpeg that notes each run in `folder`/started when it starts and in
    `folder`/ended when it ends (a run killed midway never ends): what ingest decoded, on any machine."""
    from studio.media.ffmpeg import find_ffmpeg

    folder.mkdir()
    wrapper = folder / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{folder}/started"\n"{find_ffmpeg().path}" "$@"\nstatus=$?\n'
                       f'echo "$*" >> "{folder}/ended"\nexit $status\n')
    wrapper.chmod(0o755)
    return wrapper


def ffmpeg_runs(wrapper: Path) -> tuple[list[str], list[str]]:
    """The runs of a watched_ffmpeg: (started, ended), the arguments of each."""
    def lines(name: str) -> list[str]:
        path = wrapper.parent / name
        return path.read_text().splitlines() if path.exists() else []
    return lines("started"), lines("ended")


def _speech_then_silence(path: Path, silence_s: float, piped: bool = False) -> Path:
    """16 s of speech, then `silence_s` of digital silence, as an 8 kHz FLAC (long frames of silence
    cost almost no bytes or time). `piped`: written through a pipe, so the header cannot say how long it is."""
    import subprocess

    speech = g.encode(g.scale_to(g.speech(16.0, seed=5), -24.0), path.with_suffix(".speech.wav"), *g.FORMATS["wav"],
                      rate=8000)
    target = "pipe:1" if piped else str(path.with_suffix(".tmp.flac"))
    with open(path, "wb") as out:
        subprocess.run([g.FFMPEG, "-nostdin", "-loglevel", "error", "-i", str(speech), "-af",
                        f"apad=packet_size=65536:whole_dur={16 + silence_s}", "-c:a", "flac", "-compression_level",
                        "0", "-frame_size", "65535", "-f", "flac", target], stdout=out, check=True)
    if not piped:
        path.with_suffix(".tmp.flac").replace(path)
    speech.unlink()
    return path


def _set_max_hours(ws: Path, hours: float) -> None:
    from studio.workspace.config import load_settings, save_settings, with_changes

    path = ws / "studio.toml"
    save_settings(path, with_changes(load_settings(path), max_duration_hours=hours))


# How long these refusals take is scripts/bench-loudness's (--refusals); here, what ingest decoded to make them.

def test_refuses_a_recording_declared_longer_than_the_maximum(ws: Path, src: Path, tmp_path: Path) -> None:
    source = _speech_then_silence(src / "sesi-dengan-10-jam-hening.flac", 36000)  # declares 36,016 s
    ffmpeg = watched_ffmpeg(tmp_path / "ffmpeg")
    message = refuse_in_a_process(ws, source, "--show", "kpu", env={"STUDIO_FFMPEG": str(ffmpeg)})
    assert source.name in message and "6 h" in message and "max_duration_hours" in message
    assert ffmpeg_runs(ffmpeg) == ([], []), "refused from its header, yet decoded"


def test_stops_decoding_a_recording_without_a_declared_duration_at_the_maximum(ws: Path, src: Path,
                                                                                tmp_path: Path) -> None:
    # Written to a pipe, a FLAC's header cannot say how long it is: only decoding tells.
    source = _speech_then_silence(src / "tanpa-durasi.flac", 3600, piped=True)
    from studio.media.ffmpeg import probe

    assert probe(source).duration == 0
    _set_max_hours(ws, 0.02)  # 72 s of the 3,616
    ffmpeg = watched_ffmpeg(tmp_path / "ffmpeg")
    message = refuse_in_a_process(ws, source, "--show", "kpu", env={"STUDIO_FFMPEG": str(ffmpeg)})
    assert source.name in message and "0.02 h" in message and "max_duration_hours" in message
    started, ended = ffmpeg_runs(ffmpeg)
    assert len(started) == 1 and source.name in started[0], started  # the one decode: ingest's analysis
    assert ended == [], "the decode ran to the end of the hour instead of stopping at the maximum"


def test_max_duration_is_a_setting(ws: Path, src: Path) -> None:
    source = g.encode(SPEECH, src / "enam-detik.wav", *g.FORMATS["wav"])
    _set_max_hours(ws, 1 / 1200)  # 3 s
    assert "max_duration_hours" in refuse(ws, source, "--show", "kpu")
    _set_max_hours(ws, 6)
    ingest_ok(ws, source)


def _patched_wav(path: Path, field_offset: int, fmt: str, value: int) -> Path:
    """A real WAV with one field of its fmt chunk overwritten (offset from the chunk's body)."""
    import struct

    whole = g.encode(SPEECH, path.with_name("whole-" + path.name), *g.FORMATS["wav"])
    data = bytearray(whole.read_bytes())
    body = data.index(b"fmt ") + 8
    struct.pack_into(fmt, data, body + field_offset, value)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("name, field_offset, fmt, value, words", [
    ("rate-1-hz.wav", 4, "<I", 1, "sample rate"),
    ("rate-2-ghz.wav", 4, "<I", 2_000_000_000, "sample rate"),
    ("bits-0.wav", 14, "<H", 0, "sample format"),
])
def test_refuses_an_implausible_wav_header_before_decoding(ws: Path, src: Path, tmp_path: Path, name: str,
                                                           field_offset: int, fmt: str, value: int, words: str) -> None:
    source = _patched_wav(src / name, field_offset, fmt, value)
    ffmpeg = watched_ffmpeg(tmp_path / "ffmpeg")
    message = refuse_in_a_process(ws, source, "--show", "kpu", env={"STUDIO_FFMPEG": str(ffmpeg)})
    assert name in message and words in message
    assert ffmpeg_runs(ffmpeg) == ([], []), "refused from its header, yet decoded"  # 1 Hz: days to decode


def test_control_characters_never_reach_the_metadata(ws: Path, src: Path) -> None:
    source = g.encode(SPEECH, src / "Rekaman\nsesi\tDPT\x1b[31m.wav", *g.FORMATS["wav"])
    data = ingest_ok(ws, source, "--recorded-on", "2026-04-01")
    toml = tomllib.loads((ws / "episodes" / data["id"] / "episode.toml").read_text(encoding="utf-8"))
    assert toml["title"] == "Rekaman sesi DPT[31m"
    assert toml["source_name"] == "Rekaman sesi DPT[31m.wav"

    other = g.encode(SPEECH * 0.5, src / "lain.wav", *g.FORMATS["wav"])
    data = ingest_ok(ws, other, "--title", "Judul\x07 satu\nbaris\u200b",
                     "--description", "Baris\x1b satu\r\nbaris\tdua\n\nParagraf\x07 dua.",
                     "--source", "studio\x00 1", "--recorded-on", "2026-04-02")
    toml = tomllib.loads((ws / "episodes" / data["id"] / "episode.toml").read_text(encoding="utf-8"))
    # A description keeps its lines (feeds and the cart chunk's TagText are multi-line); nothing else does.
    assert (toml["title"], toml["description"], toml["source"]) == (
        "Judul satu baris", "Baris satu\nbaris dua\n\nParagraf dua.", "studio 1")
    assert data["id"] == "kpu/2026-04-02-judul-satu-baris"


# -- a full disk ----------------------------------------------------------------------
#
# Each test runs twice: on a real 2 MB tmpfs where this machine lets us mount one (root with
# CAP_SYS_ADMIN; else that run is a skip), and always on a stand-in that needs no mount: from
# `disk.fill()` on, every file Studio fills through studio.fsutil (open_for_writing) is the kernel's
# always-full /dev/full, and ffmpeg writes its outputs (Studio's hidden temporaries) there too, through
# a wrapper. Writes then fail with the kernel's own ENOSPC, as on a full disk.

class SmallDisk:
    def __init__(self, root: Path, monkeypatch=None, tmp_path: Path | None = None):
        self.root, self._monkeypatch, self._tmp_path = root, monkeypatch, tmp_path

    @property
    def stand_in(self) -> bool:
        return self._monkeypatch is not None

    def fill(self) -> None:
        """From here on, the disk has no room for what the test writes next."""
        if self.stand_in:
            self._monkeypatch.setattr("studio.fsutil.open_for_writing", lambda path: open("/dev/full", "wb"))
            self._monkeypatch.setenv("STUDIO_FFMPEG", str(_ffmpeg_writing_to_dev_full(self._tmp_path)))
            return
        with open(self.root / "filler", "wb", buffering=0) as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)

    def too_small(self) -> None:
        """From here on, the disk has no room for a recording or a rendition (2 MB): a tmpfs is that already."""
        if self.stand_in:
            self.fill()


def _ffmpeg_writing_to_dev_full(folder: Path) -> Path:
    """The real ffmpeg, each output that is one of Studio's temporaries (.name.XXXX.tmp.ext) replaced by a link
    to /dev/full with the same suffix (ffmpeg picks the format by it)."""
    from studio.media.ffmpeg import find_ffmpeg

    wrapper = folder / "ffmpeg-full-disk"
    link = f'"{folder}/full.${{arg##*.}}"'
    wrapper.write_text(
        "#!/bin/sh\n"
        "for arg; do\n"
        "    shift\n"
        f'    case "$arg" in */.*.tmp.*) ln -sf /dev/full {link}; arg={link};; esac\n'
        '    set -- "$@" "$arg"\n'
        "done\n"
        f'exec "{find_ffmpeg().path}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.fixture(params=["tmpfs", "stand-in"])
def small_disk(request, tmp_path: Path, monkeypatch):
    """A 2 MB tmpfs (a skip where this machine does not allow mounting one), or the stand-in (always)."""
    import subprocess

    if request.param == "stand-in":
        root = tmp_path / "small-disk"
        root.mkdir()
        yield SmallDisk(root, monkeypatch, tmp_path)
        return
    if not shutil.which("mount"):
        pytest.skip("cannot mount a tmpfs here: no mount command (the stand-in runs instead)")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'mount failed'} (the stand-in runs "
                    "instead)")
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def _full_disk_error(result, episode_id: str = "") -> str:
    """The one error line; `process` names the episode first."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    prefix = f"error: {episode_id}: " if episode_id else "error: "
    assert len(lines) == 1 and lines[0].startswith(f"{prefix}no space left on "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_full_disk_during_ingest(small_disk: SmallDisk, src: Path) -> None:
    ws = small_disk.root / "ws"
    assert studio(ws, "init", ws).exit_code == 0
    assert studio(ws, "show", "add", "kpu", "--title", "KPU").exit_code == 0
    source = g.encode(g.stereo(g.concat(SPEECH, SPEECH, SPEECH)), src / "besar.wav", *g.FORMATS["wav"])  # 3.5 MB
    small_disk.too_small()
    message = _full_disk_error(studio(ws, "ingest", source, "--show", "kpu"))
    assert message == f"error: no space left on {ws.resolve() / 'episodes' / 'kpu'}"
    assert source.name not in message  # never blamed on the recording
    assert not [p for p in (ws / "episodes").rglob("*") if p.is_file()]  # nothing half-made left behind


def test_full_disk_while_rendering(small_disk: SmallDisk, src: Path) -> None:
    ws = small_disk.root / "ws"
    assert studio(ws, "init", ws).exit_code == 0
    assert studio(ws, "show", "add", "kpu", "--title", "KPU").exit_code == 0
    source = g.encode(g.concat(SPEECH, SPEECH[: 2 * g.RATE]), src / "sesi.wav", *g.FORMATS["wav"], rate=44100)
    data = ingest_ok(ws, source)  # 0.7 MB; its 48 kHz 24-bit stereo broadcast rendition would need 2.3 MB
    small_disk.too_small()
    result = studio(ws, "process", data["id"], "--no-transcribe", "--no-clips")
    message = _full_disk_error(result, data["id"])
    assert str(ws.resolve() / "episodes") in message
    folder = ws / "episodes" / data["id"]
    assert not [p.name for p in folder.rglob("*.tmp*")]


def test_full_disk_while_writing_state(small_disk: SmallDisk) -> None:
    from studio.errors import ResourceError
    from studio.workspace.state import load_state, save_state

    folder = small_disk.root / "episode"
    save_state(folder, {"podcast": {"key": "a"}})
    small_disk.fill()
    with pytest.raises(ResourceError, match=rf"^no space left on {re.escape(str(folder / '.studio'))}$"):
        save_state(folder, {"podcast": {"key": "a" * 100_000}})
    assert load_state(folder) == {"podcast": {"key": "a"}}
    assert [p.name for p in (folder / ".studio").iterdir()] == ["state.json"]


def test_copy_to_a_full_device_is_a_resource_error(src: Path) -> None:
    from studio.errors import ResourceError
    from studio.fsutil import copy_with_sha256

    source = g.encode(SPEECH, src / "sesi.wav", *g.FORMATS["wav"])
    with pytest.raises(ResourceError, match=r"^no space left on /dev$"):
        copy_with_sha256(source, Path("/dev/full"))
