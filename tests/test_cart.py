"""The broadcast WAV's metadata: the AES46 cart chunk beside the BWF bext chunk.

Every check reads the file back with a RIFF walk written here (not Studio's),
and with Debian's mediainfo too (a skip without it, a failure under CI=true).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import add_fake_episode, need_program
from scipy.signal import resample_poly

from studio.cli import cli
from studio.errors import BadInput, ProcessingError
from studio.fsutil import read_json, write_json
from studio.media import cart
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ingest as ingest_mod
from studio.pipeline import session as process
from studio.progress import Reporter
from studio.workspace import shows, state
from studio.workspace.episode import air_time, cart_for_episode
from studio.workspace.tree import init_workspace

AIR_FROM = "2026-03-01T06:00:00+08:00"
AIR_UNTIL = "2026-04-15T21:30:00+08:00"


# -- an independent reader ------------------------------------------------------------

def riff_chunks(data: bytes) -> tuple[bytes, list[tuple[bytes, int, int]]]:
    """(form, [(chunk id, offset of its data, size)]) for RIFF and RF64 (data size from ds64)."""
    form = data[:4]
    assert form in (b"RIFF", b"RF64") and data[8:12] == b"WAVE"
    chunks, pos, ds64_data = [], 12, None
    while pos + 8 <= len(data):
        cid = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        if cid == b"ds64":
            ds64_data = struct.unpack("<Q", data[pos + 16:pos + 24])[0]
        if cid == b"data" and size == 0xFFFFFFFF:
            size = ds64_data
        assert pos + 8 + size <= len(data), f"{cid} runs past the end"
        chunks.append((cid, pos + 8, size))
        pos += 8 + size + (size & 1)
    assert pos == len(data), "bytes left over after the last chunk"
    return form, chunks


def chunk(data: bytes, chunk_id: bytes) -> bytes:
    found = [(off, size) for cid, off, size in riff_chunks(data)[1] if cid == chunk_id]
    assert len(found) == 1, f"{len(found)} {chunk_id} chunks"
    off, size = found[0]
    return data[off:off + size]


def text(raw: bytes, start: int, size: int) -> str:
    return raw[start:start + size].split(b"\0")[0].decode("ascii")


def bext_fields(raw: bytes) -> dict:
    values = struct.unpack("<5h", raw[412:422])
    return {
        "description": text(raw, 0, 256), "version": struct.unpack("<H", raw[346:348])[0],
        "LoudnessValue": values[0] / 100, "LoudnessRange": values[1] / 100, "MaxTruePeakLevel": values[2] / 100,
        "MaxMomentaryLoudness": values[3] / 100, "MaxShortTermLoudness": values[4] / 100,
    }


def cart_fields(raw: bytes) -> dict:
    names = ["Title", "Artist", "CutID", "ClientID", "Category", "Classification", "OutCue"]
    fields = {name: text(raw, 4 + 64 * i, 64) for i, name in enumerate(names)}
    fields.update(Version=text(raw, 0, 4), StartDate=text(raw, 452, 10), StartTime=text(raw, 462, 8),
                  EndDate=text(raw, 470, 10), EndTime=text(raw, 480, 8), ProducerAppID=text(raw, 488, 64),
                  ProducerAppVersion=text(raw, 552, 64), LevelReference=struct.unpack("<i", raw[680:684])[0],
                  PostTimers=raw[684:748], URL=text(raw, 1024, 1024), TagText=raw[2048:])
    return fields


def loudness_range(short_term: list[float]) -> float:
    """EBU Tech 3342 from short-term loudness values. (pyloudnorm's own loudness_range pads the
    signal with 1.5 s of silence, which drags its 10th percentile down on short files.)"""
    values = np.array(short_term)
    values = values[values >= -70]
    values = values[values >= 10 * np.log10(np.mean(10 ** (values / 10))) - 20]
    return float(np.percentile(values, 95) - np.percentile(values, 10))


# -- a real broadcast rendition ---------------------------------------------------------

@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """A processed episode whose programme has two levels 8 LU apart (so the loudness range is not 0)."""
    root = tmp_path_factory.mktemp("cart")
    ffmpeg = find_ffmpeg()
    recording = root / "Sosialisasi Tahapan.wav"
    subprocess.run([ffmpeg.path, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                    "-i", "anoisesrc=d=12:c=pink:a=0.25:r=44100:s=7", "-f", "lavfi", "-i", "sine=f=330:d=12:r=44100",
                    "-filter_complex", "[0][1]amix=2,volume='if(lt(t,6),1,0.4)':eval=frame,"
                                       "aformat=channel_layouts=stereo", str(recording)], check=True)
    workspace = init_workspace(root / "ws")
    shows.add_show(workspace, "radio-abdi", title="Radio Abdi Persada", author="Diskominfo Kalsel")
    request = ingest_mod.IngestRequest(file=recording, show="radio-abdi", title="Tahapan Pilkada: jadwal & TPS",
                                       description="Penjelasan tahapan.\nDisiarkan ulang.", recorded_on="2026-02-20",
                                       air_from=AIR_FROM, air_until=AIR_UNTIL)
    ep = ingest_mod.ingest(workspace, ffmpeg, request).episode
    process.process_episode(workspace, ffmpeg, ep.id, Reporter(quiet=True))
    folder = workspace.episode_dir(ep.id)
    broadcast = root / "broadcast.wav"
    shutil.copyfile(folder / "broadcast.wav", broadcast)
    cart.write_cart(broadcast, cart_for_episode(ep, workspace.show(ep.show)))
    return {"workspace": workspace, "episode": ep, "plain": folder / "broadcast.wav", "wav": broadcast,
            "state": state.load_state(folder)["broadcast"]}


def test_cart_chunk_read_back(episode):
    data = episode["wav"].read_bytes()
    form, chunks = riff_chunks(data)
    assert form == b"RIFF" and struct.unpack("<I", data[4:8])[0] == len(data) - 8
    ids = [cid for cid, _, _ in chunks]
    assert ids.index(b"bext") < ids.index(b"data") < ids.index(b"cart")
    fields = cart_fields(chunk(data, b"cart"))
    ep = episode["episode"]
    assert fields["Version"] == "0101"
    assert fields["Title"] == "Tahapan Pilkada: jadwal & TPS"
    assert fields["Artist"] == "Radio Abdi Persada"
    assert fields["CutID"] == ep.id and len(fields["CutID"]) <= 64
    assert fields["ClientID"] == "Diskominfo Kalsel"
    assert (fields["StartDate"], fields["StartTime"]) == ("2026-03-01", "06:00:00")
    assert (fields["EndDate"], fields["EndTime"]) == ("2026-04-15", "21:30:00")
    assert fields["ProducerAppID"] == "Studio" and fields["ProducerAppVersion"]
    assert fields["LevelReference"] == 1 << 23  # full scale of 24-bit PCM
    assert fields["PostTimers"] == b"\0" * 64
    assert fields["TagText"] == b"Penjelasan tahapan.\r\nDisiarkan ulang.\r\n"


def test_bext_loudness_matches_pyloudnorm(episode):
    fields = bext_fields(chunk(episode["wav"].read_bytes(), b"bext"))
    assert fields["version"] == 2
    assert fields["description"] == "Radio Abdi Persada: Tahapan Pilkada: jadwal & TPS"
    audio, rate = sf.read(episode["wav"], dtype="float64")
    assert rate == 48000
    meter = pyloudnorm.Meter(rate)
    integrated = meter.integrated_loudness(audio)
    assert abs(fields["LoudnessValue"] - integrated) <= 0.5
    assert abs(integrated - -23.0) <= 0.5  # EBU R128 target
    momentary = pyloudnorm.Meter(rate, block_size=0.4, overlap=0.75)  # 400 ms every 100 ms
    momentary.integrated_loudness(audio)
    assert abs(fields["MaxMomentaryLoudness"] - max(momentary.blockwise_loudness)) <= 0.5
    short_term = pyloudnorm.Meter(rate, block_size=3.0, overlap=29 / 30)  # 3 s every 100 ms
    short_term.integrated_loudness(audio)
    assert abs(fields["MaxShortTermLoudness"] - max(short_term.blockwise_loudness)) <= 0.5
    assert abs(fields["LoudnessRange"] - loudness_range(short_term.blockwise_loudness)) <= 0.5
    assert fields["LoudnessRange"] > 6  # the two levels are 8 LU apart: a real range was measured
    true_peak = 20 * np.log10(np.max(np.abs(resample_poly(audio, 4, 1, axis=0))))
    assert abs(fields["MaxTruePeakLevel"] - true_peak) <= 0.5
    assert fields["MaxTruePeakLevel"] <= -1.0


def test_bext_matches_the_state_studio_recorded(episode):
    fields = bext_fields(chunk(episode["wav"].read_bytes(), b"bext"))
    measured = episode["state"]["loudness"]
    assert fields["LoudnessValue"] == pytest.approx(measured["integrated"], abs=0.01)
    assert fields["MaxTruePeakLevel"] == pytest.approx(measured["true_peak"], abs=0.01)


def test_audio_untouched_by_cart(episode):
    plain, carted = episode["plain"].read_bytes(), episode["wav"].read_bytes()
    assert chunk(plain, b"data") == chunk(carted, b"data")
    assert carted[8:len(plain)] == plain[8:]  # everything after the RIFF size is as ffmpeg wrote it
    assert sf.info(episode["wav"]).frames == sf.info(episode["plain"]).frames
    a, _ = sf.read(episode["wav"], dtype="int32")
    b, _ = sf.read(episode["plain"], dtype="int32")
    assert np.array_equal(a, b)


def test_write_cart_replaces_and_pads(episode, tmp_path):
    wav = tmp_path / "b.wav"
    shutil.copyfile(episode["wav"], wav)
    base = cart.read_cart(wav)
    for tag in ("odd", "even", ""):  # chunk sizes 2053, 2054, 2048
        cart.write_cart(wav, cart.Cart(**{**base.__dict__, "tag_text": tag}))
        data = wav.read_bytes()
        _, chunks = riff_chunks(data)
        assert [c[0] for c in chunks].count(b"cart") == 1
        assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
        assert cart.read_cart(wav).tag_text == tag
    assert sf.info(wav).frames == sf.info(episode["plain"]).frames


def test_cart_in_the_middle_becomes_junk(episode, tmp_path):
    wav = tmp_path / "b.wav"
    shutil.copyfile(episode["wav"], wav)
    with open(wav, "ab") as f:  # another tool appended a chunk after ours
        f.write(b"LIST" + struct.pack("<I", 4) + b"INFO")
    data = wav.read_bytes()
    wav.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    cart.write_cart(wav, cart.read_cart(wav))
    ids = [c[0] for c in riff_chunks(wav.read_bytes())[1]]
    assert ids[-3:] == [b"JUNK", b"LIST", b"cart"] and ids.count(b"cart") == 1


def _ffmpeg_wav(path: Path, *args: str) -> Path:
    subprocess.run([find_ffmpeg().path, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=r=48000:d=1", "-af", "atrim=end_sample=4801", "-ac", "1", "-c:a", "pcm_s24le",
                    "-write_bext", "1", *args, str(path)], check=True)
    return path


def test_odd_data_chunk_gets_its_pad_byte(tmp_path):
    wav = _ffmpeg_wav(tmp_path / "odd.wav", "-rf64", "auto")
    cart.write_cart(wav, cart.Cart("t", "a", "c", "2026-01-01", "00:00:00", *cart.OPEN_END))
    data = wav.read_bytes()
    _, chunks = riff_chunks(data)  # the walk itself checks every chunk starts where the pad says
    data_chunk = next(c for c in chunks if c[0] == b"data")
    assert data_chunk[2] == 4801 * 3 and data[data_chunk[1] + data_chunk[2]] == 0
    assert chunks[-1][0] == b"cart" and chunks[-1][1] % 2 == 0
    assert sf.info(wav).frames == 4801


def test_rf64_riff_size_goes_into_ds64(tmp_path):
    wav = _ffmpeg_wav(tmp_path / "rf64.wav", "-rf64", "always")
    cart.write_cart(wav, cart.Cart("t", "a", "c", "2026-01-01", "00:00:00", *cart.OPEN_END, tag_text="x"))
    data = wav.read_bytes()
    form, chunks = riff_chunks(data)
    assert form == b"RF64" and data[4:8] == b"\xff\xff\xff\xff"
    assert [c[0] for c in chunks][0] == b"ds64" and chunks[-1][0] == b"cart"
    assert struct.unpack("<Q", data[20:28])[0] == len(data) - 8
    assert cart_fields(chunk(data, b"cart"))["Title"] == "t"
    assert sf.info(wav).frames == 4801


def test_riff_past_4_gib_is_refused(tmp_path):
    wav = tmp_path / "huge.wav"
    data_size = 0xFFFFFFFF - 1000
    header = (b"RIFF" + struct.pack("<I", 36 + 8 + data_size) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
              + struct.pack("<HHIIHH", 1, 2, 48000, 288000, 6, 24) + b"data" + struct.pack("<I", data_size))
    with open(wav, "wb") as f:
        f.write(header)
        f.truncate(len(header) + data_size + (data_size & 1))  # sparse: no disk used
    before = wav.stat().st_size
    with pytest.raises(ProcessingError, match="huge.wav: a cart chunk would take this RIFF file past 4 GiB"):
        cart.write_cart(wav, cart.Cart("t", "a", "c", "2026-01-01", "00:00:00", *cart.OPEN_END))
    assert wav.stat().st_size == before


def test_not_a_wav_is_refused(tmp_path):
    bogus = tmp_path / "x.wav"
    bogus.write_bytes(b"ID3" + b"\0" * 100)
    with pytest.raises(BadInput, match="x.wav: not a WAV file"):
        cart.write_cart(bogus, cart.Cart("t", "a", "c", "2026-01-01", "00:00:00", *cart.OPEN_END))


def test_open_air_window_and_long_ids(episode):
    ep, show = episode["episode"], episode["workspace"].show("radio-abdi")
    ep_open = ep.__class__(**{**ep.__dict__, "air_from": "", "air_until": ""})
    c = cart_for_episode(ep_open, show)
    assert (c.start_date, c.start_time) == (ep.ingested_at[:10], "00:00:00")
    assert (c.end_date, c.end_time) == ("9999-12-31", "23:59:59")
    assert cart_for_episode(ep_open, show) == c  # deterministic: same bytes on a re-render
    long_id = "a-very-long-show-name-for-a-community-radio/2026-02-20-" + "x" * 48
    assert len(cart.cut_id(long_id)) == 64 and cart.cut_id(long_id) == cart.cut_id(long_id)
    assert cart.cut_id(long_id) != cart.cut_id(long_id[:-1] + "y")
    start = dt.datetime.fromisoformat(AIR_FROM)
    assert air_time(AIR_FROM) == start


# -- errors through the command line -------------------------------------------------------

def _one_line_error(result, exit_code: int, message: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
    assert "Traceback" not in result.output


def test_a_bad_air_date_in_episode_toml_is_bad_input(workspace):
    """ingest checks --air-from, but a producer can edit episode.toml afterwards."""
    episode = add_fake_episode(workspace, "kpu", "2026-01-01-tahapan")
    toml = workspace.episode_dir(episode.id) / "episode.toml"
    toml.write_text(toml.read_text() + 'air_from = "not-a-date"\n')
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "status"])
    assert result.exit_code == 2, result.output
    assert result.stdout.split()[:2] == ["kpu/2026-01-01-tahapan", "failed"]  # the list goes on
    assert result.stderr.startswith("error: kpu/2026-01-01-tahapan: air_from = 'not-a-date' in episode.toml is "
                                    "not an ISO date") and result.stderr.count("\n") == 1


def test_a_broken_broadcast_wav_is_a_processing_error_at_publish(workspace, tmp_path):
    """Studio's own broadcast.wav, damaged on disk (an RF64 header cut inside its ds64 chunk)."""
    broken = b"RF64" + b"\xff" * 4 + b"WAVE" + b"ds64" + struct.pack("<I", 28) + b"\0" * 4
    episode = add_fake_episode(workspace, "kpu", "2026-01-01-tahapan", files={"broadcast.wav": broken})
    state_file = workspace.episode_dir(episode.id) / ".studio" / "state.json"
    recorded = read_json(state_file)
    write_json(state_file, {**recorded, "broadcast": {**recorded["podcast"], "file": "broadcast.wav"}})
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "-q", "publish", "--to",
                                      str(tmp_path / "public"), "--base-url", "https://example.org"])
    _one_line_error(result, 1, "broadcast.wav: broken RF64 file")


