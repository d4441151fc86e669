"""`studio process`: run an episode's stages over one context, skipping what is already done.

Each stage output is recorded in the episode's `.studio/state.json` with a key: a hash of the
original's sha256 and every setting the output depends on. A stage whose key and file are unchanged is
skipped, so re-running is cheap and changing one setting (a show's podcast target, say) redoes only what
depends on it. Outputs are written under temporary names and renamed into place, and the state is
written after them: a run killed at any moment leaves no partial file under a final name and is
completed by running again.

    renditions   podcast.mp3 and broadcast.wav             (pipeline.renditions)
    transcript   the model's words: .studio/transcript.raw.json   (pipeline.transcript)
    speakers     who speaks when: .studio/speakers.raw.json      (pipeline.speakers)
    text         transcript.vtt/.srt/.json/.txt by the text rules, and chapters.json
                 (pipeline.text, pipeline.chapters)
    clips        clips/NN-<format>.mp4                       (pipeline.clips)
"""

from __future__ import annotations

import traceback
from dataclasses import asdict, dataclass

from ..errors import BadInput, StudioError, explain
from ..media.ffmpeg import FFmpeg
from ..progress import Reporter
from ..workspace import Workspace
from .chapters import make_chapters
from .clips import make_clips
from .context import EpisodeContext, EpisodeReport, open_episode
from .options import STAGES, ProcessOptions
from .renditions import make_renditions, renditions_beside
from .speakers import make_speakers
from .text import make_text
from .transcript import ModelCache, make_transcript


def run_stage(ctx: EpisodeContext, stage: str, models: ModelCache) -> None:
    """One stage over an open context."""
    ctx.reporter.stage("text" if stage == "captions" else stage)
    if stage == "renditions":
        make_renditions(ctx)
    elif stage == "transcript":
        make_transcript(ctx, models)
    elif stage == "speakers":
        make_speakers(ctx)
    elif stage in ("text", "captions"):  # "captions": a job recorded by an older Studio
        make_text(ctx)
        make_chapters(ctx)
    elif stage == "clips":
        make_clips(ctx)
    else:
        raise BadInput(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")


def process_stage(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, stage: str, reporter: Reporter,
                  options: ProcessOptions = ProcessOptions(), models: ModelCache | None = None) -> EpisodeReport:
    """Run one stage of one episode under the episode's lock (one job of a worker)."""
    if stage not in (*STAGES, "captions"):
        raise BadInput(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    with open_episode(workspace, ffmpeg, episode_id, reporter, options) as ctx:
        run_stage(ctx, stage, models or ModelCache())
    return ctx.report


def process_episode(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, reporter: Reporter,
                    options: ProcessOptions = ProcessOptions(), models: ModelCache | None = None) -> EpisodeReport:
    """Run an episode's stages, under one hold of the episode's lock.

    The renditions, the transcript and its text are written before any clip starts, so what goes on air
    never waits on video. The renditions are made in a child process while this one transcribes
    (renditions_beside).
    """
    with open_episode(workspace, ffmpeg, episode_id, reporter, options) as ctx:
        if options.transcribe:
            models = models or ModelCache()
            with renditions_beside(ctx):
                reporter.stage("transcript")  # the renditions are made beside it
                make_transcript(ctx, models)
                reporter.stage("speakers")
                make_speakers(ctx)
                reporter.stage("text")
                make_text(ctx)
                make_chapters(ctx)
        else:
            reporter.stage("renditions")
            make_renditions(ctx)
        if options.clips:
            if models is not None:
                models.release()
            reporter.stage("clips")
            make_clips(ctx)
    return ctx.report


@dataclass
class Outcome:
    """What processing one episode came to: its report, or why it failed."""

    report: EpisodeReport
    error: str | None = None  # one line, starting with the episode id
    exit_code: int = 0

    def to_dict(self) -> dict:
        return {**asdict(self.report), "error": self.error}


def failed(episode_id: str, exc: Exception, workspace: Workspace, reporter: Reporter) -> Outcome:
    """The outcome of an episode whose processing raised `exc`: one line that starts with its id."""
    if not isinstance(exc, StudioError):
        reporter.debug(traceback.format_exc().rstrip())
    message, code = explain(exc, workspace.episode_dir(episode_id))
    if not message.startswith(episode_id):  # each failure line starts with its episode, once
        message = f"{episode_id}: {message}"
    return Outcome(EpisodeReport(id=episode_id), message, code)


def process_episodes(workspace: Workspace, ffmpeg: FFmpeg, episode_ids: list[str], reporter: Reporter,
                     options: ProcessOptions = ProcessOptions()) -> list[Outcome]:
    """Process each episode in turn; a failed one (even an unreadable episode.toml) is recorded and the
    next one goes on."""
    models = ModelCache()
    outcomes = []
    for episode_id in episode_ids:
        try:
            report = process_episode(workspace, ffmpeg, episode_id, reporter, options, models)
        except Exception as exc:  # noqa: BLE001 - one episode's fault, whatever it is, is that episode's alone
            if len(episode_ids) > 1:  # the reasons come together at the end; say now that this one failed
                reporter.info(f"{episode_id}: failed")
            outcomes.append(failed(episode_id, exc, workspace, reporter))
            continue
        reporter.info(f"{episode_id}: {', '.join(report.done) or 'nothing to do'}")
        outcomes.append(Outcome(report))
    return outcomes


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when every episode went well; 2 when every failure was bad input; else 1."""
    failures = [o for o in outcomes if o.error is not None]
    if not failures:
        return 0
    return 2 if all(o.exit_code == 2 for o in failures) else 1
