"""Clips: a highlight of an episode as captioned MP4s (vertical, square, landscape) for social media and
videotron screens: layout (where things go), typeset (fonts, wrapping, caption pages), draw (the
pictures), audio (the clip's sound at the show's loudness) and render (one ffmpeg encodes every format).

Knows no episode: the pipeline's clips stage picks the highlights and names the files.
"""

from .layout import FORMATS
from .render import RENDER_VERSION, ClipResult, make_poster, render_clip

__all__ = ["FORMATS", "RENDER_VERSION", "ClipResult", "make_poster", "render_clip"]
