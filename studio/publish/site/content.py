"""What a page of the listener site is made of: paragraphs of timed sentences, an episode's clips, the
small pieces the templates print (times, JSON-LD, thumbnails)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ...text.sentences import Sentence
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


def paragraphs(sentences: Sequence[Sentence], chapter_starts: Sequence[float] = ()) -> list[Paragraph]:
    """Sentences in paragraphs: a new one after a pause, at a chapter start, or when one grows long."""
    groups: list[list[Sentence]] = []
    starts = sorted(chapter_starts)
    for sentence in sentences:
        current = groups[-1] if groups else None
        crosses = current and any(current[0].start < c <= sentence.start for c in starts)
        if (current is None or crosses or sentence.start - current[-1].end >= PARAGRAPH_PAUSE_S
                or sum(len(s.text) + 1 for s in current) >= PARAGRAPH_CHARS):
            groups.append([sentence])
        else:
            current.append(sentence)
    found, seen = [], set()
    for group in groups:
        anchor = f"t{int(group[0].start)}"
        while anchor in seen:
            anchor += "x"
        seen.add(anchor)
        found.append(Paragraph(group[0].start, anchor, tuple(group)))
    return found


def seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def spans(sentences: Sequence[Sentence]) -> str:
    """A paragraph's sentences as <span>s with their times: built here, not in the template, because an
    episode has hundreds and Jinja's loop costs several times more per sentence."""
    from markupsafe import Markup, escape

    return Markup(" ".join(f'<span class="s" data-start="{seconds(s.start)}" data-end="{seconds(s.end)}">'
                           f'{escape(s.text)}</span>' for s in sentences))


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
