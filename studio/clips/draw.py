"""The pictures of a clip, drawn with Pillow: the still background (artwork, show and episode titles),
caption pages, the waveform strips and the progress strip."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..data import BOLD_FONT
from .layout import ACCENT, BAR_PITCH, CAPTION_BOX, NAVY, NAVY_DARK, WHITE, Box, Layout
from .typeset import CaptionPage, FittedText, caption_padding, fit_text, load_font, text_width


def draw_caption(page: CaptionPage | None, layout: Layout) -> Image.Image:
    """One caption page as a transparent picture the size of the caption box."""
    box = layout.captions
    image = Image.new("RGBA", (box.w, box.h), (0, 0, 0, 0))
    if page is None:
        return image
    font = load_font(BOLD_FONT, page.size)
    pad = caption_padding(page.size)
    line_height = round(page.size * 1.28)
    ascent, descent = font.getmetrics()
    widths = [text_width(font, line) for line in page.lines]
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
    w = text_width(font, initials)
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
        w = text_width(font, line)
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
