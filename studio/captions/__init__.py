"""Captions: cues built from word timings by DESIGN.md's rules (cues), and their file formats (formats).

Knows no episode: the files an episode keeps are studio.workspace.transcript's."""

from .cues import CaptionError, CaptionRules, Cue, build_cues
from .formats import parse_vtt, render_json, render_srt, render_text, render_vtt

__all__ = ["CaptionError", "CaptionRules", "Cue", "build_cues", "parse_vtt", "render_json", "render_srt",
           "render_text", "render_vtt"]
