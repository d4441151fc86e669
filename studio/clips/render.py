"""Clips: one highlight rendered as captioned MP4s for social media and videotron screens.

Formats: vertical 1080x1920, square 1080x1080, landscape 1920x1080. Each shows
the show's artwork (or a generated background), the show and episode titles,
a scrolling waveform, a progress bar and burned-in captions.

How the work is shared between the formats of one highlight:
1. The clip's range of the episode audio is decoded ONCE (ffmpeg, with its
   loudness metered in the same pass) into float PCM in a scratch folder.
2. A linear gain (plus a 4x-oversampled limiter only when the true-peak
   ceiling needs it) brings that PCM to -16 LUFS; this reads PCM, it decodes
   nothing, and is metered again so the level is known before any video work.
3. The waveform is analysed ONCE with numpy (RMS per 100 ms) from that PCM.
4. Pillow draws everything that is text or graphics, with the fonts shipped
   in studio/data/fonts, so the output never depends on the machine's fonts:
   a still background per format, caption pages (pictures), a long strip of
   waveform bars and a progress strip.
5. ONE ffmpeg process encodes every requested format (a filter graph per
   format, so the formats' graphs run in parallel): the still background
   is looped, the waveform and progress strips are cropped with a window
   that moves with the frame number (scrolling bars, a growing bar), caption
   pages come in through the concat demuxer at their cue times, and the same
   PCM input is mapped to each output's AAC encoder.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..data import BOLD_FONT, FONTS_DIR
from ..errors import BadInput, ProcessingError
from ..fsutil import atomic_path
from ..media.ffmpeg import FFmpeg, Progress, probe, run_ffmpeg
from ..media.loudness import MeterLog, limiter_chain, meter_filter
from ..text.highlights import Cue, validate_range

RENDER_VERSION = 2  # part of a clip's cache key: bump when the picture or sound changes (2: rc-lookahead 5)
FPS = 30
RATE = 48000
TARGET_LUFS = -16.0
CEILING_DBTP = -1.0
LIMITER_MARGIN_DB = 0.5
LOUDNESS_TOLERANCE_LU = 0.3
LEVELS_PER_SECOND = 10  # waveform bars per second of audio
BAR_PITCH = 12  # px per bar; 12 * 10 / 30 = 4 px of scroll per frame (a whole number: no jitter)

NAVY = (10, 28, 58)
NAVY_DARK = (5, 14, 32)
ACCENT = (255, 194, 14)  # a warm yellow for the show name and the progress bar
WHITE = (255, 255, 255)
CAPTION_BOX = (8, 10, 18, 228)  # near-black: reads on any artwork colour

# Most of each frame is still and the bars scroll by whole pixels, so a diamond motion search with
# the cheapest subpixel refinement loses nothing visible and saves ~20% of the encoding time.
# One x264 thread per encoder: the three formats of a clip encode side by side anyway, and
# frame threads would hold more frames each (measured: ffmpeg's peak RSS 790 -> 630 MB for a
# three-format clip, same wall time under load: `process` stays under 1 GB in all). A lookahead
# of 5 frames instead of veryfast's 10, and one thread for the filter graphs, hold fewer frames
# again (a 30 s three-format clip: 623 -> 519 MB; files 4% smaller at the same CRF): a 60-minute
# session's `process` peaked at 996-1,055 MB, at the clips, before.
VIDEO_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-x264-params", "me=dia:subme=1:rc-lookahead=5", "-crf", "20",
              "-threads", "1", "-profile:v", "high", "-pix_fmt", "yuv420p", "-r", str(FPS), "-g", str(2 * FPS),
              "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
AUDIO_ARGS = ["-c:a", "aac", "-b:a", "128k", "-ar", str(RATE)]


# -- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Layout:
    """Where everything goes in one format. Text boxes lie inside the platform's safe area."""

    name: str
    width: int
    height: int
    label: Box  # the show's name, one line
    label_size: int
    title: Box  # the episode title, up to `title_lines` lines, shrunk to fit
    title_size: int
    title_min: int
    title_lines: int
    artwork: Box
    wave: Box
    captions: Box  # caption pages are bottom-aligned in this box
    caption_size: int
    caption_min: int
    progress: Box
    title_align: str = "center"  # or "left"


