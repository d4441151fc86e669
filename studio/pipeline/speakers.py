"""The speakers stage: who speaks when (studio.speakers), once per recording, engine and show bounds.

Its output, .studio/speakers.raw.json, is keyed by the original's sha256, SPEAKERS_VERSION and the show's
min_speakers/max_speakers. After a new diarization the producer's layer (speakers.json: names, merges,
moved lines) is rebased on it: names follow the voices when the recording was replaced, and speakers the
show knows (feeds/<show>.voices.json) are named by themselves (workspace.speakers). The text stage then
labels every output; a change of names needs only the text stage, never the model.
"""

from __future__ import annotations

import json

from .. import speakers as engine
from ..fsutil import read_json, write_text
from ..media.processing import ANALYSIS_VERSION
from ..workspace.speakers import Speakers, episode_speakers, load_layer, load_voices, rebase, save_layer
from ..workspace.state import stage_key
from .context import EpisodeContext


def speakers_key(ctx: EpisodeContext) -> str:
    return stage_key({"sha256": ctx.episode.sha256, "version": engine.SPEAKERS_VERSION,
                      "min": ctx.show.min_speakers, "max": ctx.show.max_speakers})


def make_speakers(ctx: EpisodeContext) -> None:
    """Diarize the original unless its speakers for these settings are there; rebase the producer's layer."""
    key = speakers_key(ctx)
    if ctx.state.get("speakers", {}).get("key") == key and ctx.files.speakers_raw.is_file():
        ctx.report.skipped.append("speakers")
        return
    show = ctx.show
    with ctx.reporter.bar(f"{ctx.episode.id}: finding speakers", ctx.episode.duration) as progress:
        found = engine.diarize(ctx.original, min_speakers=show.min_speakers, max_speakers=show.max_speakers,
                               ffmpeg=ctx.ffmpeg, progress=lambda done, *_: progress(done), speech=known_speech(ctx))
    write_text(ctx.files.speakers_raw, json.dumps(found.to_dict(), separators=(",", ":")))
    layer = load_layer(ctx.folder)
    rebased = rebase(layer, found.prints, engine.recognize, load_voices(ctx.workspace.feeds_dir, show.slug))
    if rebased != layer and (ctx.files.speakers.is_file() or rebased.names or rebased.merges or rebased.moves):
        save_layer(ctx.folder, rebased)  # (no speakers.json until there is a name: the episode stays as ingested)
    ctx.record("speakers", {"key": key, "version": engine.SPEAKERS_VERSION, "speakers": len(found.speakers)})
    ctx.report.done.append("speakers")


def known_speech(ctx: EpisodeContext) -> list[list[float]] | None:
    """The original's speech as the sound treatment's pass found it (the same VAD), when that pass is kept and
    current; None: the engine runs the VAD itself."""
    cached = read_json(ctx.files.sound_analysis, default={})
    if cached.get("sha256") != ctx.episode.sha256 or cached.get("version") != ANALYSIS_VERSION:
        return None
    speech = cached.get("speech")
    return speech if isinstance(speech, list) else None


def speakers_for_text(ctx: EpisodeContext) -> Speakers | None:
    """The speakers the text stage labels the outputs with (None before the speakers stage ran)."""
    return episode_speakers(ctx.folder) if "speakers" in ctx.state else None
