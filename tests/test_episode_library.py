"""The episode page's library parts: the loudness report and its plot, waveform peaks, transcript
edits saved as a hand edit of transcript.vtt, metadata and highlight changes. No web app here."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import audiogen as g
import numpy as np
import pytest
from PIL import Image

from studio import captions
from studio.errors import BadInput
from studio.media.ffmpeg import FFmpeg, find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode
from studio.pipeline.clips import current_highlights
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.review import loudness_report, peaks
from studio.review.edits import CueEdit, Metadata, TranscriptChanged, remove_highlight, save_cue_edits, update_metadata
from studio.transcribe import Segment, Transcript, Word
from studio.workspace import transcript
from studio.workspace.config import LoudnessTargets
from studio.workspace.layout import LOUDNESS_REPORT_FILE
from studio.workspace.shows import add_show
from studio.workspace.state import EpisodeBusy, load_state, save_state
from studio.workspace.transcript import vtt_sha256
from studio.workspace.tree import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[1]
NO_FFMPEG = FFmpeg("/nonexistent/ffmpeg", "test")  # a cached result must not need ffmpeg
LOUD_LUFS, QUIET_LUFS = -20.0, -36.0


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Workspace:
    """One 16 s episode, 8 s of speech at -20 LUFS then 8 s at -36 LUFS, ingested and rendered
    (no transcription). Shared by the module: copy it before changing anything."""
    root = tmp_path_factory.mktemp("episode-library")
    ws = init_workspace(root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU")
    signal = g.concat(g.scale_to(g.speech(8.0, seed=5), LOUD_LUFS), g.scale_to(g.speech(8.0, seed=6), QUIET_LUFS))
    source = g.encode(signal, root / "sesi.wav", *g.FORMATS["wav"])
    ffmpeg, quiet = find_ffmpeg(), Reporter(quiet=True)
    result = ingest(ws, ffmpeg, IngestRequest(file=source, show="kpu", title="Sesi", recorded_on="2026-01-02"), quiet)
    process_episode(ws, ffmpeg, result.episode.id, quiet, ProcessOptions(transcribe=False, clips=False))
    return ws


@pytest.fixture
def ws(processed: Workspace, tmp_path: Path) -> Workspace:
    shutil.copytree(processed.root, tmp_path / "copy")
    return Workspace(tmp_path / "copy")


def only_episode(ws: Workspace):
    (episode,) = ws.episodes()
    return episode


# -- loudness report -----------------------------------------------------------------------------


def test_report_gives_before_and_after_and_the_curve_over_time(ws: Workspace) -> None:
    episode = only_episode(ws)
    folder = ws.episode_dir(episode.id)
    report = loudness_report.loudness_report(ws, find_ffmpeg(), episode)

    analysis = json.loads((folder / "analysis.json").read_text())
    assert report.original.integrated == pytest.approx(analysis["loudness"]["integrated"], abs=0.1)
    assert report.original.true_peak == pytest.approx(analysis["loudness"]["true_peak"], abs=0.1)
    rendered = load_state(folder)["podcast"]["loudness"]
    assert report.podcast.integrated == pytest.approx(rendered["integrated"], abs=0.1)
    assert report.podcast.integrated == pytest.approx(-16.0, abs=0.5)
    assert report.duration == pytest.approx(16.0, abs=0.2)

    # Short-term loudness: loud, then 16 LU quieter, in the original and (raised, levelled) in the podcast.
    def at(curve: list[float], seconds: float) -> float:
        return curve[round(seconds / report.step) - 1]

    assert len(report.original_curve) == len(report.podcast_curve) == pytest.approx(16.0 / report.step, abs=2)
    assert at(report.original_curve, 7.5) == pytest.approx(LOUD_LUFS, abs=2.0)
    assert at(report.original_curve, 15.5) == pytest.approx(QUIET_LUFS, abs=2.0)
    gain = at(report.podcast_curve, 7.5) - at(report.original_curve, 7.5)
    assert gain > 3.0
    # The quiet part is raised at least as much as the loud one: more, since the show's leveler (on by default)
    # brings it toward the loud part's level.
    assert at(report.podcast_curve, 15.5) - at(report.original_curve, 15.5) >= gain - 1.5

    before, after = loudness_report.known_figures(ws.files(episode.id), episode, load_state(ws.episode_dir(episode.id)))
    assert before.integrated == pytest.approx(report.original.integrated, abs=0.1)
    assert after.integrated == pytest.approx(report.podcast.integrated, abs=0.1)
    assert after.true_peak == pytest.approx(report.podcast.true_peak, abs=0.1)

    verdict = loudness_report.verdict(report.podcast, ws.show("kpu").loudness)
    assert verdict.ok and verdict.integrated_ok and verdict.true_peak_ok
    strict = loudness_report.verdict(report.podcast, LoudnessTargets(podcast_lufs=-14.0, true_peak_dbtp=-20.0))
    assert not strict.integrated_ok and not strict.true_peak_ok


def test_report_is_cached_by_the_podcast_rendition(ws: Workspace) -> None:
    episode = only_episode(ws)
    folder = ws.episode_dir(episode.id)
    first = loudness_report.loudness_report(ws, find_ffmpeg(), episode)
    assert (folder / LOUDNESS_REPORT_FILE).is_file()
    assert loudness_report.loudness_report(ws, NO_FFMPEG, episode) == first  # from the cache: no ffmpeg run

    state = load_state(folder)
    state["podcast"]["key"] = "another rendition"
    save_state(folder, state)
    with pytest.raises(Exception, match="nonexistent"):  # a new rendition is measured again
        loudness_report.loudness_report(ws, NO_FFMPEG, episode)
    again = loudness_report.loudness_report(ws, find_ffmpeg(), episode)
    assert again.key != first.key
    assert json.loads((folder / LOUDNESS_REPORT_FILE).read_text())["key"] == again.key


def test_report_of_an_episode_without_a_podcast_rendition_is_bad_input(ws: Workspace) -> None:
    episode = only_episode(ws)
    (ws.episode_dir(episode.id) / "podcast.mp3").unlink()
    with pytest.raises(BadInput, match="no podcast rendition yet"):
        loudness_report.loudness_report(ws, find_ffmpeg(), episode)


def test_plot_and_sheet_as_png_and_pdf_in_the_labels_language(ws: Workspace) -> None:
    report = loudness_report.loudness_report(ws, find_ffmpeg(), only_episode(ws))
    targets = ws.show("kpu").loudness
    plot = loudness_report.render_plot(report, targets)
    assert plot.size == (1600, 720)
    # The dashed target line is red at the height of -16 LUFS (y axis 0 to -60 LUFS, 90..640 px).
    y = round(90 + 16 / 60 * (640 - 90))
    row = [plot.getpixel((x, y)) for x in range(110, 1570)]
    assert sum(1 for p in row if p == loudness_report.TARGET) > 300
    # Both curves are drawn.
    pixels = {colour for _, colour in plot.getcolors(maxcolors=1 << 20)}
    assert loudness_report.PODCAST in pixels and loudness_report.ORIGINAL in pixels

    english = loudness_report.png_bytes(loudness_report.render_sheet(report, targets, "KPU: Sesi"))
    indonesian_labels = loudness_report.ReportLabels(title="Kenyaringan jangka pendek", time="Waktu",
                                                     before="Sebelum", after="Sesudah")
    indonesian = loudness_report.png_bytes(loudness_report.render_sheet(report, targets, "KPU: Sesi",
                                                                         indonesian_labels))
    assert english.startswith(b"\x89PNG") and indonesian != english
    sheet = Image.open(io.BytesIO(english))
    assert sheet.width == 1600 and sheet.height > 720

    pdf = loudness_report.pdf_bytes(loudness_report.render_sheet(report, targets, "KPU: Sesi"), "KPU: Sesi")
    assert pdf.startswith(b"%PDF-") and b"/Title" in pdf and b"%%EOF" in pdf[-16:]


# -- peaks ---------------------------------------------------------------------------------------


def test_peaks_follow_the_waveform_and_are_cached_by_the_rendition(ws: Workspace) -> None:
    episode = only_episode(ws)
    folder = ws.episode_dir(episode.id)
    result = peaks.episode_peaks(ws, find_ffmpeg(), episode)
    assert result["version"] == 2 and result["bits"] == 8 and result["channels"] == 1
    data = np.array(result["data"]).reshape(-1, 2)
    assert len(data) == result["length"]
    assert result["duration"] == pytest.approx(16.0, abs=0.2)
    assert np.all(data[:, 0] <= data[:, 1]) and data.min() >= -128 and data.max() <= 127
    per_second = result["sample_rate"] / result["samples_per_pixel"]
    loud = np.abs(data[int(2 * per_second):int(7 * per_second)]).max()
    quiet = np.abs(data[int(10 * per_second):int(15 * per_second)]).max()
    assert loud > quiet  # 16 LU apart in the original; the show's leveler (on by default) brings them closer

    assert peaks.episode_peaks(ws, NO_FFMPEG, episode) == result  # cached
    state = load_state(folder)
    state["podcast"]["key"] = "another rendition"
    save_state(folder, state)
    with pytest.raises(Exception, match="nonexistent"):
        peaks.episode_peaks(ws, NO_FFMPEG, episode)


def test_peaks_stay_small_for_long_episodes() -> None:
    for hours in (0.01, 1, 3, 6):
        duration = hours * 3600
        size = peaks.samples_per_bucket(duration)
        buckets = duration * peaks.RATE / size
        assert buckets <= peaks.MAX_BUCKETS + 1
        assert buckets / duration <= peaks.MAX_PER_SECOND


# -- transcript edits ----------------------------------------------------------------------------


def three_sentences() -> Transcript:
    words = []
    for k, sentence in enumerate(["Selamat pagi pemilih pemula.", "Hari ini kita bahas DPT.",
                                  "Datang ke TPS membawa KTP."]):
        for i, word in enumerate(sentence.split()):
            start = 0.5 + k * 4.0 + 0.45 * i
            words.append(Word(start, start + 0.4, word, 0.9))
    return Transcript("id", 14.0, [Segment(words[0].start, words[-1].end, "", words)])


@pytest.fixture
def transcribed(tmp_path: Path) -> Path:
    folder = tmp_path / "episode"
    transcript.write_transcript_files(folder, three_sentences())  # what `process` writes
    return folder


def test_a_saved_edit_is_the_producers_vtt_and_flows_into_srt_json_and_text(transcribed: Path) -> None:
    folder = transcribed
    before = (folder / "transcript.vtt").read_text(encoding="utf-8")
    cues = transcript.read_cues(folder)
    assert len(cues) == 3 and not transcript.transcript_edited(folder)

    saved = save_cue_edits(folder, {1: CueEdit("Hari ini kita bahas DPT & DPTb <baru>.")}, vtt_sha256(folder))
    assert saved.changed == [1] and saved.sha256 == vtt_sha256(folder)
    after = (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert after == before.replace("Hari ini kita bahas DPT.", "Hari ini kita bahas DPT &amp; DPTb &lt;baru&gt;.")
    assert transcript.transcript_edited(folder)  # a hand edit, as far as `process` can tell
    assert "DPT & DPTb <baru>." in (folder / "transcript.srt").read_text(encoding="utf-8")
    assert "DPT & DPTb <baru>." in (folder / "transcript.txt").read_text(encoding="utf-8")
    segments = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))["segments"]
    assert segments[1]["body"] == "Hari ini kita bahas DPT & DPTb <baru>."

    # The next processing run keeps it, as it keeps a hand edit.
    transcript.write_transcript_files(folder, three_sentences())
    assert (folder / "transcript.vtt").read_text(encoding="utf-8") == after
    assert "DPT & DPTb <baru>." in (folder / "transcript.srt").read_text(encoding="utf-8")


def test_cue_times_and_lines_can_be_changed(transcribed: Path) -> None:
    folder = transcribed
    first = transcript.read_cues(folder)[0]
    save_cue_edits(folder, {0: CueEdit("Selamat pagi,\n  pemilih   pemula!\n\n", first.start + 0.2, first.end)},
                   vtt_sha256(folder))
    cue = transcript.read_cues(folder)[0]
    assert cue.lines == ["Selamat pagi,", "pemilih pemula!"]
    assert cue.start == pytest.approx(first.start + 0.2, abs=0.001)
    assert "00:00:00.700 --> " in (folder / "transcript.srt").read_text().replace(",", ".")


@pytest.mark.parametrize("edits, message", [
    ({1: CueEdit("  \n ")}, "cue 2: the text is empty"),
    ({3: CueEdit("Tambahan.")}, "cue 4 does not exist"),
    ({1: CueEdit("Hari ini.", 6.0, 5.0)}, "cue 2: it must end after it starts"),
    ({1: CueEdit("Hari ini.", 2.0, None)}, "cue 2: starts at 2.000 s, before cue 1 ends"),
    ({1: CueEdit("Hari ini.", None, 9.5)}, "cue 2: ends at 9.500 s, after cue 3 starts"),
    ({2: CueEdit("Datang.", None, 20.0)}, "after the recording"),
])
def test_invalid_edits_are_bad_input_and_write_nothing(transcribed: Path, edits, message) -> None:
    tree = g.file_tree(transcribed)
    with pytest.raises(BadInput, match=message):
        save_cue_edits(transcribed, edits, vtt_sha256(transcribed), duration=14.0)
    assert g.file_tree(transcribed) == tree


def test_an_edit_made_on_an_older_transcript_is_refused(transcribed: Path) -> None:
    opened = vtt_sha256(transcribed)
    save_cue_edits(transcribed, {0: CueEdit("Selamat siang pemilih pemula.")}, opened)
    kept = (transcribed / "transcript.vtt").read_bytes()
    with pytest.raises(TranscriptChanged, match="reload"):
        save_cue_edits(transcribed, {2: CueEdit("Datang ke TPS.")}, opened)
    assert (transcribed / "transcript.vtt").read_bytes() == kept


def test_no_transcript_yet_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no transcript yet"):
        save_cue_edits(tmp_path, {0: CueEdit("x")}, None)


# -- metadata and highlights ---------------------------------------------------------------------


def test_metadata_is_saved_cleaned_and_keeps_the_highlights(ws: Workspace) -> None:
    episode = only_episode(ws)
    episode.highlights = [{"start": 1.0, "end": 16.0, "title": "Salam"}]
    ws.save_episode(episode)
    saved = update_metadata(ws, episode.id, Metadata(title="  Sesi\tbaru ", description="Baris 1\r\nBaris 2",
                                                     source="Studio 1", air_from="2026-12-01T06:00+07:00",
                                                     air_until="2026-12-31"))
    again = ws.episode(episode.id)
    assert again == saved
    assert (again.title, again.description, again.source) == ("Sesi baru", "Baris 1\nBaris 2", "Studio 1")
    assert again.air_from == "2026-12-01T06:00:00+07:00" and again.air_until.startswith("2026-12-31T23:59:59")  # a date alone: that day's end
    assert again.highlights == [{"start": 1.0, "end": 16.0, "title": "Salam"}]
    assert again.sha256 == episode.sha256 and again.slug == episode.slug

    with pytest.raises(BadInput, match="title is empty"):
        update_metadata(ws, episode.id, Metadata(title=" \t"))
    with pytest.raises(BadInput, match="must be after"):
        update_metadata(ws, episode.id, Metadata(title="x", air_from="2026-12-02", air_until="2026-12-01"))
    with pytest.raises(BadInput, match="not an ISO date"):
        update_metadata(ws, episode.id, Metadata(title="x", air_from="besok"))
    assert ws.episode(episode.id) == again


def test_metadata_waits_for_the_episode_lock_a_bounded_time(ws: Workspace) -> None:
    episode = only_episode(ws)
    folder = ws.episode_dir(episode.id)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from studio.workspace.state import episode_lock\n"
         "with episode_lock(Path(sys.argv[1])):\n    print('locked', flush=True); sys.stdin.read()", str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(EpisodeBusy, match=f"pid {holder.pid}"):
            update_metadata(ws, episode.id, Metadata(title="Baru"), wait=0.3)
        assert ws.episode(episode.id).title == episode.title
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def write_vtt(folder: Path, sentences: int) -> None:
    """Cues of complete sentences, 5 s each: enough for automatic highlights."""
    cues = [captions.Cue(1.0 + 5 * k, 5.5 + 5 * k, [f"Kalimat {k + 1} tentang DPT dan TPS di kota kita."])
            for k in range(sentences)]
    (folder / "transcript.vtt").write_text(captions.render_vtt(cues), encoding="utf-8")


def test_an_automatic_pick_can_be_removed_and_is_not_picked_again(ws: Workspace) -> None:
    episode = only_episode(ws)
    episode.duration = 200.0
    ws.save_episode(episode)
    write_vtt(ws.episode_dir(episode.id), 36)
    show = ws.show("kpu")
    picks = current_highlights(ws, episode, show)
    assert len(picks) >= 2 and not episode.highlights

    remove_highlight(ws, episode.id, 0)
    saved = ws.episode(episode.id)
    assert saved.highlights == picks[1:] and saved.highlights_from == "producer"
    assert current_highlights(ws, saved, show) == picks[1:]
    for _ in picks[1:]:
        remove_highlight(ws, episode.id, 0)
    assert current_highlights(ws, ws.episode(episode.id), show) == []  # not picked again
    with pytest.raises(BadInput, match="has no highlight 1"):
        remove_highlight(ws, episode.id, 0)