# Vertical: Reels/Shorts/TikTok cover the top ~14% and bottom ~20% with their own UI,
# so text stays between y = 269 and y = 1536 (and 60 px from the sides).
VERTICAL = Layout(
    name="vertical", width=1080, height=1920,
    label=Box(72, 290, 936, 48), label_size=34,
    title=Box(72, 348, 936, 250), title_size=66, title_min=44, title_lines=3,
    artwork=Box(290, 630, 500, 500),
    wave=Box(96, 1150, 888, 120),
    captions=Box(60, 1282, 960, 230), caption_size=66, caption_min=50,
    progress=Box(96, 1524, 888, 12),
)
# Square: feed posts; a 60 px margin all round.
SQUARE = Layout(
    name="square", width=1080, height=1080,
    label=Box(380, 72, 640, 44), label_size=30,
    title=Box(380, 120, 640, 280), title_size=54, title_min=36, title_lines=4, title_align="left",
    artwork=Box(60, 60, 290, 290),
    wave=Box(96, 430, 888, 150),
    captions=Box(60, 610, 960, 320), caption_size=62, caption_min=46,
    progress=Box(96, 968, 888, 12),
)
# Landscape: YouTube and videotron screens; text inside the 5% title-safe margins.
LANDSCAPE = Layout(
    name="landscape", width=1920, height=1080,
    label=Box(700, 120, 1124, 48), label_size=36,
    title=Box(700, 176, 1124, 270), title_size=70, title_min=48, title_lines=3, title_align="left",
    artwork=Box(120, 110, 500, 500),
    wave=Box(700, 470, 1104, 140),
    captions=Box(120, 660, 1680, 280), caption_size=68, caption_min=52,
    progress=Box(120, 980, 1680, 12),
)
FORMATS: dict[str, Layout] = {layout.name: layout for layout in (VERTICAL, SQUARE, LANDSCAPE)}


# -- results -----------------------------------------------------------------------------------


@dataclass
class RenderStats:
    """What one `render_clip` call did, shared by all its formats (evidence of shared work)."""

    source_decodes: int = 0  # ffmpeg runs that read the episode audio
    waveform_analyses: int = 0
    ffmpeg_runs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage


@dataclass(frozen=True)
class ClipResult:
    format: str
    path: Path
    width: int
    height: int
    start: float  # in the episode
    duration: float
    loudness: float  # integrated LUFS of the clip's audio as encoded (metered before AAC)
    true_peak: float  # dBTP
    gain_db: float  # applied to the episode audio
    limited: bool
    stats: RenderStats


# -- text --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """A shipped font at `size` px (memoised: fitting text tries many sizes)."""
    return ImageFont.truetype(str(path), size)


@functools.lru_cache(maxsize=65536)
def _width(font: ImageFont.FreeTypeFont, text: str) -> float:
    return font.getlength(text)


def _line_width(font: ImageFont.FreeTypeFont, words: list[str]) -> float:
    # Word by word (memoised): wrapping measures the same words again and again.
    return sum(_width(font, word) for word in words) + _width(font, " ") * max(0, len(words) - 1)


