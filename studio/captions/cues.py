"""Caption cues from word timestamps.

Cues follow DESIGN.md: at most 42 characters a line and 2 lines a cue, 1 to 7 seconds on
screen, at most 20 characters a second, no overlaps, lines broken at phrase boundaries.
Words are grouped into cues by a shortest-path search over the possible cue boundaries,
so a cue ends where the sentence or phrase ends whenever the limits allow it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from ..errors import BadInput
from ..text.sentences import ends_sentence
from ..transcribe.model import Transcript

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
    speaker: str | None = None


SpeakerOf = Callable[[float, float], "str | None"]  # a word's speaker from its start and end (seconds)


def _tokens(transcript: Transcript, max_chars: int, speaker_of: SpeakerOf | None = None) -> list[_Token]:
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
            tokens.append(_Token(a, b, piece, said, speaker_of(w.start, w.end) if speaker_of else None))
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


def build_cues(transcript: Transcript, rules: CaptionRules = CaptionRules(),
               speaker_of: SpeakerOf | None = None) -> list[Cue]:
    """Caption cues from a transcript's word timestamps. With `speaker_of`, each word gets a speaker, a cue
    never holds two speakers' words (they are cut where the speaker changes) and carries its speaker."""
    tokens = _tokens(transcript, rules.max_line_chars, speaker_of)
    if not tokens:
        return []
    end_limit = int(round(transcript.duration * 1000))
    # Runs of speech between long pauses are captioned independently.
    # Runs of one speaker's speech are too.
    cuts = [0] + [k for k in range(1, len(tokens))
                  if tokens[k].start - tokens[k - 1].end > 2000 or tokens[k].speaker != tokens[k - 1].speaker]
    cuts += [len(tokens)]
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
        cues.append(Cue(a / 1000, b / 1000, lines, speaker=tokens[i].speaker, spoken=spoken))
    return cues