def test_mediainfo_reads_bext_loudness_and_finds_the_cart_chunk(episode):
    need_program("mediainfo", "install Debian's mediainfo (apt-get install mediainfo), as .ci/run does")
    out = subprocess.run(["mediainfo", "--Output=JSON", str(episode["wav"])], capture_output=True, text=True,
                         check=True)
    audio = next(t for t in json.loads(out.stdout)["media"]["track"] if t["@type"] == "Audio")
    measured = episode["state"]["loudness"]
    assert float(audio["extra"]["LoudnessValue"]) == pytest.approx(measured["integrated"], abs=0.01)
    assert float(audio["extra"]["MaxTruePeakLevel"]) == pytest.approx(measured["true_peak"], abs=0.01)
    assert int(audio["SamplingCount"]) == sf.info(episode["wav"]).frames
    details = subprocess.run(["mediainfo", "--Details=1", str(episode["wav"])], capture_output=True, text=True,
                             check=True).stdout
    size = len(chunk(episode["wav"].read_bytes(), b"cart"))
    assert f"cart ({8 + size + (size & 1)} bytes)" in details


def test_a_bad_air_date_in_episode_toml_is_bad_input_at_publish(workspace, tmp_path):
    """The radio manifest carries the air window: a producer's bad date stops publish with one line."""
    wav = io.BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1), w.setsampwidth(3), w.setframerate(48000), w.writeframes(b"\0" * 3 * 4800)
    episode = add_fake_episode(workspace, "kpu", "2026-01-01-tahapan", files={"broadcast.wav": wav.getvalue()})
    state_file = workspace.episode_dir(episode.id) / ".studio" / "state.json"
    recorded = read_json(state_file)
    write_json(state_file, {**recorded, "broadcast": {**recorded["podcast"], "file": "broadcast.wav"}})
    toml = workspace.episode_dir(episode.id) / "episode.toml"
    toml.write_text(toml.read_text() + 'air_until = "31-12-2026"\n')
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "publish", "--to", str(tmp_path / "public"),
                                      "--base-url", "https://example.org"])
    _one_line_error(result, 2, "kpu/2026-01-01-tahapan: air_until = '31-12-2026' in episode.toml is not an ISO date")