def _split_word(word: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """A word wider than a line, cut into hyphenated pieces that fit."""
    if _width(font, word) <= max_width:
        return [word]
    pieces, rest = [], word
    while _width(font, rest) > max_width:
        cut = len(rest) - 1
        while cut > 1 and _width(font, rest[:cut] + "-") > max_width:
            cut -= 1
        pieces.append(rest[:cut] + "-")
        rest = rest[cut:]
    return pieces + [rest]


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy word wrap; words wider than a line are hyphenated."""
    lines: list[list[str]] = []
    current: list[str] = []
    for word in text.split():
        for piece in _split_word(word, font, max_width):
            if current and _line_width(font, current + [piece]) > max_width:
                lines.append(current)
                current = [piece]
            else:
                current.append(piece)
    if current:
        lines.append(current)
    return [" ".join(line) for line in lines]


def balanced_wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """As few lines as `wrap` gives, but as even in length as possible (no lone last word)."""
    lines = wrap(text, font, max_width)
    if len(lines) < 2:
        return lines
    low, high = max_width / len(lines), max_width
    while high - low > 2:
        middle = (low + high) / 2
        if len(wrap(text, font, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return wrap(text, font, high)


def _needs_hyphen(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> bool:
    return any(_width(font, word) > max_width for word in text.split())


@dataclass(frozen=True)
class FittedText:
    lines: list[str]
    size: int


def fit_text(text: str, font_path: Path, max_width: float, max_lines: int, size: int, min_size: int,
             ellipsis: bool = True) -> FittedText:
    """The largest size from `size` down to `min_size` at which `text` fits in `max_lines` lines.

    Shrinking is preferred to hyphenating a long word; at `min_size` long words
    are hyphenated, and text that still needs more lines is cut with an ellipsis.
    """
    text = " ".join(text.split())
    for current in range(size, min_size - 1, -2):
        font = load_font(font_path, current)
        if _needs_hyphen(text, font, max_width):
            continue
        lines = balanced_wrap(text, font, max_width)
        if len(lines) <= max_lines:
            return FittedText(lines, current)
    font = load_font(font_path, min_size)
    lines = balanced_wrap(text, font, max_width)
    if len(lines) > max_lines and ellipsis:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _width(font, last + "…") > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip(" ,.;:-") + "…"
    return FittedText(lines, min_size)


# -- captions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptionPage:
    """What is on screen from `start` to `end` (seconds into the clip): at most two lines."""

    start: float
    end: float
    lines: tuple[str, ...]
    size: int


def clip_cues(cues: Sequence[Cue], start: float, end: float) -> list[Cue]:
    """Cues that fall in start..end, shifted to clip time, clipped to it and made not to overlap."""
    length = end - start
    shifted = []
    for cue_start, cue_end, text in sorted(cues, key=lambda c: (c[0], c[1])):
        a, b = max(0.0, cue_start - start), min(length, cue_end - start)
        if b - a >= 0.2 and text.strip():
            shifted.append((a, b, text))
    result = []
    for i, (a, b, text) in enumerate(shifted):
        if i + 1 < len(shifted):
            b = min(b, shifted[i + 1][0])
        if b > a:
            result.append((round(a, 3), round(b, 3), text))
    return result


def paginate(words: list[str], fits, max_pages: int = 12) -> list[list[str]] | None:
    """`words` cut into the fewest runs for which `fits(text)` holds; among those cuts, the one
    with runs of the most even length that ends runs after punctuation. None if none fits."""
    n = len(words)
    texts = {(i, j): " ".join(words[i:j]) for i in range(n) for j in range(i + 1, n + 1)}
    ok = {key: fits(text) for key, text in texts.items()}
    for pages in range(1, min(n, max_pages) + 1):
        average = sum(len(w) + 1 for w in words) / pages
        # best[k][j]: (cost, start of the last run) for words[:j] cut into k runs
        best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}] + [{} for _ in range(pages)]
        for k in range(1, pages + 1):
            for j in range(1, n + 1):
                for i, (cost, _) in best[k - 1].items():
                    if i < j and ok[(i, j)]:
                        length = len(texts[(i, j)])
                        step = ((length - average) / average) ** 2
                        step += 0.0 if j == n or words[j - 1][-1] in ",.;:!?" else 0.35
                        if j not in best[k] or cost + step < best[k][j][0]:
                            best[k][j] = (cost + step, i)
        if n in best[pages]:
            runs, j = [], n
            for k in range(pages, 0, -1):
                i = best[k][j][1]
                runs.append(words[i:j])
                j = i
            return runs[::-1]
    return None


def caption_pages(cues: Sequence[Cue], layout: Layout, max_lines: int = 2) -> list[CaptionPage]:
    """Lay clip-time cues out for one format: at most `max_lines` lines a page, big type.

    A cue that does not fit in two lines at a readable size (cues may be two
    42-character lines, too long for a phone-width line at this size) is
    shown as consecutive pages, each getting a share of the cue's time in
    proportion to its characters, which follows the speech closely.
    """
    width = layout.captions.w - 2 * _caption_padding(layout.caption_size)
    size = layout.caption_size
    font = load_font(BOLD_FONT, size)
    pages: list[CaptionPage] = []
    for start, end, text in cues:
        given = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if 0 < len(given) <= max_lines and all(_width(font, line) <= width for line in given):
            pages.append(CaptionPage(start, end, tuple(given), size))  # the captioner's own line breaks
            continue
        words = " ".join(given).split()
        # One page if it fits at up to 15% smaller type; otherwise as many pages as needed.
        single = fit_text(" ".join(words), BOLD_FONT, width, max_lines, size,
                          max(layout.caption_min, int(size * 0.85)), ellipsis=False)
        if len(single.lines) <= max_lines:
            pages.append(CaptionPage(start, end, tuple(single.lines), single.size))
            continue
        small = load_font(BOLD_FONT, max(layout.caption_min, int(size * 0.9)))
        runs = paginate(words, lambda run: len(wrap(run, small, width)) <= max_lines) or [[w] for w in words]
        total = sum(len(" ".join(run)) for run in runs)
        at = start
        for i, run in enumerate(runs):
            fitted = fit_text(" ".join(run), BOLD_FONT, width, max_lines, size, layout.caption_min)
            until = end if i == len(runs) - 1 else at + (end - start) * len(" ".join(run)) / total
            pages.append(CaptionPage(round(at, 3), round(until, 3), tuple(fitted.lines), fitted.size))
            at = until
    return pages


def _caption_padding(size: int) -> int:
    return round(size * 0.42)


def draw_caption(page: CaptionPage | None, layout: Layout) -> Image.Image:
    """One caption page as a transparent picture the size of the caption box."""
    box = layout.captions
    image = Image.new("RGBA", (box.w, box.h), (0, 0, 0, 0))
    if page is None:
        return image
    font = load_font(BOLD_FONT, page.size)
    pad = _caption_padding(page.size)
    line_height = round(page.size * 1.28)
    ascent, descent = font.getmetrics()
    widths = [_width(font, line) for line in page.lines]
    text_h = line_height * (len(page.lines) - 1) + ascent + descent
    panel_w = min(box.w, round(max(widths)) + 2 * pad)
    panel_h = min(box.h, text_h + round(pad * 1.3))
    x0 = (box.w - panel_w) // 2
    y0 = box.h - panel_h  # bottom-aligned: one-line pages sit where two-line pages end
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((x0, y0, x0 + panel_w - 1, box.h - 1), radius=round(page.size * 0.3),
                           fill=CAPTION_BOX)
    y = y0 + round(pad * 0.62)
    for line, w in zip(page.lines, widths):
        draw.text(((box.w - w) / 2, y), line, font=font, fill=WHITE,
                  stroke_width=max(1, page.size // 30), stroke_fill=(0, 0, 0, 255))
        y += line_height
    return image


# -- graphics ----------------------------------------------------------------------------------


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop `image` to fill `size`."""
    scale = max(size[0] / image.width, size[1] / image.height)
    resized = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                           Image.LANCZOS)
    left, top = (resized.width - size[0]) // 2, (resized.height - size[1]) // 2
    return resized.crop((left, top, left + size[0], top + size[1]))


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    ramp = np.linspace(0.0, 1.0, size[1])[:, None, None]
    rows = np.array(top)[None, None, :] * (1 - ramp) + np.array(bottom)[None, None, :] * ramp
    return Image.fromarray(np.repeat(rows, size[0], axis=1).astype(np.uint8), "RGB")


