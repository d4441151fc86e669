"""What a page of the listener site is made of: paragraphs of timed sentences, an episode's clips, the
small pieces the templates print (times, JSON-LD, thumbnails)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Sequence

from ...text.sentences import Sentence, sentences_from_cues
from ..collect import FeedEpisode
from ..layout import clip_keys

THUMB_PX = 400
PARAGRAPH_PAUSE_S = 2.0
PARAGRAPH_CHARS = 600


@dataclass(frozen=True)
class Paragraph:
    start: float
    anchor: str
    sentences: tuple[Sentence, ...]
    ids: tuple[str, ...] = ()  # each sentence's element id ("s" and its start in hundredths): search lands on it
    speaker: str | None = None  # who says it (the transcript's voice tags); None: not known


@dataclass(frozen=True)
class Clip:
    number: int
    title: str
    start: float
    end: float
    video: str  # key of the MP4 shown
    captions: str  # key of its VTT
    page: str  # key of its own page (its preview, when shared, is the clip itself)
    poster: str | None = None  # key of its poster frame (a JPEG from the clip), when published


def paragraphs(sentences: Sequence[Sentence], chapter_starts: Sequence[float] = (),
               speakers: Sequence[str | None] | None = None) -> list[Paragraph]:
    """Sentences in paragraphs: a new one after a pause, at a chapter start, when the speaker changes (each
    sentence's in `speakers`), or when one grows long."""
    groups: list[list[Sentence]] = []
    whose: list[str | None] = []
    starts = sorted(chapter_starts)
    for k, sentence in enumerate(sentences):
        current = groups[-1] if groups else None
        speaker = speakers[k] if speakers else None
        crosses = current and any(current[0].start < c <= sentence.start for c in starts)
        if (current is None or crosses or sentence.start - current[-1].end >= PARAGRAPH_PAUSE_S
                or speaker != whose[-1] or sum(len(s.text) + 1 for s in current) >= PARAGRAPH_CHARS):
            groups.append([sentence])
            whose.append(speaker)
        else:
            current.append(sentence)
    found: list[Paragraph] = []
    seen: set[str] = set()

    def unique(anchor: str) -> str:
        while anchor in seen:
            anchor += "x"
        seen.add(anchor)
        return anchor

    for group, speaker in zip(groups, whose):
        anchor = unique(f"t{int(group[0].start)}")
        ids = tuple(unique(sentence_id(s.start)) for s in group)
        found.append(Paragraph(group[0].start, anchor, tuple(group), ids, speaker))
    return found


def sentence_id(start: float) -> str:
    """A sentence's element id: "s" and its start in hundredths of a second (static/search.js reads the time
    back from it: a search result opens the episode at the sentence that holds the word)."""
    return f"s{int(round(start * 100))}"


def speaker_sentences(cues) -> tuple[list[Sentence], list[str | None]]:
    """The cues' sentences, regrouped within each run of one speaker's cues, and each sentence's speaker."""
    sentences: list[Sentence] = []
    speakers: list[str | None] = []
    for speaker, run in groupby(cues, key=lambda c: c.speaker):
        found = sentences_from_cues((c.start, c.end, c.body) for c in run)
        sentences += found
        speakers += [speaker] * len(found)
    return sentences, speakers


def seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def spans(paragraph: Paragraph) -> str:
    """A paragraph's sentences as <span>s with their ids and times: built here, not in the template, because an
    episode has hundreds and Jinja's loop costs several times more per sentence."""
    from markupsafe import Markup, escape

    ids = [f' id="{i}"' if i else "" for i in paragraph.ids or ("",) * len(paragraph.sentences)]
    return Markup(" ".join(f'<span class="s"{i} data-start="{seconds(s.start)}" data-end="{seconds(s.end)}">'
                           f'{escape(s.text)}</span>' for s, i in zip(paragraph.sentences, ids)))


def json_script(data: object) -> str:
    """JSON for a <script type="application/ld+json"> block: '<' escaped so no text can close the element."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def iso_duration(seconds: float) -> str:
    total = int(round(seconds))
    return f"PT{total // 3600}H{total % 3600 // 60}M{total % 60}S"


def clips_of(item: FeedEpisode) -> list[Clip]:
    """One clip per highlight: its landscape rendering when there is one (else the first format), with its
    poster frame; numbered as its files are (a clip kept from publishing leaves a gap, never a new address)."""
    assets = {Path(a.key).name: a for a in item.clips}
    found = []
    for position, entry in enumerate(item.highlights, start=1):
        if not isinstance(entry.get("files"), dict):
            continue
        files = entry["files"]
        fmt = next((f for f in ("landscape", "square", "vertical") if f in files), None)
        name = Path(files[fmt]).name if fmt else None
        if name not in assets:
            continue
        number = int(name[:2]) if name[:2].isdigit() else position
        posters = entry.get("posters") if isinstance(entry.get("posters"), dict) else {}
        poster = assets.get(Path(str(posters.get(fmt, ""))).name)
        try:
            start, end = float(entry["start"]), float(entry["end"])
        except (KeyError, TypeError, ValueError):
            continue
        title = str(entry.get("title") or item.episode.title)
        found.append(Clip(number, title, start, end, assets[name].key, *clip_keys(item.episode, number),
                          poster=poster.key if poster else None))
    return found


def clip_vtt(cues, clip: Clip) -> bytes:
    lines = ["WEBVTT", ""]
    for cue in cues:
        if cue.end <= clip.start or cue.start >= clip.end:
            continue
        start, end = max(0.0, cue.start - clip.start), min(clip.end, cue.end) - clip.start
        lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}", cue.text, ""]
    return "\n".join(lines).encode()


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def thumbnail(source: Path) -> bytes:
    """A small JPEG of the show's artwork for the pages (the full artwork is for podcast apps)."""
    from PIL import Image

    with Image.open(source) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
