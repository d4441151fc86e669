"""Caption cues from word timestamps, the caption files, and the producer's corrections.

Cues follow DESIGN.md: at most 42 characters a line and 2 lines a cue, 1 to 7 seconds on
screen, at most 20 characters a second, no overlaps, lines broken at phrase boundaries.
Words are grouped into cues by a shortest-path search over the possible cue boundaries,
so a cue ends where the sentence or phrase ends whenever the limits allow it.

transcript.vtt is the file a producer corrects. write_transcript_files() remembers the
sha256 of each VTT it wrote in .transcript-state.json; a VTT on disk with another hash is
the producer's edit, which is kept as it is and flows into the SRT, JSON and text files.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..fsutil import commit, no_space_is_resource_error, temp_path_for, write_text
from ..text.sentences import ends_sentence
from ..transcribe.model import Transcript

VTT_NAME = "transcript.vtt"
SRT_NAME = "transcript.srt"
JSON_NAME = "transcript.json"
TXT_NAME = "transcript.txt"
STATE_NAME = ".transcript-state.json"

# A line may break before these words, and should not end with them.
PHRASE_STARTERS = frozenset(
    """dan atau yang di ke dari untuk dengan pada karena tetapi tapi namun serta maupun
    bahwa agar supaya sehingga ketika saat jika kalau bila walaupun meskipun sebab oleh
    bagi tentang kepada dalam antara hingga sampai sejak seperti sebagai""".split()
)
_CLAUSE_END = re.compile(r"[,;:–—][\"'”)\]]*$")


class CaptionError(BadInput):
    """A caption file that cannot be read (a producer's typo): one line naming the file and line, exit 2."""


@dataclass(frozen=True)
class CaptionRules:
    max_line_chars: int = 42
    max_lines: int = 2
    min_duration: float = 1.0
    max_duration: float = 7.0
    max_cps: float = 20.0
    # A cue may appear this much before its first word, or after it, when the extra time
    # keeps a cue within the reading speed.
    max_lead: float = 0.5
    max_lag: float = 0.5


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    speaker: str | None = None
    spoken: str | None = None  # the cue's words as said, where text normalization rewrote some ("2024")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def body(self) -> str:
        return " ".join(line.strip() for line in self.lines if line.strip())

    @property
    def chars(self) -> int:
        return len(self.body)


# ---------------------------------------------------------------------------
# Building cues


@dataclass
class _Token:
    start: int  # milliseconds
    end: int
    text: str
    spoken: str


def _tokens(transcript: Transcript, max_chars: int) -> list[_Token]:
    tokens: list[_Token] = []
    for w in transcript.words:
        text = " ".join(w.word.split()).replace("-->", "->")  # "-->" would end a VTT cue's text
        if not text:
            continue
        spoken = " ".join((w.spoken or w.word).split())
        start = int(round(w.start * 1000))
        end = int(round(w.end * 1000))
        if tokens and not any(ch.isalnum() for ch in text):
            # Stray punctuation belongs to the word before it.
            tokens[-1].text += text
            tokens[-1].spoken += spoken
            tokens[-1].end = max(tokens[-1].end, end)
            continue
        if tokens:
            start = max(start, tokens[-1].end)
        end = max(end, start)
        # A word longer than a line (a URL, say) is cut into line-sized pieces.
        pieces = [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
        for k, piece in enumerate(pieces):
            a = start + (end - start) * k // len(pieces)
            b = start + (end - start) * (k + 1) // len(pieces)
            said = piece if w.spoken is None else spoken if k == 0 else ""
            tokens.append(_Token(a, b, piece, said))
    return tokens


def _bare(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def _boundary_cost(before: str, after: str, gap_ms: int) -> float:
    """How bad it is to break a line or a cue between two words (0 = natural)."""
    if ends_sentence(before):
        cost = 0.0
    elif _CLAUSE_END.search(before):
        cost = 1.0
    elif _bare(after) in PHRASE_STARTERS:
        cost = 2.0
    else:
        cost = 5.0
    if _bare(before) in PHRASE_STARTERS and not _CLAUSE_END.search(before):
        cost += 6.0  # a line ending in "dan", "di", "yang"...
    if gap_ms >= 500:
        cost = min(cost, 0.5)
    return cost


def _best_break(lens: list[int], costs: list[float], rules: CaptionRules) -> tuple[float, int] | None:
    """Cheapest line split of a cue's words as (cost, words on the first line).

    lens are the words' lengths, costs[k] the cost of breaking after word k. 0 words on
    the first line means the cue is one line; None means the words do not fit.
    """
    total = sum(lens) + len(lens) - 1
    if total <= rules.max_line_chars:
        return 0.0, 0
    if rules.max_lines < 2:
        return None
    best = None
    top = -1
    for k in range(1, len(lens)):
        top += lens[k - 1] + 1
        bottom = total - top - 1
        if top > rules.max_line_chars:
            break
        if bottom > rules.max_line_chars:
            continue
        cost = costs[k - 1]
        if len(lens) > 2 and (k == 1 or k == len(lens) - 1):
            cost += 8.0  # a lone word on a line
        cost += 2.0 * abs(top - bottom) / rules.max_line_chars
        if best is None or cost < best[0]:
            best = (cost, k)
    return best


def _need_ms(chars: int, rules: CaptionRules) -> int:
    return max(int(rules.min_duration * 1000), math.ceil(chars * 1000 / rules.max_cps))


def _segment(
    tokens: list[_Token], end_limit: int, rules: CaptionRules, use_lag: bool
) -> list[tuple[int, int, list[str]]]:
    """Group tokens into cues: (first token, end token exclusive, lines), least total cost.

    With use_lag, a cue may count on the next one starting up to max_lag late; that finds
    readable cues for fast speech, but it can promise the same lag twice in a row, so the
    caller also tries without it.
    """
    n = len(tokens)
    max_ms = int(rules.max_duration * 1000)
    lag = int(rules.max_lag * 1000) if use_lag else 0
    max_chars = rules.max_line_chars * rules.max_lines
    lens = [len(t.text) for t in tokens]
    gaps = [tokens[k + 1].start - tokens[k].end for k in range(n - 1)] + [0]
    breaks = [_boundary_cost(tokens[k].text, tokens[k + 1].text, gaps[k]) for k in range(n - 1)] + [0.0]
    sentence_end = [ends_sentence(t.text) for t in tokens]
    best = [math.inf] * (n + 1)
    back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == math.inf:
            continue
        chars = -1
        inner_sentences = 0
        long_gaps = 0
        for j in range(i, n):
            chars += lens[j] + 1
            span = tokens[j].end - tokens[i].start
            if j > i:
                if chars > max_chars or span > max_ms or gaps[j - 1] > 2000:
                    break
                inner_sentences += sentence_end[j - 1]
                long_gaps += gaps[j - 1] > 1000
            layout = _best_break(lens[i : j + 1], breaks[i:j], rules)
            if layout is None:
                continue
            limit = tokens[j + 1].start if j + 1 < n else max(end_limit, tokens[j].end)
            room = min(limit, tokens[i].start + max_ms) - tokens[i].start
            cost = 1.0 + layout[0]
            # Time on screen a cue needs that even the silence after it cannot give.
            # Up to max_lag of it may come from starting the next cue late (see _time_cues).
            short = max(_need_ms(chars, rules), span) - room
            if short > lag:
                cost += 50.0 + short / 10.0
            elif short > 0:
                cost += short / 100.0
            if j + 1 < n:
                cost += 1.5 * breaks[j]  # ending a cue mid-phrase is worse than breaking a line there
            # A sentence should start a new cue rather than the second line of one.
            cost += 3.0 * inner_sentences
            if j == i and n > 1:
                cost += 6.0  # a lone word as a whole cue
            cost += 0.5 * long_gaps
            if best[i] + cost < best[j + 1]:
                best[j + 1] = best[i] + cost
                back[j + 1] = (i, layout[1])
    cues = []
    k = n
    while k > 0:
        i, split = back[k]
        words = [t.text for t in tokens[i:k]]
        lines = [" ".join(words)] if split == 0 else [" ".join(words[:split]), " ".join(words[split:])]
        cues.append((i, k, lines))
        k = i
    return cues[::-1]


def _time_cues(spans: list[tuple[int, int, int]], end_limit: int, rules: CaptionRules) -> list[tuple[int, int]]:
    """Screen times (ms) for cues given (speech start, speech end, chars) each.

    A cue starts with its first word, or up to max_lead earlier or max_lag later when that
    gives a cue before it, or itself, the time its text needs; it ends when its text has
    been on screen long enough, at the latest when the next cue starts.
    """
    n = len(spans)
    max_ms = int(rules.max_duration * 1000)
    lead, lag = int(rules.max_lead * 1000), int(rules.max_lag * 1000)
    need = [min(max_ms, max(_need_ms(c, rules), e - s)) for s, e, c in spans]
    last_limit = max(end_limit, spans[-1][1], spans[-1][0] + need[-1])
    lo = [max(0, s - lead) for s, _, _ in spans]
    hi = [max(s + lag, lo[k]) for k, (s, _, _) in enumerate(spans)]
    # Latest start of each cue that still leaves every later cue its time.
    latest = [0] * n
    bound = last_limit - need[-1]
    for k in range(n - 1, -1, -1):
        latest[k] = min(hi[k], bound)
        bound = latest[k] - (need[k - 1] if k else 0)
    starts = []
    for k, (s, _, _) in enumerate(spans):
        earliest = lo[k] if k == 0 else max(lo[k], starts[-1] + need[k - 1])
        if earliest <= latest[k]:
            start = min(max(s, earliest), latest[k])
        else:  # not enough time around here: keep the cue before readable, within the lag
            start = max(lo[k], min(earliest, hi[k]))
        starts.append(start)
    times = []
    for k, (s, e, _) in enumerate(spans):
        limit = starts[k + 1] if k + 1 < n else last_limit
        end = min(max(e, starts[k] + need[k]), starts[k] + max_ms, limit)
        times.append((starts[k], max(end, starts[k])))
    return times


def _violations(times: list[tuple[int, int]], spans: list[tuple[int, int, int]], rules: CaptionRules) -> tuple:
    min_ms = int(rules.min_duration * 1000)
    short = [(b - a, c) for (a, b), (_, _, c) in zip(times, spans)]
    too_short = sum(1 for d, _ in short if d < min_ms)
    too_fast = sum(1 for d, c in short if c * 1000 > rules.max_cps * max(d, 1))
    excess = sum(max(0, _need_ms(c, rules) - d) for d, c in short)
    return too_short, too_fast, excess


def build_cues(transcript: Transcript, rules: CaptionRules = CaptionRules()) -> list[Cue]:
    """Caption cues from a transcript's word timestamps."""
    tokens = _tokens(transcript, rules.max_line_chars)
    if not tokens:
        return []
    end_limit = int(round(transcript.duration * 1000))
    # Runs of speech between long pauses are captioned independently.
    cuts = [0] + [k for k in range(1, len(tokens)) if tokens[k].start - tokens[k - 1].end > 2000] + [len(tokens)]
    groups: list[tuple[int, int, list[str]]] = []
    for first, stop in zip(cuts, cuts[1:]):
        block = tokens[first:stop]
        limit = tokens[stop].start - int(rules.max_lead * 1000) if stop < len(tokens) else end_limit
        best = None
        for use_lag in (True, False):
            found = _segment(block, limit, rules, use_lag)
            spans = [(block[i].start, block[j - 1].end, len(" ".join(lines))) for i, j, lines in found]
            score = _violations(_time_cues(spans, limit, rules), spans, rules)
            if best is None or score < best[0]:
                best = (score, found)
            if not any(score):
                break
        groups += [(first + i, first + j, lines) for i, j, lines in best[1]]
    spans = [(tokens[i].start, tokens[j - 1].end, len(" ".join(lines))) for i, j, lines in groups]
    times = _time_cues(spans, end_limit, rules)
    cues = []
    for (a, b), (i, j, lines) in zip(times, groups):
        said = [t for t in tokens[i:j] if t.spoken != t.text]
        spoken = " ".join(t.spoken for t in tokens[i:j] if t.spoken) if said else None
        cues.append(Cue(a / 1000, b / 1000, lines, spoken=spoken))
    return cues


# ---------------------------------------------------------------------------
# Writing


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


def write_atomic(path: Path, text: str) -> bool:
    """Write text atomically (studio.fsutil); False, and nothing written, when the file already had it."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == text.encode("utf-8"):
            return False
    write_text(path, text)
    return True


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


def parse_vtt(text: str, name: str = VTT_NAME) -> list[Cue]:
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


# ---------------------------------------------------------------------------
# The transcript files of an episode


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def _read_state(out_dir: Path) -> dict | None:
    """The transcript state; None when the file is missing or unreadable."""
    try:
        state = json.loads((out_dir / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _written_vtts(state: dict | None) -> list[str]:
    """The sha256 of each VTT Studio wrote, oldest first."""
    hashes = (state or {}).get("written_vtt_sha256")
    return [h for h in hashes if isinstance(h, str)] if isinstance(hashes, list) else []


def _save_written_vtts(out_dir: Path, written: list[str]) -> None:
    write_atomic(out_dir / STATE_NAME, json.dumps({"written_vtt_sha256": written[-8:]}, indent=1) + "\n")


def transcript_edited(out_dir: Path) -> bool:
    """Whether transcript.vtt holds text that Studio did not write (the producer's edit)."""
    digest = _file_sha256(Path(out_dir) / VTT_NAME)
    return digest is not None and digest not in _written_vtts(_read_state(Path(out_dir)))


def _replace_unless_changed(path: Path, data: bytes, seen: str | None) -> bool:
    """Write `data` to `path` unless the file no longer has the sha256 `seen` (None: no file); False then.

    A compare-and-swap: the file is hashed again right before the rename, so a
    producer's save made while this run was working is kept, not overwritten.
    """
    with no_space_is_resource_error(path.parent):
        temp = temp_path_for(path)
        try:
            with open(temp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # before the check, to keep the check-to-rename window short
            if _file_sha256(path) != seen:
                return False
            commit(temp, path)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def write_transcript_files(
    out_dir: Path,
    transcript: Transcript,
    rules: CaptionRules = CaptionRules(),
    discard_edits: bool = False,
) -> dict[str, Path]:
    """Write transcript.vtt/.srt/.json/.txt; a producer's edit of the VTT wins over the transcript.

    Call it on every processing run. When transcript.vtt differs from every VTT this function
    wrote (or exists with no record of it), it is the producer's correction: it is left as it
    is and the other three files are made from it. Files whose content would not change are
    not rewritten. discard_edits=True replaces an edited VTT with the transcript's captions.

    A producer's save that lands while this runs is never overwritten (see
    _replace_unless_changed). When the record of Studio's VTTs is lost, a VTT
    byte-identical to what Studio writes now is taken back as Studio's; any other
    VTT stays the producer's.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "vtt": out_dir / VTT_NAME,
        "srt": out_dir / SRT_NAME,
        "json": out_dir / JSON_NAME,
        "txt": out_dir / TXT_NAME,
    }
    state = _read_state(out_dir)
    written = _written_vtts(state)
    seen = _file_sha256(paths["vtt"])  # the VTT as this run found it
    machine_cues = None
    if state is None and seen is not None:
        machine_cues = build_cues(transcript, rules)
        if _sha256(render_vtt(machine_cues).encode("utf-8")) == seen:
            written = [seen]
            _save_written_vtts(out_dir, written)
    edited = seen is not None and seen not in written and not discard_edits
    if not edited:
        cues = machine_cues if machine_cues is not None else build_cues(transcript, rules)
        vtt = render_vtt(cues).encode("utf-8")
        digest = _sha256(vtt)
        if digest not in written:
            # Record the hash before writing, so that a crash in between never makes
            # Studio's own VTT look like a producer's edit.
            written.append(digest)
            _save_written_vtts(out_dir, written)
        if digest != seen and not _replace_unless_changed(paths["vtt"], vtt, seen):
            edited = True  # the producer saved the VTT while this run worked: theirs wins
    if edited:
        cues = parse_vtt(paths["vtt"].read_text(encoding="utf-8-sig", errors="replace"), str(paths["vtt"]))
    write_atomic(paths["srt"], render_srt(cues))
    write_atomic(paths["json"], render_json(cues))
    write_atomic(paths["txt"], render_text(cues))
    return paths


def read_cues(out_dir: Path) -> list[Cue]:
    """The episode's current cues, with the producer's corrections (from transcript.vtt)."""
    vtt = Path(out_dir) / VTT_NAME
    return parse_vtt(vtt.read_text(encoding="utf-8-sig", errors="replace"), str(vtt))


def transcript_text(out_dir: Path) -> str:
    """The episode's current transcript as plain text paragraphs."""
    return render_text(read_cues(out_dir))