def _placeholder_art(size: int, show_title: str) -> Image.Image:
    """Artwork for a show without any: the show's initials on a brand gradient."""
    art = _gradient((size, size), (22, 64, 128), NAVY)
    draw = ImageDraw.Draw(art)
    initials = "".join(word[0] for word in re.findall(r"\w+", show_title)[:2]).upper() or "♪"
    font = load_font(BOLD_FONT, size // 3)
    w = _width(font, initials)
    draw.text(((size - w) / 2, size * 0.30), initials, font=font, fill=WHITE)
    draw.rectangle((size * 0.3, size * 0.72, size * 0.7, size * 0.72 + max(4, size // 60)), fill=ACCENT)
    return art


def draw_background(layout: Layout, title: str, show_title: str, artwork: Image.Image | None) -> Image.Image:
    """Everything that does not move: backdrop, artwork card, show name, title, progress track."""
    size = (layout.width, layout.height)
    if artwork is not None:
        # The show's own colours, blurred and darkened so white text reads on any artwork.
        # (Shrunk to a few pixels first: only its colour fields survive, no shapes behind the text.)
        backdrop = _cover(artwork, (max(4, layout.width // 60), max(4, layout.height // 60)))
        backdrop = backdrop.filter(ImageFilter.GaussianBlur(1.5)).resize(size, Image.BICUBIC)
        background = Image.blend(backdrop, _gradient(size, (10, 12, 20), (0, 0, 0)), 0.6)
    else:
        background = _gradient(size, (18, 52, 104), NAVY_DARK)
    canvas = background.convert("RGBA")
    draw = ImageDraw.Draw(canvas)

    art = layout.artwork
    card = _cover(artwork, (art.w, art.h)) if artwork is not None else _placeholder_art(art.w, show_title)
    spread = 48  # the shadow is blurred in a patch around the card only (a full-frame blur is slow)
    shadow = Image.new("RGBA", (art.w + 2 * spread, art.h + 2 * spread), (0, 0, 0, 0))
    ImageDraw.Draw(shadow).rounded_rectangle((spread, spread + 12, spread + art.w, spread + art.h + 12),
                                             radius=28, fill=(0, 0, 0, 150))
    canvas.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(18)), (art.x - spread, art.y - spread))
    mask = Image.new("L", (art.w, art.h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, art.w - 1, art.h - 1), radius=24, fill=255)
    canvas.paste(card, (art.x, art.y), mask)

    label = fit_text(show_title.upper(), BOLD_FONT, layout.label.w, 1, layout.label_size,
                     max(18, layout.label_size - 10))
    _draw_lines(draw, label, layout.label, BOLD_FONT, ACCENT, layout.title_align, spacing=1.0, valign="top")
    fitted = fit_text(title, BOLD_FONT, layout.title.w, layout.title_lines, layout.title_size, layout.title_min)
    _draw_lines(draw, fitted, layout.title, BOLD_FONT, WHITE, layout.title_align, spacing=1.18, valign="top")

    bar = layout.progress
    track = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(track).rounded_rectangle((bar.x, bar.y, bar.x + bar.w - 1, bar.y + bar.h - 1),
                                            radius=bar.h // 2, fill=(255, 255, 255, 70))
    canvas.alpha_composite(track)
    return canvas.convert("RGB")


def _draw_lines(draw: ImageDraw.ImageDraw, fitted: FittedText, box: Box, font_path: Path, fill, align: str,
                spacing: float, valign: str) -> None:
    font = load_font(font_path, fitted.size)
    line_height = round(fitted.size * spacing)
    ascent, descent = font.getmetrics()
    block = line_height * (len(fitted.lines) - 1) + ascent + descent
    y = box.y if valign == "top" else box.y + (box.h - block) / 2
    for line in fitted.lines:
        w = _width(font, line)
        x = box.x + (box.w - w) / 2 if align == "center" else box.x
        draw.text((x, y), line, font=font, fill=fill)
        y += line_height


def draw_wave_strips(levels: np.ndarray, layout: Layout) -> tuple[Image.Image, Image.Image]:
    """Two long strips of bars (played: bright, to come: dim) that a moving window scrolls through.

    Bar k stands for audio from k/10 s to (k+1)/10 s. The strip is padded with
    half a window on each side, so the window whose left edge is at
    x = t * 10 * BAR_PITCH has the bar for time t in its middle.
    """
    box = layout.wave
    half = box.w // 2
    width = box.w + len(levels) * BAR_PITCH + BAR_PITCH
    bright = Image.new("RGBA", (width, box.h), (0, 0, 0, 0))
    dim = Image.new("RGBA", (width, box.h), (0, 0, 0, 0))
    bar_w = BAR_PITCH * 7 // 12
    draw_bright, draw_dim = ImageDraw.Draw(bright), ImageDraw.Draw(dim)
    for k, level in enumerate(levels):
        height = max(bar_w, round(float(level) * box.h))
        x = half + k * BAR_PITCH + (BAR_PITCH - bar_w) // 2
        y = (box.h - height) // 2
        shape = (x, y, x + bar_w - 1, y + height - 1)
        draw_bright.rounded_rectangle(shape, radius=bar_w // 2, fill=(*WHITE, 255))
        draw_dim.rounded_rectangle(shape, radius=bar_w // 2, fill=(*WHITE, 80))
    return bright, dim


def draw_progress_strip(layout: Layout) -> Image.Image:
    """A strip twice the bar's length: the filled bar, then nothing. A window sliding left over
    it shows a bar that grows from 0 to full length, with a round head."""
    bar = layout.progress
    strip = Image.new("RGBA", (2 * bar.w, bar.h), (0, 0, 0, 0))
    ImageDraw.Draw(strip).rounded_rectangle((0, 0, bar.w - 1, bar.h - 1), radius=bar.h // 2, fill=(*ACCENT, 255))
    return strip


# -- audio -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipAudio:
    """The clip's audio at the target loudness, as raw float32 stereo PCM at RATE Hz."""

    path: Path
    duration: float
    gain_db: float
    limited: bool
    loudness: float  # LUFS
    true_peak: float  # dBTP


_METER = "clip"


def _metered(ffmpeg: FFmpeg, args: list[str]) -> tuple[float, float]:
    """Run ffmpeg with the `_METER` ebur128 meter in its chain; (integrated LUFS, true peak dBTP)."""
    log = MeterLog()
    run_ffmpeg(ffmpeg, ["-v", "info", *args], on_line=log.feed)
    summary = log.summary.get(_METER, {})
    if "I" not in summary or "Peak" not in summary:
        raise ProcessingError("no loudness measurement came out of ffmpeg for the clip")
    return summary["I"], summary["Peak"]


def prepare_audio(ffmpeg: FFmpeg, audio: Path, start: float, end: float, folder: Path,
                  stats: RenderStats | None = None, target_lufs: float = TARGET_LUFS,
                  ceiling_dbtp: float = CEILING_DBTP) -> ClipAudio:
    """Decode start..end of `audio` once and bring it to `target_lufs` (see the module doc)."""
    stats = stats if stats is not None else RenderStats()
    samples = round((end - start) * RATE)
    exact = f"atrim=end_sample={samples},apad=whole_len={samples}"
    decoded, final = folder / "decoded.f32", folder / "clip.f32"
    pcm_in = ["-f", "f32le", "-ar", str(RATE), "-ch_layout", "stereo"]
    began = time.monotonic()
    integrated, peak = _metered(ffmpeg, [
        "-ss", f"{start:.3f}", "-t", f"{end - start + 0.5:.3f}", "-i", str(audio), "-map", "0:a:0", "-vn",
        "-af", f"aresample={RATE},aformat=sample_fmts=flt:channel_layouts=stereo,{exact},{meter_filter(_METER)}",
        "-f", "f32le", str(decoded)])
    stats.source_decodes += 1
    stats.ffmpeg_runs += 1
    stats.seconds["decode"] = time.monotonic() - began

    began = time.monotonic()
    gain = target_lufs - integrated if integrated > -60 else 0.0  # silence stays silence
    limited = peak + gain > ceiling_dbtp - LIMITER_MARGIN_DB
    for _ in range(3):
        chain = [f"volume={gain:.3f}dB:precision=double"]
        if limited:
            chain += limiter_chain(ceiling_dbtp - LIMITER_MARGIN_DB, RATE)
        chain += [exact, meter_filter(_METER)]
        loudness, true_peak = _metered(ffmpeg, [*pcm_in, "-i", str(decoded), "-af", ",".join(chain),
                                                "-f", "f32le", "-c:a", "pcm_f32le", str(final)])
        stats.ffmpeg_runs += 1
        # Only the limiter can make the result miss; correct by the measured miss.
        if not limited or abs(loudness - target_lufs) <= LOUDNESS_TOLERANCE_LU or integrated <= -60:
            break
        gain += target_lufs - loudness
    stats.seconds["loudness"] = time.monotonic() - began
    decoded.unlink(missing_ok=True)
    return ClipAudio(final, samples / RATE, round(gain, 2), limited, loudness, true_peak)


def analyze_levels(pcm: Path, per_second: int = LEVELS_PER_SECOND) -> np.ndarray:
    """The waveform: RMS of each 1/per_second s of the (stereo float) clip audio, scaled 0..1."""
    data = np.fromfile(pcm, dtype="<f4")
    mono = data.reshape(-1, 2).mean(axis=1) if data.size else data
    window = RATE // per_second
    count = max(1, math.ceil(mono.size / window))
    padded = np.zeros(count * window, dtype=np.float32)
    padded[: mono.size] = mono
    rms = np.sqrt(np.mean(padded.reshape(count, window) ** 2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-6))
    level = np.clip((db + 48.0) / 36.0, 0.0, 1.0)  # -48 dBFS .. -12 dBFS -> 0 .. 1
    smooth = np.convolve(np.pad(level, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return np.maximum(smooth, 0.0) ** 1.3


# -- rendering ---------------------------------------------------------------------------------


def _write_png(image: Image.Image, path: Path) -> Path:
    image.save(path, compress_level=1)
    return path


def _write_caption_track(pages: list[CaptionPage], layout: Layout, duration: float, folder: Path) -> Path:
    """Caption pages as an ffconcat list of pictures, each lasting until the next change."""
    prefix = f"{layout.name}-caption"
    blank = _write_png(draw_caption(None, layout), folder / f"{prefix}-blank.png")
    entries: list[tuple[str, float]] = []
    at = 0.0
    for i, page in enumerate(pages):
        if page.start > at + 0.001:
            entries.append((blank.name, page.start - at))
        image = _write_png(draw_caption(page, layout), folder / f"{prefix}-{i:04d}.png")
        entries.append((image.name, page.end - page.start))
        at = page.end
    entries.append((blank.name, max(0.04, duration - at) + 1.0))
    entries.append((blank.name, 1.0))  # the last entry's duration is not used by the demuxer
    lines = ["ffconcat version 1.0"]
    for name, seconds in entries:
        lines += [f"file '{name}'", f"duration {seconds:.4f}"]
    track = folder / f"{prefix}s.ffconcat"
    track.write_text("\n".join(lines) + "\n")
    return track


def _to_yuv(alpha: bool) -> str:
    return f"scale=out_color_matrix=bt709:out_range=tv,format={'yuva420p' if alpha else 'yuv420p'}"


def _loop(frames: int) -> str:
    # Integer timestamps: N/30/TB in floating point lands just below some frames' slots.
    return f"loop=loop=-1:size=1,settb=1/{FPS},setpts=N,trim=end_frame={frames}"


def _format_graph(layout: Layout, inputs: dict[str, int], frames: int, out: str) -> str:
    """The filter graph for one format: background + scrolling bars + progress + captions."""
    i, n = inputs, layout.name
    wave, bar, cap = layout.wave, layout.progress, layout.captions
    half = wave.w // 2
    step = BAR_PITCH * LEVELS_PER_SECOND // FPS
    last = max(1, frames - 1)
    return ";".join([
        f"[{i['background']}:v]{_to_yuv(False)},{_loop(frames)}[{n}bg]",
        f"[{i['bright']}:v]{_loop(frames)},crop=w={half}:h={wave.h}:x='n*{step}':y=0,{_to_yuv(True)}[{n}wb]",
        f"[{i['dim']}:v]{_loop(frames)},crop=w={wave.w - half}:h={wave.h}:x='n*{step}+{half}':y=0,{_to_yuv(True)}[{n}wd]",
        f"[{i['progress']}:v]{_loop(frames)},crop=w={bar.w}:h={bar.h}:x='{bar.w}-floor({bar.w}*min(n,{last})/{last})':y=0,"
        f"{_to_yuv(True)}[{n}pg]",
        f"[{i['captions']}:v]{_to_yuv(True)}[{n}cp]",
        f"[{n}bg][{n}wb]overlay=x={wave.x}:y={wave.y}:shortest=1[{n}1]",
        f"[{n}1][{n}wd]overlay=x={wave.x + half}:y={wave.y}:shortest=1[{n}2]",
        f"[{n}2][{n}pg]overlay=x={bar.x}:y={bar.y}:shortest=1[{n}3]",
        f"[{n}3][{n}cp]overlay=x={cap.x}:y={cap.y}:eof_action=repeat,setsar=1[{out}]",
    ])


def render_clip(
    ffmpeg: FFmpeg,
    audio: Path,
    start: float,
    end: float,
    title: str,
    show_title: str,
    cues: Sequence[Cue],
    artwork: Path | None,
    outputs: dict[str, Path],
    progress: Progress | None = None,
) -> list[ClipResult]:
    """Render start..end of `audio` in each format named in `outputs` ({"vertical": path, ...}).

    `cues` are in episode time (they are shifted and clipped here). Every
    output is written atomically; on any error nothing is left behind.
    BadInput for an unknown format or a bad range.
    """
    unknown = sorted(set(outputs) - set(FORMATS))
    if unknown or not outputs:
        raise BadInput(f"unknown clip format {', '.join(unknown) or '(none)'} (known: {', '.join(FORMATS)})")
    validate_range(start, end, probe(audio).duration)
    art = _open_artwork(artwork)
    stats = RenderStats()
    layouts = [FORMATS[name] for name in outputs]
    frames = round((end - start) * FPS)
    with tempfile.TemporaryDirectory(prefix="studio-clip-") as scratch:
        folder = Path(scratch)
        clip_audio = prepare_audio(ffmpeg, audio, start, end, folder, stats)

        began = time.monotonic()
        levels = analyze_levels(clip_audio.path)
        stats.waveform_analyses += 1
        stats.seconds["waveform"] = time.monotonic() - began

        began = time.monotonic()
        shifted = clip_cues(cues, start, end)
        args = ["-filter_complex_threads", "1",
                "-f", "f32le", "-ar", str(RATE), "-ch_layout", "stereo", "-i", str(clip_audio.path)]
        graphs, index = [], 1
        for layout in layouts:
            bright, dim = draw_wave_strips(levels, layout)
            files = {
                "background": _write_png(draw_background(layout, title, show_title, art), folder / f"{layout.name}-bg.png"),
                "bright": _write_png(bright, folder / f"{layout.name}-wave-bright.png"),
                "dim": _write_png(dim, folder / f"{layout.name}-wave-dim.png"),
                "progress": _write_png(draw_progress_strip(layout), folder / f"{layout.name}-progress.png"),
            }
            inputs = {}
            for key, path in files.items():
                args += ["-framerate", str(FPS), "-i", str(path)]
                inputs[key] = index
                index += 1
            track = _write_caption_track(caption_pages(shifted, layout), layout, end - start, folder)
            args += ["-f", "concat", "-i", str(track)]
            inputs["captions"] = index
            index += 1
            graphs.append(_format_graph(layout, inputs, frames, f"v{layout.name}"))
        stats.seconds["graphics"] = time.monotonic() - began

        began = time.monotonic()
        with contextlib.ExitStack() as stack:  # all outputs are committed, or none is left behind
            temps = [stack.enter_context(atomic_path(outputs[layout.name])) for layout in layouts]
            for graph in graphs:  # one graph per format: each runs in its own thread
                args += ["-filter_complex", graph]
            for layout, temp in zip(layouts, temps):
                args += ["-map", f"[v{layout.name}]", "-map", "0:a", *VIDEO_ARGS, "-frames:v", str(frames),
                         *AUDIO_ARGS, "-movflags", "+faststart", "-f", "mp4", str(temp)]
            run_ffmpeg(ffmpeg, args, progress)
            stats.ffmpeg_runs += 1
        stats.seconds["encode"] = time.monotonic() - began

    return [
        ClipResult(layout.name, outputs[layout.name], layout.width, layout.height, start, frames / FPS,
                   clip_audio.loudness, clip_audio.true_peak, clip_audio.gain_db, clip_audio.limited, stats)
        for layout in layouts
    ]


def _open_artwork(artwork: Path | None) -> Image.Image | None:
    if artwork is None:
        return None
    try:
        with Image.open(artwork) as image:
            return image.convert("RGB")
    except (OSError, ValueError) as exc:
        raise BadInput(f"{artwork.name}: not a readable picture for the clip artwork ({exc})") from None
