"""The transcript stage: the model's words and timings, once per recording and transcription settings.

Its output, .studio/transcript.raw.json, is keyed by the recording's sha256 and the transcription
options (studio.transcribe.options_key: the model, the decoding settings, TRANSCRIBER_VERSION). The text
rules are the next stage's (pipeline.text): a change to them never comes back here.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc

from ..fsutil import write_text
from ..transcribe import TranscribeOptions, Transcript, options_key, transcribe_file
from ..transcribe.install import load_model
from ..workspace import Workspace
from ..workspace.state import load_state, save_state, stage_key
from .context import EpisodeContext
from .options import ProcessOptions, transcribe_options


class ModelCache:
    """Loads a Whisper model on first use and keeps it for the rest of the run.

    `cpu_threads`: CTranslate2's threads per model (None: one per core); a machine that runs
    several workers gives each its share of the cores (jobs.threads_per_worker)."""

    def __init__(self, cpu_threads: int | None = None) -> None:
        self._models: dict[tuple, object] = {}
        self.cpu_threads = cpu_threads

    def get(self, opts: TranscribeOptions) -> object:
        key = (opts.model, opts.device, opts.compute_type)
        if key not in self._models:
            self._models[key] = load_model(opts.model, opts.device, opts.compute_type, cpu_threads=self.cpu_threads)
        return self._models[key]

    def release(self) -> None:
        """Let the models go and hand the freed heap back to the system.

        Called before clips: their ffmpeg (three video encoders) needs about 800 MB, and a
        model with the decoder's buffers holds 300-600 MB that would stay mapped otherwise
        (reloading for the next episode takes about a second).
        """
        if not self._models:
            return
        self._models.clear()
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):  # glibc only
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def transcript_key(sha256: str, opts: TranscribeOptions) -> str:
    return stage_key({"sha256": sha256, "options": options_key(opts)})


def make_transcript(ctx: EpisodeContext, models: ModelCache) -> None:
    """Transcribe the original, unless its raw transcript for these settings is there."""
    opts = transcribe_options(ctx.workspace.settings, ctx.show, ctx.options)
    key = transcript_key(ctx.episode.sha256, opts)
    if ctx.state.get("transcript", {}).get("key") == key and ctx.files.raw_transcript.is_file():
        ctx.report.skipped.append("transcript")
        return
    model = models.get(opts)
    with ctx.reporter.bar(f"{ctx.episode.id}: transcribing", ctx.episode.duration) as progress:
        transcript = transcribe_file(ctx.ffmpeg, ctx.original, opts, model, lambda done, total: progress(done))
    write_text(ctx.files.raw_transcript, transcript.to_json())
    ctx.record("transcript", _entry(key, opts, transcript))
    ctx.report.done.append("transcript")


def _entry(key: str, opts: TranscribeOptions, transcript: Transcript) -> dict:
    return {"key": key, "model": opts.model, "language": transcript.language, "segments": len(transcript.segments)}


def record_transcript(workspace: Workspace, episode_id: str, transcript: Transcript,
                      options: ProcessOptions = ProcessOptions()) -> None:
    """Keep `transcript` as the episode's raw transcript, as the transcript stage would with `options`: the
    next `process` takes it as made and runs the text stage on it. For tests and imports of transcripts
    made elsewhere."""
    episode = workspace.episode(episode_id)
    opts = transcribe_options(workspace.settings, workspace.show(episode.show), options)
    folder = workspace.episode_dir(episode.id)
    write_text(workspace.files(episode.id).raw_transcript, transcript.to_json())
    state = load_state(folder)
    state["transcript"] = _entry(transcript_key(episode.sha256, opts), opts, transcript)
    save_state(folder, state)
    workspace.index.refresh_episode(episode.id)
