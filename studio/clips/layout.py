"""Where everything goes in each clip format, and the clip's frame and sample rates and colours.

Formats: vertical 1080x1920, square 1080x1080, landscape 1920x1080. Text boxes lie inside each platform's
safe area.
"""

from __future__ import annotations

from dataclasses import dataclass

FPS = 30
RATE = 48000  # Hz of the clip's audio
LEVELS_PER_SECOND = 10  # waveform bars per second of audio
BAR_PITCH = 12  # px per bar; 12 * 10 / 30 = 4 px of scroll per frame (a whole number: no jitter)

NAVY = (10, 28, 58)
NAVY_DARK = (5, 14, 32)
ACCENT = (255, 194, 14)  # a warm yellow for the show name and the progress bar
WHITE = (255, 255, 255)
CAPTION_BOX = (8, 10, 18, 228)  # near-black: reads on any artwork colour


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
