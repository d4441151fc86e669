"""The sound UI tests' episode and figures (tests/test_sound_ui.py, tests/test_web_sound_browser.py): a short
episode really ingested and rendered, its original quieter than the podcast rendition, and the figures the
processing stage would write into its .studio/sound.json."""

from __future__ import annotations

import shutil
from pathlib import Path

import audiogen as g
import pytest
from webutil import make_web

from studio.fsutil import read_json, write_json
from studio.media.ffmpeg import find_ffmpeg
from studio.media.processing import SoundFigures
from studio.media.processing.figures import Hum
from studio.pipeline import ProcessOptions, process_episode
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace, init_workspace

FIGURES = SoundFigures(
    leveler=True, noise_reduction=True, hum_reduction=True, highpass_hz=80.0,
    noise_floor_before_dbfs=-47.25, noise_floor_after_dbfs=-68.5,
    hum=Hum(mains_hz=50.0, harmonics_hz=(50.0, 100.0, 150.0, 200.0), level_dbfs=-38.5),
    speech_spread_before_lu=13.94, speech_spread_after_lu=2.37, segments=12,
)
# How those figures read, in each language (the page and the sheet say the same).
SAID = {
    "id": ["Pengolahan suara", "Derau latar", "-47.2 dBFS", "-68.5 dBFS", "Dengung listrik",
           "50 Hz, 4 harmonik, -38.5 dBFS", "dihilangkan", "Selisih kenyaringan antarpembicara", "13.9 LU",
           "2.4 LU"],
    "en": ["Sound processing", "Background noise", "-47.2 dBFS", "-68.5 dBFS", "Mains hum",
           "50 Hz, 4 harmonics, -38.5 dBFS", "removed", "Loudness gap between speakers", "13.9 LU", "2.4 LU"],
}


def write_figures(ws: Workspace, episode_id: str, figures: SoundFigures = FIGURES) -> Path:
    """sound.json as the processing stage writes it."""
    path = ws.files(episode_id).sound
    write_json(path, {"key": "test", "figures": figures.to_dict()})
    return path


@pytest.fixture(scope="module")
def sound_episode(tmp_path_factory) -> Workspace:
    """A 24 s episode ingested and rendered for real (no transcript, no clips), its original quieter than the
    podcast rendition (-30 LUFS against -16). No sound.json: each test writes its own. Copy before changing."""
    root = tmp_path_factory.mktemp("sound-ui")
    ws = init_workspace(root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id")
    source = g.encode(g.scale_to(g.speech(24.0, seed=11), -30.0), root / "sesi.wav", *g.FORMATS["wav"])
    ffmpeg, quiet = find_ffmpeg(), Reporter(quiet=True)
    episode = ingest(ws, ffmpeg, IngestRequest(file=source, show="kpu", title="Suara pemilih",
                                               recorded_on="2026-11-20"), quiet).episode
    process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(transcribe=False, clips=False))
    ws.files(episode.id).sound.unlink(missing_ok=True)  # the figures are each test's own
    return ws


def copy_of(sound_episode: Workspace, tmp_path: Path, lang: str = "id"):
    shutil.copytree(sound_episode.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang=lang)
    (episode,) = web.workspace.episodes()
    return web, episode


def expected_gain_db(ws: Workspace, episode) -> float:
    """The rendition's integrated loudness minus the original's, read here from the files processing wrote."""
    files = ws.files(episode.id)
    original = read_json(files.analysis)["loudness"]["integrated"]
    podcast = read_json(files.folder / ".studio" / "state.json")["podcast"]["loudness"]["integrated"]
    return podcast - original
