"""The text stage: the transcript files (VTT, SRT, JSON, text) from the raw transcript, by the text rules.

The rules are studio.text.normalize's (glossary spelling, standard spelling and repair, casing, numbers
as digits). The stage is keyed by the raw transcript's key, TEXT_VERSION and the show's text settings,
and by the VTT on disk: a producer's corrected transcript.vtt is kept and flows into the other three
files (workspace.transcript). A change to a rule re-runs this stage in seconds, without the model; so does
a change to the speakers (the speakers stage's turns, the producer's names in speakers.json).
"""

from __future__ import annotations

from ..errors import ProcessingError
from ..fsutil import sha256_file
from ..text.normalize import TEXT_VERSION, normalize_transcript
from ..transcribe import Transcript
from ..workspace.layout import TRANSCRIPT_FILES
from ..workspace.state import stage_key
from ..workspace.transcript import vtt_sha256, write_transcript_files
from .context import EpisodeContext
from .options import glossary_of
from .speakers import speakers_for_text


def text_key(ctx: EpisodeContext) -> str:
    show = ctx.show
    return stage_key({"transcript": ctx.state.get("transcript", {}).get("key"), "version": TEXT_VERSION,
                      "glossary": glossary_of(show), "spelling": show.spelling, "itn": show.itn,
                      "speakers": ctx.state.get("speakers", {}).get("key"),
                      "layer": sha256_file(ctx.files.speakers) if ctx.files.speakers.is_file() else None})


def make_text(ctx: EpisodeContext) -> None:
    """Write the transcript files unless they are up to date (and the VTT is the one they were made from)."""
    raw = ctx.files.raw_transcript
    if not raw.is_file():
        raise ProcessingError(f"{ctx.episode.id} has no transcript yet: its transcript stage has not run")
    key = text_key(ctx)
    made = ctx.state.get("text", {})
    if (made.get("key") == key and made.get("vtt") == vtt_sha256(ctx.folder)
            and all((ctx.folder / name).is_file() for name in TRANSCRIPT_FILES.values())):
        ctx.report.skipped.append("text")
        return
    show = ctx.show
    transcript = normalize_transcript(Transcript.from_json(raw.read_bytes()), glossary_of(show), show.spelling,
                                      show.itn)
    write_transcript_files(ctx.folder, transcript, speakers=speakers_for_text(ctx))
    ctx.transcript_changed()
    ctx.record("text", {"key": key, "version": TEXT_VERSION, "vtt": vtt_sha256(ctx.folder)})
    ctx.report.done.append("text")
