"""Speaker embeddings of speech windows: CAM++ (studio/data/speakers/campplus.onnx) on onnxruntime.

A VAD segment is cut into windows of WINDOW_S every STEP_S (the last one ends at the segment's end); a
segment shorter than a window is one window of its own length (MIN_WINDOW_S at least, else it is left out
and takes its neighbours' speaker). The fbank is computed once per segment; each window's frames are
mean-normalised over the window, as 3D-Speaker does, and windows of equal length run through the model in
batches of BATCH.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import SPEAKER_MODEL
from .fbank import FRAME, RATE, fbank, frame_count

WINDOW_S = 1.5
STEP_S = 1.5  # windows side by side: steps of 1.0 s cost a third more time for the same DER (bench-speakers)
MIN_WINDOW_S = 0.5
BATCH = 8  # as fast per window as 32 (scripts/bench-speakers), with a quarter of the activations' memory
THREADS = 2  # batches run at once: the 2-core budget


@dataclass
class Window:
    start: float  # seconds
    end: float


def windows(start: float, end: float) -> list[Window]:
    """The windows of one speech segment [start, end] (seconds)."""
    length = end - start
    if length < MIN_WINDOW_S:
        return []
    if length <= WINDOW_S:
        return [Window(start, end)]
    found = []
    at = start
    while at + WINDOW_S < end:
        found.append(Window(at, at + WINDOW_S))
        at += STEP_S
    if end - found[-1].end > 0.05:
        found.append(Window(end - WINDOW_S, end))
    return found


def features(samples: np.ndarray, offset: float, start: float, end: float, found: list[Window]) -> list[np.ndarray]:
    """Each window's mean-normalised fbank (frames × 80), the fbank computed once over the speech segment
    [start, end] (seconds of the recording); `samples` starts at `offset`."""
    a = max(0, int(round((start - offset) * RATE)))
    b = min(len(samples), int(round((end - offset) * RATE)))
    segment = samples[a:b]
    if len(segment) < FRAME:
        segment = np.pad(segment, (0, FRAME - len(segment)))
    feats = fbank(segment)
    out = []
    for w in found:
        length = max(1, min(len(feats), frame_count(int(round((w.end - w.start) * RATE)))))
        first = min(max(0, int(round((w.start - start) * 100))), len(feats) - length)
        window = feats[first:first + length]
        out.append(window - window.mean(axis=0))
    return out


class Embedder:
    """One onnxruntime session over the bundled model (one thread per run), run from THREADS threads at once:
    whole batches in parallel use both cores better than one batch split across them."""

    def __init__(self, model: Path = SPEAKER_MODEL, threads: int = THREADS):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # no memory arena and no per-shape memory plans: both keep buffers for every batch shape seen (700 MB
        # to 1 GB over a long session of varied segments)
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        # the same few threads for the whole recording (fresh ones per block would each get a malloc arena)
        self.threads = max(1, threads)
        self.pool = ThreadPoolExecutor(self.threads - 1) if self.threads > 1 else None

    def embed(self, windows: list[np.ndarray]) -> np.ndarray:
        """(len(windows), 192) embeddings of fbank windows (frames × 80 each); equal lengths batched, the
        batches shared between this thread and the helper threads."""
        groups: dict[int, list[int]] = {}
        for index, feats in enumerate(windows):
            groups.setdefault(len(feats), []).append(index)
        batches = [members[at:at + BATCH] for members in groups.values() for at in range(0, len(members), BATCH)]
        out = np.zeros((len(windows), 192), dtype=np.float32)

        def run(share: list[list[int]]) -> None:
            for members in share:
                batch = np.stack([windows[i] for i in members])
                out[members] = self.session.run(None, {self.input: batch})[0]

        helpers = [self.pool.submit(run, batches[k::self.threads]) for k in range(1, self.threads)] if self.pool else []
        run(batches[::self.threads])
        for helper in helpers:
            helper.result()
        return out

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown()

    def __enter__(self) -> "Embedder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
