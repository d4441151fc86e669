"""Clips and highlights: real ffmpeg renders probed with PyAV, loudness with pyloudnorm, no mocks.

One 16 s highlight is rendered in all three formats (module fixture) and once
more in the square format without captions, to prove the captions are burned
into the picture. Everything else is cheap: pure functions and audio only.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
from PIL import Image, ImageDraw

from studio.clips import FORMATS, render_clip
from studio.clips.audio import prepare_audio
from studio.clips.typeset import caption_pages, clip_cues, fit_text, load_font, wrap
from studio.data import BOLD_FONT, FONTS_DIR
from studio.errors import BadInput
from studio.media.ffmpeg import find_ffmpeg
from studio.text.highlights import Highlight, glossary_terms, make_title, pick_highlights, sentences, validate_range

START, END = 20.0, 36.0  # the highlight rendered by the fixture
PODCAST = {"target_lufs": -16.0, "ceiling_dbtp": -1.0}  # the default podcast targets (a show's [loudness])
CUES = [
    (18.0, 19.8, "Kalimat sebelum klip."),
    (20.3, 23.9, "Selamat datang di podcast sosialisasi\npemilu bersama KPU dan Diskominfo."),
    (24.0, 28.4, "Daftar pemilih tetap atau DPT adalah daftar warga yang berhak memberikan suara di TPS."),
    (28.6, 31.0, "Apa itu pemilih pindahan?"),
    (31.2, 35.6, "Kewajiban mempertanggungjawabkan penyelenggaraan pemilu ada pada KPU."),
    (36.5, 38.0, "Kalimat sesudah klip."),
]
CAPTION_AT = (24.0 + 28.4) / 2 - START  # clip time in the middle of a long cue


@pytest.fixture(scope="module")
def ffmpeg():
    return find_ffmpeg()


def _make_audio(ffmpeg, path: Path, seconds: float = 70.0, level: float = 0.3) -> Path:
    """Speech-like test audio: band-passed noise plus a low tone, switched on and off like syllables."""
    graph = (f"anoisesrc=d={seconds}:c=pink:a={level}:seed=3[n];sine=f=170:d={seconds}[s];"
             "[n]bandpass=f=900:w=1400[nb];[s]volume=0.35[st];"
             "[nb][st]amix=normalize=0,volume='0.12+0.88*gt(sin(2*PI*t*2.3)+0.6*sin(2*PI*t*0.37),0.1)':eval=frame,"
             "aformat=channel_layouts=stereo")
    subprocess.run([ffmpeg.path, "-hide_banner", "-v", "error", "-y", "-filter_complex", graph,
                    "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def episode(tmp_path_factory, ffmpeg):
    folder = tmp_path_factory.mktemp("episode with 'quotes' and spaces")
    audio = _make_audio(ffmpeg, folder / "podcast.mp3")
    artwork = folder / "art.png"
    image = Image.new("RGB", (600, 600), (150, 20, 30))
    ImageDraw.Draw(image).ellipse((150, 150, 450, 450), fill=(245, 190, 60))
    image.save(artwork)
    return folder, audio, artwork


TITLE = "Pemilih Pindahan dan Pemilih Pemula: Cara Mengurus Formulir A Pindah Memilih"


@pytest.fixture(scope="module")
def rendered(episode, ffmpeg):
    folder, audio, artwork = episode
    outputs = {name: folder / "clips" / f"klip 1 {name}.mp4" for name in FORMATS}
    seen: list[float] = []
    results = render_clip(ffmpeg, audio, START, END, TITLE, "KPU Sosialisasi", CUES, artwork, outputs,
                          progress=seen.append, **PODCAST)
    return {r.format: r for r in results}, seen


def _frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError(f"no frame at {seconds} s in {path}")


def _top_level_boxes(path: Path) -> list[str]:
    boxes, data = [], path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        elif size == 0:
            size = len(data) - at
        boxes.append(kind.decode("latin-1"))
        at += size
    return boxes


def _decoded_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
        rate = stream.codec_context.sample_rate
    data = np.concatenate(chunks, axis=1).T  # planar float: (channels, samples) per frame
    return data.astype(np.float64), rate


# -- the rendered files ----------------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("name", list(FORMATS))
def test_video_and_audio_streams(rendered, name):
    results, _ = rendered
    result = results[name]
    layout = FORMATS[name]
    assert result.path.is_file()
    with av.open(str(result.path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.profile == "High"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (layout.width, layout.height)
        assert video.average_rate == 30
        assert audio.codec_context.name == "aac"
        assert audio.codec_context.sample_rate == 48000
        assert 110_000 <= audio.bit_rate <= 140_000
        assert abs(container.duration / 1_000_000 - (END - START)) <= 0.1
        assert abs(float(video.duration * video.time_base) - (END - START)) <= 0.1
        assert abs(float(audio.duration * audio.time_base) - (END - START)) <= 0.1


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("name", list(FORMATS))
def test_faststart_puts_moov_before_mdat(rendered, name):
    boxes = _top_level_boxes(rendered[0][name].path)
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.model
@pytest.mark.slow
def test_audio_is_at_minus_16_lufs(rendered):
    for result in rendered[0].values():
        data, rate = _decoded_audio(result.path)
        loudness = pyloudnorm.Meter(rate).integrated_loudness(data)
        assert abs(loudness - (-16.0)) <= 1.0, (result.format, loudness)
        assert abs(result.loudness - (-16.0)) <= 0.3


@pytest.mark.model
@pytest.mark.slow
def test_formats_share_one_decode_and_one_waveform_analysis(rendered):
    results, seen = rendered
    stats = {id(r.stats) for r in results.values()}
    assert len(stats) == 1
    shared = next(iter(results.values())).stats
    assert shared.source_decodes == 1
    assert shared.waveform_analyses == 1
    assert shared.ffmpeg_runs <= 4  # decode, gain (+ a limiter correction at most once), encode
    assert seen and max(seen) <= END - START + 0.5  # progress: seconds of clip written


@pytest.mark.model
@pytest.mark.slow
def test_outputs_are_atomic_no_temporaries_left(rendered):
    folder = next(iter(rendered[0].values())).path.parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"klip 1 {name}.mp4" for name in FORMATS)


@pytest.mark.model
@pytest.mark.slow
def test_captions_are_burned_in(episode, ffmpeg, rendered, tmp_path):
    folder, audio, artwork = episode
    bare = tmp_path / "bare.mp4"
    render_clip(ffmpeg, audio, START, END, TITLE, "KPU Sosialisasi", [], artwork, {"square": bare}, **PODCAST)
    captioned = _frame_at(rendered[0]["square"].path, CAPTION_AT)
    plain = _frame_at(bare, CAPTION_AT)
    box = FORMATS["square"].captions
    caption_diff = np.abs(captioned[box.y : box.y + box.h, box.x : box.x + box.w] - plain[box.y : box.y + box.h, box.x : box.x + box.w])
    title = FORMATS["square"].title
    title_diff = np.abs(captioned[title.y : title.y + title.h, title.x : title.x + title.w]
                        - plain[title.y : title.y + title.h, title.x : title.x + title.w])
    assert caption_diff.mean() > 10, "the caption area looks the same with and without captions"
    assert (caption_diff > 60).mean() > 0.05
    assert title_diff.mean() < 4, "outside the captions both renders should match"


# -- bad ranges: exit 2, nothing written -------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("start,end", [(30.0, 20.0), (30.0, 30.0), (60.0, 75.0), (-1.0, 20.0), (0.0, 69.0 + 30)])
def test_bad_ranges_are_bad_input_and_write_nothing(episode, ffmpeg, tmp_path, start, end):
    _, audio, _ = episode
    out = tmp_path / "out"
    with pytest.raises(BadInput) as caught:
        render_clip(ffmpeg, audio, start, end, "t", "s", CUES, None, {"vertical": out / "v.mp4"}, **PODCAST)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)
    assert not out.exists() or not any(out.iterdir())


def test_longer_than_90_seconds_is_bad_input(ffmpeg, tmp_path):
    audio = _make_audio(ffmpeg, tmp_path / "long.mp3", seconds=100.0)
    with pytest.raises(BadInput, match="at most 90"):
        render_clip(ffmpeg, audio, 2.0, 95.0, "t", "s", [], None, {"square": tmp_path / "out" / "s.mp4"}, **PODCAST)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.model
def test_unknown_format_is_bad_input(episode, ffmpeg, tmp_path):
    with pytest.raises(BadInput, match="unknown clip format"):
        render_clip(ffmpeg, episode[1], START, END, "t", "s", [], None, {"portrait": tmp_path / "p.mp4"}, **PODCAST)


def test_validate_range():
    validate_range(0.0, 15.0, 15.0)
    validate_range(10.0, 100.0, 120.0)
    for start, end in [(5.0, 5.0), (6.0, 5.0), (0.0, 121.0), (0.0, 90.5), (0.0, 10.0)]:
        with pytest.raises(BadInput):
            validate_range(start, end, 120.0)


# -- audio: gain and limiter -------------------------------------------------------------------------------


@pytest.mark.slow
def test_loud_peaky_audio_is_limited_to_the_ceiling(ffmpeg, tmp_path):
    # Quiet speech-like audio with sharp clicks: reaching -16 LUFS needs a limiter.
    source = tmp_path / "peaky.wav"
    rate = 48000
    t = np.arange(20 * rate) / rate
    rng = np.random.default_rng(1)
    signal = 0.02 * rng.standard_normal(t.size) * (np.sin(2 * np.pi * 2.0 * t) > 0)
    signal[:: rate // 2] = 0.9
    import soundfile

    soundfile.write(source, np.stack([signal, signal], axis=1), rate, subtype="FLOAT")
    prepared = prepare_audio(ffmpeg, source, 2.0, 18.0, tmp_path, **PODCAST)
    assert prepared.limited
    pcm = np.fromfile(prepared.path, dtype="<f4").reshape(-1, 2).astype(np.float64)
    assert abs(pcm.shape[0] - 16 * rate) <= 1
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(pcm) - (-16.0)) <= 0.5
    assert prepared.true_peak <= -1.0 + 0.05


@pytest.mark.slow
def test_clip_audio_lines_up_with_the_episode_timeline(ffmpeg, tmp_path):
    # A tone burst at 25.0 s of an MP3 (encoder delay and seeking included) is at 5.0 s of a clip from 20 s.
    source = tmp_path / "beep.mp3"
    subprocess.run([ffmpeg.path, "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "aevalsrc=exprs='if(between(t,25,25.5),0.5*sin(2*PI*1000*t),0)':d=40:s=44100",
                    "-c:a", "libmp3lame", "-b:a", "128k", str(source)], check=True)
    prepared = prepare_audio(ffmpeg, source, 20.0, 36.0, tmp_path, **PODCAST)
    pcm = np.fromfile(prepared.path, dtype="<f4").reshape(-1, 2)
    onset = np.argmax(np.abs(pcm[:, 0]) > 0.05 * np.abs(pcm[:, 0]).max()) / 48000
    assert abs(onset - 5.0) <= 0.02, onset
    assert pcm.shape[0] == 16 * 48000


# -- text layout ---------------------------------------------------------------------------------------------


def test_long_indonesian_words_and_titles_stay_inside_the_frame():
    long_title = ("Sosialisasi Mempertanggungjawabkan Penyelenggaraan Pemilihan Kepala Daerah "
                  "Kabupaten Kepulauan Mentawai dan Ketidakberpihakan Penyelenggara") * 2
    for layout in FORMATS.values():
        fitted = fit_text(long_title, BOLD_FONT, layout.title.w, layout.title_lines,
                          layout.title_size, layout.title_min)
        font = load_font(BOLD_FONT, fitted.size)
        assert len(fitted.lines) <= layout.title_lines
        assert all(font.getlength(line) <= layout.title.w for line in fitted.lines)
        assert layout.title.x >= 0 and layout.title.x + layout.title.w <= layout.width
    font = load_font(BOLD_FONT, 80)
    lines = wrap("mempertanggungjawabkanmempertanggungjawabkan", font, 500)
    assert len(lines) > 1 and all(font.getlength(line) <= 500 for line in lines)
    assert lines[0].endswith("-")


def test_caption_pages_have_at_most_two_lines_that_fit():
    cues = [(0.0, 6.0, "Daftar pemilih tetap atau DPT adalah daftar warga yang berhak\n"
                       "memberikan suara di TPS sesuai alamat domisilinya."),
            (6.0, 8.0, "Kewajiban mempertanggungjawabkan penyelenggaraan pemilu."),
            (8.0, 9.0, "Ya.")]
    for layout in FORMATS.values():
        pages = caption_pages(cues, layout)
        width = layout.captions.w
        for page in pages:
            font = load_font(BOLD_FONT, page.size)
            assert 1 <= len(page.lines) <= 2
            assert all(font.getlength(line) <= width for line in page.lines)
            assert page.size >= layout.caption_min
        text = " ".join(" ".join(p.lines) for p in pages)
        assert text.replace("- ", "").split() == " ".join(c[2] for c in cues).split()
        # pages follow each other without gaps or overlaps inside a cue, and cover the cue
        assert pages[0].start == 0.0 and pages[-1].end == 9.0
        for a, b in zip(pages, pages[1:]):
            assert a.end <= b.start + 1e-6 and a.start < a.end
        # the safe area: vertical text stays out of the top 14% and the bottom 20%
    vertical = FORMATS["vertical"]
    for box in (vertical.captions, vertical.title, vertical.label):
        assert box.y >= 0.14 * vertical.height and box.y + box.h <= 0.80 * vertical.height


def test_clip_cues_are_shifted_and_clipped():
    shifted = clip_cues(CUES, START, END)
    assert shifted[0][0] == pytest.approx(0.3)
    assert all(0 <= a < b <= END - START for a, b, _ in shifted)
    assert [c[2] for c in shifted] == [c[2] for c in CUES[1:5]]
    assert clip_cues([(10.0, 30.0, "lintas")], 20.0, 25.0) == [(0.0, 5.0, "lintas")]
    assert clip_cues([(1.0, 5.0, "a"), (4.0, 8.0, "b")], 0.0, 10.0) == [(1.0, 4.0, "a"), (4.0, 8.0, "b")]


def test_fonts_ship_with_the_project():
    names = {p.name for p in FONTS_DIR.iterdir()}
    assert {"NotoSans-Bold.ttf", "OFL.txt"} <= names
    assert sum(p.stat().st_size for p in FONTS_DIR.iterdir()) < 1_500_000
    assert "SIL OPEN FONT LICENSE" in (FONTS_DIR / "OFL.txt").read_text()


# -- highlights ----------------------------------------------------------------------------------------------


def _speech(start: float, sentences_: list[tuple[float, str]], gap: float = 0.3) -> list[tuple[float, float, str]]:
    cues, at = [], start
    for length, text in sentences_:
        cues.append((at, at + length, text))
        at += length + gap
    return cues


def test_sentences_join_cues_up_to_final_punctuation():
    cues = [(0.0, 2.0, "Daftar pemilih tetap"), (2.1, 4.0, "adalah daftar warga."), (4.5, 6.0, "Benar!"),
            (6.2, 7.0, "tanpa titik")]
    found = sentences(cues)
    assert [(s.start, s.end, s.text) for s in found] == [
        (0.0, 4.0, "Daftar pemilih tetap adalah daftar warga."), (4.5, 6.0, "Benar!")]


def test_highlights_respect_length_boundaries_intro_and_overlap():
    cues = _speech(12.0, [(4.0, f"Kalimat nomor {i} tentang pemilu.") for i in range(40)])
    duration = cues[-1][1] + 5
    found = pick_highlights(cues, [], duration, music_intro_end=12.0)
    assert len(found) == 3
    starts = {round(c[0], 3) for c in cues}
    ends = {round(c[1], 3) for c in cues}
    for h in found:
        assert 20.0 <= h.duration <= 60.0
        assert h.start >= 12.0
        assert any(abs(h.start - (s - 0.25)) < 0.06 or abs(h.start - s) < 1e-6 for s in starts)  # lead-in only
        assert any(0 <= h.end - e <= 0.5 + 1e-6 for e in ends)
    for a, b in zip(found, found[1:]):
        assert a.end <= b.start


def test_highlights_never_start_inside_the_music_intro():
    cues = _speech(0.0, [(4.0, f"Kalimat {i}.") for i in range(30)])
    found = pick_highlights(cues, [], 130.0, music_intro_end=50.0)
    assert found and all(h.start >= 50.0 for h in found)


def test_highlights_prefer_glossary_terms_and_dense_speech():
    plain = [(4.0, "Kami berbincang tentang cuaca hari ini.")] * 8
    sparse = [(1.0, "Ya.")] * 8
    terms = [(4.0, "KPU menetapkan DPT dan DPTb untuk setiap TPS.")] * 8
    cues = _speech(10.0, plain) + _speech(60.0, sparse, gap=4.0) + _speech(110.0, terms)
    found = pick_highlights(cues, ["KPU", "DPT", "DPTb", "TPS", "Bawaslu"], 160.0, 5.0, max_count=1)
    assert len(found) == 1 and found[0].start >= 110.0 - 0.3
    # without the glossary the dense plain talk wins over the sparse stretch
    found = pick_highlights(_speech(10.0, plain) + _speech(60.0, sparse, gap=4.0), [], 160.0, 5.0, max_count=1)
    assert found[0].start < 60.0


def test_highlights_need_sentence_boundaries():
    # one long run-on without final punctuation gives no boundary to cut at
    cues = [(10.0 + i * 3, 12.8 + i * 3, "dan kemudian") for i in range(30)]
    assert pick_highlights(cues, [], 120.0, 0.0) == []
    assert pick_highlights([], [], 120.0, 0.0) == []


def test_highlight_titles_come_from_the_first_sentence():
    assert make_title("Apa itu DPT? Daftar pemilih tetap adalah...") == "Apa itu DPT?"
    long = make_title("Daftar pemilih tetap atau DPT adalah daftar warga negara Indonesia yang berhak memilih.")
    assert len(long) <= 60 and long.endswith("…") and not long.endswith(" …")
    cues = _speech(0.0, [(5.0, "Selamat datang di podcast KPU.")] + [(5.0, "Isi.")] * 10)
    assert pick_highlights(cues, [], 80.0, 0.0, max_count=1)[0].title == "Selamat datang di podcast KPU"  # a title: no stop


def test_glossary_terms_match_whole_words_only():
    assert glossary_terms("Data DPTb di TPS", ["DPT", "DPTb", "TPS"]) == {"dptb", "tps"}
    assert glossary_terms("pilkada serentak", ["Pilkada"]) == {"pilkada"}


def test_highlight_is_a_value():
    assert Highlight(1.0, 31.0, "x").duration == 30.0


# -- a killed `studio clip` -----------------------------------------------------------------------------------

def held_ffmpeg(folder: Path) -> Path:
    """A wrapper of the real ffmpeg that, for the video render, starts its output files (as ffmpeg would), says so
    in `held` and then waits for ever: the render is midway when the test kills `studio clip`."""
    real = find_ffmpeg().path
    wrapper = folder / "ffmpeg-held"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *-filter_complex_threads*)\n'
        '  for a in "$@"; do case "$a" in *.tmp.mp4) head -c 100000 /dev/zero > "$a";; esac; done\n'
        f'  echo $$ > "{folder}/held"; exec sleep 3600;;\n'
        "esac\n"
        f'exec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.slow
def test_a_killed_clip_run_again_leaves_one_highlight_and_no_temporary_files(tmp_path):
    import os
    import sys
    import time
    import tomllib

    import audiogen as g
    from click.testing import CliRunner

    from studio.cli import cli

    ws, scratch = tmp_path / "ws", tmp_path / "tmp"
    scratch.mkdir()
    runner = CliRunner()

    def studio(*args):
        result = runner.invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    studio("init", ws)
    studio("show", "add", "kpu", "--title", "KPU", "--email", "p@example.org")
    source = g.encode(g.scale_to(g.speech(17.0, seed=5), -20.0), tmp_path / "sesi.wav", "-c:a", "pcm_s16le")
    episode = studio("ingest", source, "--show", "kpu", "--recorded-on", "2024-01-10", "--title", "Sesi")
    studio("process", episode, "--no-transcribe", "--no-clips")
    folder = ws / "episodes" / episode
    command = [sys.executable, "-m", "studio", "--workspace", str(ws), "clip", episode, "--start", "0.5",
               "--end", "16"]
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    killed = subprocess.Popen([*command, "--format", "square", "--format", "vertical"],
                              env={**env, "STUDIO_FFMPEG": str(held_ffmpeg(tmp_path))},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a safety net for a loaded machine: the render gets there in seconds
        while not (tmp_path / "held").is_file() and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "held").is_file(), "the render never reached the video encoding"
    finally:
        killed.kill()
        killed.wait()

    again = subprocess.run([*command, "--format", "vertical", "--format", "square"], env=env, capture_output=True,
                           text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert list(scratch.iterdir()) == []  # nothing in the system's temporary folder
    highlights = tomllib.loads((folder / "episode.toml").read_text())["highlights"]
    assert len(highlights) == 1 and highlights[0]["start"] == 0.5 and highlights[0]["end"] == 16.0
    assert sorted(p.name for p in (folder / "clips").iterdir()) == ["01-square.jpg", "01-square.mp4", "01-vertical.jpg",
                                                                 "01-vertical.mp4"]  # each with its poster
    assert (folder / "clips" / "01-square.mp4").stat().st_size != 100000  # rendered, not the killed one's start
    leftover = folder / ".studio" / "clip-scratch"
    assert not leftover.exists() or not any(leftover.iterdir())
