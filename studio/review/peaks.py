"""Waveform peaks of the podcast rendition, for the web player (the browser then never decodes the MP3).

ffmpeg decodes the MP3 to mono 16-bit PCM at a low rate and streams it here;
each bucket of samples gives its minimum and maximum. The JSON follows the
layout of BBC audiowaveform's `--output-format json` (version 2, 8 bits:
`data` is min, max, min, max... in -128..127), which wavesurfer.js and
peaks.js both read. Buckets are at most 50 a second and at most
MAX_BUCKETS in all, so a three-hour episode stays a few hundred kB.
The result is cached in .studio/peaks.json, keyed by the rendition's key.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import BadInput
from ..fsutil import read_json, write_text
from ..media.ffmpeg import FFmpeg, read_ffmpeg
from ..workspace.episode import Episode
from ..workspace.state import load_state
from ..workspace.tree import Workspace

PEAKS_VERSION = 1
RATE = 8000  # Hz of the decoded PCM: enough for a picture of the level
MAX_PER_SECOND = 50
MAX_BUCKETS = 30000


def samples_per_bucket(duration: float) -> int:
    buckets = min(MAX_BUCKETS, max(1.0, duration) * MAX_PER_SECOND)
    return max(RATE // MAX_PER_SECOND, math.ceil(max(1.0, duration) * RATE / buckets))


def compute_peaks(ffmpeg: FFmpeg, audio: Path, duration: float) -> dict:
    """Min/max peaks of `audio` (streamed: memory does not grow with its length)."""
    size = samples_per_bucket(duration)
    data: list[int] = []
    pending = np.zeros(0, dtype=np.int16)
    args = ["-v", "error", "-i", str(audio), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE),
            "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    odd = b""
    for block in read_ffmpeg(ffmpeg, args):
        block = odd + block
        odd = block[len(block) // 2 * 2:]
        samples = np.concatenate([pending, np.frombuffer(block[:len(block) // 2 * 2], dtype=np.int16)])
        whole = len(samples) // size * size
        data += _buckets(samples[:whole], size)
        pending = samples[whole:]
    if len(pending):
        data += _buckets(pending, len(pending))
    return {"version": 2, "channels": 1, "sample_rate": RATE, "samples_per_pixel": size, "bits": 8,
            "length": len(data) // 2, "duration": round(len(data) // 2 * size / RATE, 3), "data": data}


def _buckets(samples: np.ndarray, size: int) -> list[int]:
    if not len(samples):
        return []
    rows = samples.reshape(-1, size)
    pairs = np.empty((len(rows), 2), dtype=np.int16)
    pairs[:, 0] = rows.min(axis=1) >> 8
    pairs[:, 1] = rows.max(axis=1) >> 8
    return pairs.ravel().tolist()


def episode_peaks(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode) -> dict:
    """The peaks of the episode's podcast rendition, cached by the rendition's key."""
    files = workspace.files(episode.id)
    key = load_state(files.folder).get("podcast", {}).get("key")
    if not key or not files.podcast.is_file():
        raise BadInput(f"{episode.id} has no podcast rendition yet: run `studio process {episode.id}` first")
    cached = read_json(files.peaks, default={})
    if isinstance(cached, dict) and cached.get("key") == key and cached.get("peaks_version") == PEAKS_VERSION:
        return cached
    peaks = {"key": key, "peaks_version": PEAKS_VERSION, **compute_peaks(ffmpeg, files.podcast, episode.duration)}
    if load_state(files.folder).get("podcast", {}).get("key") == key:  # not remade while we read it
        write_text(files.peaks, json.dumps(peaks, separators=(",", ":")))
    return peaks
