"""What the episode page shows, read once: the episode, its show, its state and approval (from the
episode index), its cues, the loudness figures, the sound processing's figures and the A/B's gain, and the
clips with their rendered files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..captions import Cue
from ..media.processing import SoundFigures
from ..pipeline.clips import choose_highlights
from ..workspace import Episode, Show, Workspace
from ..workspace.approval import current_token
from ..workspace.index import EpisodeRow, episode_state
from ..workspace.layout import EpisodeFiles
from ..workspace.transcript import read_cues_and_sha256
from . import loudness_report, sound
from .edits import highlights_version, metadata_version


@dataclass
class EpisodePage:
    episode: Episode
    show: Show
    row: EpisodeRow
    files: EpisodeFiles
    cues: list[Cue] = field(default_factory=list)
    vtt_sha: str | None = None  # of transcript.vtt as shown: the `based_on` of a correction
    approve_token: str = ""  # everything that would go out, as shown: the `based_on` of the approval

    @property
    def metadata_version(self) -> str:
        """The metadata as shown: the `based_on` of the metadata form."""
        return metadata_version(self.episode)

    @property
    def record(self) -> dict:
        """The episode's .studio/state.json: what each stage made."""
        return self.row.record

    @property
    def has_audio(self) -> bool:
        return self.files.podcast.is_file() and "podcast" in self.record

    def state_word(self, job_state: str = "") -> str:
        return episode_state(self.row, job_state)

    def loudness(self) -> dict | None:
        """The report's figures as processing measured them, against the show's targets (no ffmpeg)."""
        before, after = loudness_report.known_figures(self.files, self.episode, self.record)
        if after is None:
            return None
        return {"before": before, "after": after, "verdict": loudness_report.verdict(after, self.show.loudness),
                "tolerance": loudness_report.TOLERANCE_LU}

    def sound(self) -> SoundFigures | None:
        """What the sound processing found and did; None when it has not run (the page says nothing of it)."""
        return sound.episode_figures(self.files)

    def sound_rows(self, labels: loudness_report.ReportLabels) -> list[sound.SoundRow]:
        """The report's rows of those figures, in `labels`' words (the sheet's rows); [] without them."""
        figures = self.sound()
        return sound.sound_rows(figures, labels) if figures else []

    def matching(self) -> sound.Matching | None:
        """The A/B switch's gain for the original; None (no switch) unless the processing ran and both the
        original and the podcast rendition are there with their measured loudness."""
        if self.sound() is None or not self.has_audio or not self.files.original(self.episode.original).is_file():
            return None
        before, after = loudness_report.known_figures(self.files, self.episode, self.record)
        return sound.loudness_matching(before, after)

    def clips(self) -> list[dict]:
        """The highlights the clips are made from, each with its rendered clip files (when current)."""
        rendered = {(round(c["start"], 3), round(c["end"], 3)): c for c in self.record.get("clips", [])}
        items = []
        cues = [(c.start, c.end, c.text) for c in self.cues]
        chosen = choose_highlights(self.episode, self.show, cues)
        based_on = highlights_version(chosen)  # what a remove button was shown
        for index, highlight in enumerate(chosen):
            start, end = float(highlight["start"]), float(highlight["end"])
            clip = rendered.get((round(start, 3), round(end, 3)))
            files = {fmt: Path(name).name for fmt, name in (clip or {}).get("files", {}).items()
                     if (self.files.folder / name).is_file()}
            posters = {fmt: Path(name).name for fmt, name in (clip or {}).get("posters", {}).items()
                       if (self.files.folder / name).is_file()}
            items.append({"index": index, "start": start, "end": end, "title": highlight.get("title", ""),
                          "automatic": bool(highlight.get("automatic")), "publish": highlight.get("publish", True),
                          "files": files, "posters": posters, "based_on": based_on})
        return items


def episode_page(workspace: Workspace, episode: Episode, cues: bool = True) -> EpisodePage:
    """The page's data for `episode` (read by the caller: a 404 is the caller's to give), its folder read
    now; `cues`: read the transcript too."""
    files = workspace.files(episode.id)
    row = workspace.index.read(episode.id)
    page = EpisodePage(episode, workspace.show(episode.show), row, files,
                       approve_token=current_token(workspace, episode, row.record))
    if cues and files.vtt.is_file():
        page.cues, page.vtt_sha = read_cues_and_sha256(files.folder)
    return page

