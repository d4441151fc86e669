"""A processed episode with three speakers whose turns are known by construction (the diarization stands in
for the engine), for the speakers' web and browser tests."""

from __future__ import annotations

from pathlib import Path

import audiogen as g
import pytest

from studio import speakers as engine
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode, record_transcript
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.transcribe import Segment, Transcript, Word
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace, init_workspace

# (speaker, sentence): the host asks, a KPU guest answers, a caller asks, the host closes.
LINES = [(0, "Selamat pagi pendengar di Kota Jayapura."), (1, "Terima kasih, kami dari KPU siap menjawab."),
         (1, "Cek nama Anda di daftar pemilih tetap."), (2, "Halo, saya mau tanya soal pindah memilih."),
         (1, "Urus formulir pindah memilih di kantor KPU."), (0, "Terima kasih sudah mendengarkan.")]
PRINTS = {0: [1.0, 0.0, 0.0], 1: [0.0, 1.0, 0.0], 2: [0.0, 0.0, 1.0]}


def transcript_and_turns(duration: float) -> tuple[Transcript, list[tuple[float, float, int]]]:
    words, turns = [], []
    for k, (speaker, sentence) in enumerate(LINES):
        start = 0.6 + k * 5.0
        for i, word in enumerate(sentence.split()):
            words.append(Word(round(start + 0.42 * i, 3), round(start + 0.42 * i + 0.36, 3), word, 0.9))
        turns.append((round(start - 0.2, 3), round(start + 4.6, 3), speaker))
    return Transcript("id", duration, [Segment(words[0].start, words[-1].end, "", words)]), turns


def speakers_workspace(root: Path) -> Workspace:
    ws = init_workspace(root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id")
    source = g.encode(g.concat(g.scale_to(g.speech(16.0, seed=7), -22.0), g.scale_to(g.speech(16.0, seed=8), -24.0)),
                      root / "sesi.wav", *g.FORMATS["wav"])
    ffmpeg, quiet = find_ffmpeg(), Reporter(quiet=True)
    episode = ingest(ws, ffmpeg, IngestRequest(file=source, show="kpu", title="Tanya jawab pindah memilih",
                                               recorded_on="2026-11-20"), quiet).episode
    transcript, turns = transcript_and_turns(episode.duration)

    def diarize(source, *, min_speakers=1, max_speakers=6, ffmpeg=None, progress=None, speech=None):
        return engine.Diarization(episode.duration, [engine.SpeakerTurn(a, b, s) for a, b, s in turns], PRINTS)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "diarize", diarize)
        process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(transcribe=False, clips=False))
        record_transcript(ws, episode.id, transcript)
        process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(clips=False))  # no model: speakers, text
    return ws
