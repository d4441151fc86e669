"""The chapters stage: chapters.json from the producer's [[chapters]] in episode.toml, else from the
transcript's topic changes (studio.text.chapters)."""

from __future__ import annotations

from ..fsutil import write_text
from ..text import chapters
from ..text.sentences import sentences_from_cues
from ..workspace.state import stage_key
from ..workspace.transcript import vtt_sha256
from .context import EpisodeContext

CHAPTERS_STAGE_VERSION = 2  # 2: titled with the chapter's most central sentence


def make_chapters(ctx: EpisodeContext) -> None:
    episode, path = ctx.episode, ctx.files.chapters
    vtt = vtt_sha256(ctx.folder)
    if not episode.chapters and vtt is None:
        return
    key = stage_key({"version": CHAPTERS_STAGE_VERSION, "producer": episode.chapters, "duration": episode.duration,
                     "glossary": list(ctx.show.glossary), "vtt": vtt})
    if ctx.state.get("chapters", {}).get("key") == key and path.is_file():
        ctx.report.skipped.append("chapters")
        return
    if episode.chapters:
        found = chapters.producer_chapters(episode.chapters, episode.duration, episode.id)
    else:
        cues = [(c.start, c.end, c.body) for c in ctx.cues()]
        found = chapters.auto_chapters(sentences_from_cues(cues), episode.duration, ctx.show.glossary)
    if found:
        write_text(path, chapters.render_json(found))
    else:
        path.unlink(missing_ok=True)
    ctx.record("chapters", {"key": key, "count": len(found), "source": "producer" if episode.chapters else "auto"})
    ctx.report.done.append("chapters")
