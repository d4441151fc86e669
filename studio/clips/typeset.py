"""Text on a clip: the shipped fonts, lines wrapped and fitted to a box, captions cut into pages.

Everything is measured with the fonts in studio/data/fonts, so the output never depends on the machine's
fonts."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from PIL import ImageFont

from ..data import BOLD_FONT
from ..text.highlights import Cue
from .layout import Layout


@functools.lru_cache(maxsize=128)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """A shipped font at `size` px (memoised: fitting text tries many sizes)."""
    return ImageFont.truetype(str(path), size)


@functools.lru_cache(maxsize=65536)
def text_width(font: ImageFont.FreeTypeFont, text: str) -> float:
    return font.getlength(text)


def _line_width(font: ImageFont.FreeTypeFont, words: list[str]) -> float:
    # Word by word (memoised): wrapping measures the same words again and again.
    return sum(text_width(font, word) for word in words) + text_width(font, " ") * max(0, len(words) - 1)


def _split_word(word: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """A word wider than a line, cut into hyphenated pieces that fit."""
    if text_width(font, word) <= max_width:
        return [word]
    pieces, rest = [], word
    while text_width(font, rest) > max_width:
        cut = len(rest) - 1
        while cut > 1 and text_width(font, rest[:cut] + "-") > max_width:
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
    return any(text_width(font, word) > max_width for word in text.split())


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
        while last and text_width(font, last + "…") > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip(" ,.;:-") + "…"
    return FittedText(lines, min_size)


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
    width = layout.captions.w - 2 * caption_padding(layout.caption_size)
    size = layout.caption_size
    font = load_font(BOLD_FONT, size)
    pages: list[CaptionPage] = []
    for start, end, text in cues:
        given = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if 0 < len(given) <= max_lines and all(text_width(font, line) <= width for line in given):
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


def caption_padding(size: int) -> int:
    return round(size * 0.42)
