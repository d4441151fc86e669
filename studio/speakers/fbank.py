"""Kaldi-compatible log mel filterbank features in numpy: what CAM++ was trained on.

The settings of Kaldi's `compute-fbank-feats` (and torchaudio.compliance.kaldi.fbank) as 3D-Speaker calls it:
16 kHz, 25 ms frames every 10 ms (whole frames only), dither 0, DC offset removed per frame, pre-emphasis
0.97, Povey window, 512-point power spectrum, 80 triangular mel bins from 20 Hz to 8 kHz, natural log floored
at float32's epsilon. scripts/export-speaker-model checks it against senko's C++ Kaldi extractor.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

RATE = 16000
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
FFT = 512
MELS = 80
LOW_HZ = 20.0
PREEMPH = 0.97
EPS = float(np.finfo(np.float32).eps)


def _mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """The Povey window (frame) and the mel filterbank (FFT//2+1 bins × MELS), float32."""
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / (FRAME - 1))) ** 0.85
    low, high = _mel(LOW_HZ), _mel(RATE / 2)
    delta = (high - low) / (MELS + 1)
    left = low + np.arange(MELS) * delta
    center, right = left + delta, left + 2 * delta
    bins = _mel(np.arange(FFT // 2) * RATE / FFT)[:, None]
    up = (bins - left) / (center - left)
    down = (right - bins) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    banks = np.vstack([banks, np.zeros((1, MELS))])  # Kaldi leaves the Nyquist bin out
    return window.astype(np.float32), banks.astype(np.float32)


def frame_count(samples: int) -> int:
    return 0 if samples < FRAME else 1 + (samples - FRAME) // SHIFT


def fbank(samples: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log mel energies of 16 kHz mono float samples (not mean-normalised)."""
    n = frame_count(len(samples))
    if not n:
        return np.zeros((0, MELS), dtype=np.float32)
    window, banks = _tables()
    x = np.ascontiguousarray(samples, dtype=np.float32)
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, FRAME), strides=(SHIFT * 4, 4)).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= PREEMPH * frames[:, :-1].copy()
    frames[:, 0] *= 1 - PREEMPH
    frames *= window
    power = np.abs(np.fft.rfft(frames, n=FFT, axis=1)) ** 2
    return np.log(np.maximum(power.astype(np.float32) @ banks, EPS)).astype(np.float32)
