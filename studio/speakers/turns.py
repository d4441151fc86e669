"""From labelled windows to speaker turns: change points between windows, short flips removed, a speaker's
consecutive stretches joined across short pauses."""

from __future__ import annotations

from dataclasses import dataclass

MIN_TURN_S = 1.0  # a shorter stretch between two of another speaker's (or at the edge of one) is theirs
BRIDGE_S = 1.5  # one speaker's stretches this close are one turn (the pause is part of it)


@dataclass
class Piece:
    start: float
    end: float
    label: int


def segment_pieces(start: float, end: float, centres: list[float], labels: list[int]) -> list[Piece]:
    """One speech segment [start, end] split where its windows' labels change (at the midpoint of the two
    windows' centres). `centres` in time order; none: the caller labels the segment from its neighbours."""
    pieces = [Piece(start, end, labels[0])]
    for i in range(1, len(labels)):
        if labels[i] != pieces[-1].label:
            cut = min(max((centres[i - 1] + centres[i]) / 2, pieces[-1].start), end)
            pieces[-1].end = cut
            pieces.append(Piece(cut, end, labels[i]))
    return [p for p in pieces if p.end > p.start]


def label_unlabelled(segments: list[tuple[float, float, int | None]]) -> list[Piece]:
    """Segments without a window (too short) take the label of the nearest labelled one in time."""
    labelled = [(s, e, lab) for s, e, lab in segments if lab is not None]
    out = []
    for s, e, lab in segments:
        if lab is None:
            if not labelled:
                continue
            lab = min(labelled, key=lambda x: max(x[0] - e, s - x[1], 0.0))[2]
        out.append(Piece(s, e, lab))
    return out


def _neighbours(pieces: list[Piece], i: int) -> list[Piece]:
    near = []
    if i > 0 and pieces[i].start - pieces[i - 1].end <= BRIDGE_S:
        near.append(pieces[i - 1])
    if i + 1 < len(pieces) and pieces[i + 1].start - pieces[i].end <= BRIDGE_S:
        near.append(pieces[i + 1])
    return near


def smooth(pieces: list[Piece]) -> list[Piece]:
    """Short flips removed (shortest first), then one speaker's close stretches joined."""
    pieces = sorted((Piece(p.start, p.end, p.label) for p in pieces), key=lambda p: p.start)
    pieces = _join(pieces)
    while True:
        flips = [i for i, p in enumerate(pieces) if p.end - p.start < MIN_TURN_S
                 and (near := _neighbours(pieces, i)) and len({n.label for n in near}) == 1
                 and near[0].label != p.label]
        if not flips:
            return pieces
        i = min(flips, key=lambda k: pieces[k].end - pieces[k].start)
        pieces[i].label = _neighbours(pieces, i)[0].label
        pieces = _join(pieces)


def _join(pieces: list[Piece]) -> list[Piece]:
    joined: list[Piece] = []
    for p in pieces:
        if joined and joined[-1].label == p.label and p.start - joined[-1].end <= BRIDGE_S:
            joined[-1].end = max(joined[-1].end, p.end)
        else:
            joined.append(Piece(p.start, p.end, p.label))
    return joined
