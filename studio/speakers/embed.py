"""Speaker embeddings of speech windows: CAM++ (studio/data/speakers/campplus.onnx) on onnxruntime.

A VAD segment is cut into windows of WINDOW_S every STEP_S (the last one ends at the segment's end); a
segment shorter than a window is one window of its own length (MIN_WINDOW_S at least, else it is left out
and takes its neighbours' speaker). The fbank is computed once per segment; each window's frames are
mean-normalised over the window, as 3D-Speaker does, and windows of equal length run through the model in
batches of BATCH.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import SPEAKER_MODEL
from .fbank import FRAME, RATE, fbank, frame_count

WINDOW_S = 1.5
STEP_S = 1.0  # 0.75 costs a third more time for no DER gained in scripts/bench-speakers
MIN_WINDOW_S = 0.5
BATCH = 8  # as fast per window as 32 (scripts/bench-speakers), with a quarter of the activations' memory
THREADS = 2  # onnxruntime's intra-op threads: the 2-core budget


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


class Embedder:
    """One onnxruntime session over the bundled model; embeds windows of a block's samples."""

    def __init__(self, model: Path = SPEAKER_MODEL, threads: int = THREADS):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # no memory arena (it kept every batch shape's buffers: 700 MB peak over a session of varied segments),
        # no spinning threads (they burn the second core while the first waits)
        options.enable_cpu_mem_arena = False
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def embed(self, samples: np.ndarray, offset: float, start: float, end: float, found: list[Window]) -> np.ndarray:
        """(len(found), 192) embeddings of the windows of one speech segment [start, end] (seconds of the
        recording); `samples` starts at `offset`. The fbank is computed once over the segment."""
        a = max(0, int(round((start - offset) * RATE)))
        b = min(len(samples), int(round((end - offset) * RATE)))
        segment = samples[a:b]
        if len(segment) < FRAME:
            segment = np.pad(segment, (0, FRAME - len(segment)))
        feats = fbank(segment)
        groups: dict[int, list[tuple[int, np.ndarray]]] = {}
        for index, w in enumerate(found):
            length = max(1, min(len(feats), frame_count(int(round((w.end - w.start) * RATE)))))
            first = min(max(0, int(round((w.start - start) * 100))), len(feats) - length)
            window = feats[first:first + length]
            groups.setdefault(length, []).append((index, window - window.mean(axis=0)))
        out = np.zeros((len(found), 192), dtype=np.float32)
        for items in groups.values():
            for at in range(0, len(items), BATCH):
                chunk = items[at:at + BATCH]
                batch = np.stack([f for _, f in chunk])
                out[[i for i, _ in chunk]] = self.session.run(None, {self.input: batch})[0]
        return out
