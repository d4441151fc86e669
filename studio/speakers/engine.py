"""diarize(): one streamed pass, then clustering over the whole recording's windows.

The recording is decoded once to 16 kHz mono in blocks of a minute (studio.media.processing.analysis: the
same decode and silero VAD as the sound analysis); each block's speech is cut into windows and embedded
there (the block's windows in batches on two threads), so only one block of samples and the windows'
192 floats are ever held. Clustering (cluster.py) then
labels every window, turns.py makes the turns, and each speaker's print is the mean of its windows'
L2-normalised embeddings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..media.ffmpeg import FFmpeg, Progress, find_ffmpeg
from ..media.processing.analysis import RATE, _vad, blocks, decode_args
from . import Diarization, SpeakerTurn
from .cluster import cluster
from .embed import Embedder, Window, features, windows
from .turns import Piece, label_unlabelled, segment_pieces, smooth


def _block_speech(offset: float, samples: np.ndarray, speech: list[list[float]] | None) -> list[tuple[float, float]]:
    end = offset + len(samples) / RATE
    if speech is None:
        return [(offset + a / RATE, offset + b / RATE) for a, b in _vad(samples)]
    return [(max(a, offset), min(b, end)) for a, b in speech if b > offset and a < end]


def diarize_file(source: Path, *, min_speakers: int = 1, max_speakers: int = 6, ffmpeg: FFmpeg | None = None,
                 progress: Progress | None = None, speech: list[list[float]] | None = None,
                 embedder: Embedder | None = None) -> Diarization:
    ffmpeg = ffmpeg or find_ffmpeg()
    if embedder is None:
        with Embedder() as own:
            return diarize_file(source, min_speakers=min_speakers, max_speakers=max_speakers, ffmpeg=ffmpeg,
                                progress=progress, speech=speech, embedder=own)
    segments: list[tuple[float, float]] = []
    owner: list[int] = []  # each window's segment
    found: list[Window] = []
    parts: list[np.ndarray] = []
    duration = 0.0
    for offset, samples in blocks(ffmpeg, decode_args(source), progress):
        duration = offset + len(samples) / RATE
        block: list[np.ndarray] = []
        for start, end in _block_speech(offset, samples, speech):
            cut = windows(start, end)
            block += features(samples, offset, start, end, cut)
            owner += [len(segments)] * len(cut)
            found += cut
            segments.append((start, end))
        if block:
            parts.append(embedder.embed(block))
    embeddings = np.concatenate(parts) if parts else np.zeros((0, 192), dtype=np.float32)
    labels = cluster(embeddings, min_speakers, max_speakers)
    return _result(duration, segments, found, owner, embeddings, labels)


def _result(duration: float, segments: list[tuple[float, float]], found: list[Window], owner: list[int],
            embeddings: np.ndarray, labels: np.ndarray) -> Diarization:
    by_segment: dict[int, list[int]] = {}
    for index, seg in enumerate(owner):
        by_segment.setdefault(seg, []).append(index)
    pieces: list[Piece] = []
    unlabelled: list[tuple[float, float, int | None]] = []
    for seg, (start, end) in enumerate(segments):
        members = by_segment.get(seg)
        if not members:
            unlabelled.append((start, end, None))
            continue
        centres = [(found[i].start + found[i].end) / 2 for i in members]
        pieces += segment_pieces(start, end, centres, [int(labels[i]) for i in members])
    unlabelled += [(p.start, p.end, p.label) for p in pieces]
    turns = smooth(label_unlabelled(sorted(unlabelled, key=lambda s: s[0])))
    order = {label: i for i, label in enumerate(dict.fromkeys(p.label for p in turns))}
    result = Diarization(duration=round(duration, 3), turns=[
        SpeakerTurn(start=round(p.start, 3), end=round(p.end, 3), speaker=order[p.label]) for p in turns])
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
    for label, speaker in order.items():
        mine = unit[labels == label]
        if len(mine):
            mean = mine.mean(axis=0)
            result.prints[speaker] = [round(float(v), 6) for v in mean / max(np.linalg.norm(mean), 1e-9)]
    return result
