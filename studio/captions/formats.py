"""The caption file formats: WebVTT (written and, leniently, read back), SRT, the Podcasting 2.0 JSON
transcript and plain text."""

from __future__ import annotations

import html
import json
import re

from ..text.sentences import ends_sentence
from .cues import CaptionError, Cue


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(cues: list[Cue]) -> str:
    out = ["WEBVTT", ""]
    for i, cue in enumerate(cues, 1):
        out.append(str(i))
        out.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}")
        lines = [_vtt_escape(line) for line in cue.lines]
        if cue.speaker and lines:
            lines[0] = f"<v {_vtt_escape(cue.speaker)}>{lines[0]}"
        out.extend(lines)
        out.append("")
    return "\n".join(out)


def render_srt(cues: list[Cue]) -> str:
    out = []
    for i, cue in enumerate(cues, 1):
        out.append(str(i))
        out.append(f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}")
        lines = list(cue.lines)
        if cue.speaker and lines:
            lines[0] = f"{cue.speaker}: {lines[0]}"
        out.extend(lines)
        out.append("")
    return "\n".join(out)


def render_json(cues: list[Cue]) -> str:
    """Podcasting 2.0 JSON transcript."""
    segments = []
    for cue in cues:
        segment = {"startTime": round(cue.start, 3), "endTime": round(cue.end, 3), "body": cue.body}
        if cue.speaker:
            segment["speaker"] = cue.speaker
        if cue.spoken and cue.spoken != cue.body:
            segment["spoken"] = cue.spoken  # for search: "dua ribu dua puluh empat" finds "2024"
        segments.append(segment)
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=1) + "\n"


def render_text(cues: list[Cue], pause: float = 2.0, paragraph_chars: int = 600) -> str:
    """Plain text in paragraphs: a new one after a long pause, or a long paragraph's sentence end."""
    paragraphs: list[list[str]] = []
    last_end = None
    last_speaker = None
    for cue in cues:
        body = cue.body
        if not body:
            continue
        current = paragraphs[-1] if paragraphs else None
        new = (
            current is None
            or cue.start - last_end >= pause
            or (cue.speaker or last_speaker) and cue.speaker != last_speaker
            or (len(" ".join(current)) >= paragraph_chars and ends_sentence(current[-1]))
        )
        if new:
            paragraphs.append([f"{cue.speaker}: {body}" if cue.speaker else body])
        else:
            current.append(body)
        last_end, last_speaker = cue.end, cue.speaker
    return "".join(" ".join(p) + "\n\n" for p in paragraphs).rstrip("\n") + ("\n" if paragraphs else "")


# ---------------------------------------------------------------------------
# Reading WebVTT (hand-edited, so be lenient)

_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
_TIMING_RE = re.compile(rf"^\s*({_TIME})\s*-+->\s*({_TIME})(?:\s+.*)?$")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>|<\d[^>]*>")


def _parse_time(value: str) -> float:
    fields = value.replace(",", ".").split(":")
    seconds = float(fields[-1])
    minutes = int(fields[-2])
    hours = int(fields[-3]) if len(fields) == 3 else 0
    return round(hours * 3600 + minutes * 60 + seconds, 3)


def parse_vtt(text: str, name: str = "VTT") -> list[Cue]:
    """Cues of a WebVTT file; also takes SRT-style commas, missing hours, stray blank lines."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Cue] = []
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if not block:
            return
        first = block[0][1].strip()
        if first.startswith("WEBVTT") or re.match(r"^(NOTE|STYLE|REGION)\b", first):
            return
        timing_at = next((k for k, (_, line) in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None:
            # Text cut off its cue by a blank line the producer typed: it belongs to that cue.
            if cues:
                cues[-1].lines.extend(line.strip() for _, line in block if line.strip())
            return
        number, timing = block[timing_at]
        match = _TIMING_RE.match(timing)
        if not match:
            raise CaptionError(f"{name}:{number}: cannot read cue timing {timing.strip()!r}")
        start, end = _parse_time(match.group(1)), _parse_time(match.group(2))
        body = [line for _, line in block[timing_at + 1 :]]
        speaker = None
        clean = []
        for line in body:
            if "<" in line or "&" in line:  # most lines have no tags or entities: skip the regexes
                voice = _VOICE_RE.search(line)
                if voice and speaker is None:
                    speaker = voice.group(1).strip() or None
                line = html.unescape(_TAG_RE.sub("", line))
            line = line.strip()
            if line:
                clean.append(" ".join(line.split()))
        cues.append(Cue(start, max(start, end), clean, speaker))

    for number, line in enumerate(lines, 1):
        if line.strip():
            block.append((number, line))
        else:
            flush()
            block = []
    flush()
    cues = [c for c in cues if c.lines]
    cues.sort(key=lambda c: (c.start, c.end))
    return cues
