"""A broadcast file for tests of the radio page and manifest without processing audio: a short real WAV
(48 kHz 24-bit stereo, a tone), its cart chunk as `process` writes it, and the state entry that names it."""

from __future__ import annotations

import math
import struct
import wave

from studio.fsutil import read_json, write_json
from studio.media import cart as cart_mod
from studio.workspace.episode import Episode, cart_for_episode
from studio.workspace.tree import Workspace

LOUDNESS = {"integrated": -23.1, "true_peak": -1.4, "loudness_range": 4.2, "max_momentary": -18.0,
            "max_short_term": -20.0}


def add_broadcast(workspace: Workspace, episode: Episode, seconds: float = 2.0) -> None:
    folder = workspace.episode_dir(episode.id)
    path = folder / "broadcast.wav"
    rate = 48000
    frames = bytearray()
    for i in range(int(rate * seconds)):
        sample = int(0.2 * (1 << 23) * math.sin(2 * math.pi * 440 * i / rate))
        frames += struct.pack("<i", sample)[:3] * 2
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(3)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    cart_mod.write_cart(path, cart_for_episode(episode, workspace.show(episode.show)))
    state_path = folder / ".studio" / "state.json"
    state = read_json(state_path, default={}) or {}
    state["broadcast"] = {"key": "fake", "file": "broadcast.wav", "target_lufs": -23.0, "gain_db": 0.0,
                          "limited": False, "loudness": LOUDNESS}
    write_json(state_path, state)
