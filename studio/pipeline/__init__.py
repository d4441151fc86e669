"""The pipeline: an episode's stages over one context read once (context), run by a session that skips
what is done (session): ingest, renditions, transcript, text, chapters, clips.

    process_episode(workspace, ffmpeg, "kpu/2026-11-20-dpt", reporter)

The command line, the web app and the workers all come here to make an episode's files.
"""

from .context import EpisodeContext, EpisodeReport, open_episode
from .options import CLIP_FORMATS, STAGES, ProcessOptions, stages_for
from .session import Outcome, exit_code, process_episode, process_episodes, process_stage
from .transcript import ModelCache, record_transcript

__all__ = ["CLIP_FORMATS", "STAGES", "EpisodeContext", "EpisodeReport", "ModelCache", "Outcome", "ProcessOptions",
           "exit_code", "open_episode", "process_episode", "process_episodes", "process_stage", "record_transcript",
           "stages_for"]
