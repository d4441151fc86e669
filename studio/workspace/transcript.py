"""An episode's transcript files: transcript.vtt/.srt/.json/.txt, and the producer's corrections.

transcript.vtt is the file a producer corrects. write_transcript_files() remembers the
sha256 of each VTT it wrote in .transcript-state.json; a VTT on disk with another hash is
the producer's edit, which is kept as it is and flows into the SRT, JSON and text files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from ..captions.cues import CaptionRules, Cue, build_cues
from ..captions.formats import parse_vtt, render_json, render_srt, render_text, render_vtt
from ..errors import BadInput
from ..fsutil import commit, no_space_is_resource_error, temp_path_for, write_bytes, write_text
from ..transcribe.model import Transcript
from .layout import GOOD_VTT_FILE, TRANSCRIPT_FILES, TRANSCRIPT_STATE_FILE
from .speakers import Speakers
from .state import edit_lock


def write_atomic(path: Path, text: str) -> bool:
    """Write text atomically (studio.fsutil); False, and nothing written, when the file already had it."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == text.encode("utf-8"):
            return False
    write_text(path, text)
    return True


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
        state = json.loads((out_dir / TRANSCRIPT_STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _written_vtts(state: dict | None) -> list[str]:
    """The sha256 of each VTT Studio wrote, oldest first."""
    hashes = (state or {}).get("written_vtt_sha256")
    return [h for h in hashes if isinstance(h, str)] if isinstance(hashes, list) else []


def _save_state(out_dir: Path, **fields: object) -> None:
    """Change the named fields of the transcript state, keeping the others."""
    state = _read_state(out_dir) or {}
    state.update(fields)
    write_atomic(out_dir / TRANSCRIPT_STATE_FILE, json.dumps(state, indent=1) + "\n")


def _save_written_vtts(out_dir: Path, written: list[str]) -> None:
    _save_state(out_dir, written_vtt_sha256=written[-8:])


def transcript_edited(out_dir: Path) -> bool:
    """Whether transcript.vtt holds text that Studio did not write (the producer's edit)."""
    digest = _file_sha256(Path(out_dir) / TRANSCRIPT_FILES["vtt"])
    return digest is not None and digest not in _written_vtts(_read_state(Path(out_dir)))


def _swap_unless_changed(path: Path, data: bytes, seen: str | None) -> bool:
    """Write `data` to `path` unless the file no longer has the sha256 `seen` (None: no file); False then.
    Call with the episode's edit lock held: the check and the rename are then one step for every writer."""
    with no_space_is_resource_error(path.parent):
        temp = temp_path_for(path)
        try:
            with open(temp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
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
    speakers: Speakers | None = None,
) -> dict[str, Path]:
    """Write transcript.vtt/.srt/.json/.txt; a producer's edit of the VTT wins over the transcript.

    Call it on every processing run. When transcript.vtt differs from every VTT this function
    wrote (or exists with no record of it), it is the producer's correction: it is left as it
    is and the other three files are made from it (BadInput, nothing written, when it cannot be read).
    Files whose content would not change are not rewritten. discard_edits=True replaces an edited
    VTT with the transcript's captions.

    The look at the VTT and every write happen under the episode's edit lock, so a producer's save
    is either before (and kept) or after (and made on what this wrote). When the record of Studio's
    VTTs is lost, a VTT byte-identical to what Studio writes now is taken back as Studio's; any
    other VTT stays the producer's.

    With `speakers` (workspace.speakers), cues are cut where the speaker changes and every file says who
    speaks; a producer's VTT keeps its text and times and gets the speakers' current names.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in TRANSCRIPT_FILES.items()}
    # outside the lock: it takes a moment on a long recording
    machine_cues = build_cues(transcript, rules, speakers.speaker_of if speakers else None)
    if speakers is not None:
        machine_cues = speakers.label(machine_cues, machine=True)
    vtt = render_vtt(machine_cues).encode("utf-8")
    digest = _sha256(vtt)
    with edit_lock(out_dir):
        state = _read_state(out_dir)
        written = _written_vtts(state)
        seen = _file_sha256(paths["vtt"])  # the VTT as this run found it
        if state is None and seen is not None and seen == digest:
            written = [seen]
            _save_written_vtts(out_dir, written)
        if seen is not None and seen not in written and not discard_edits:  # the producer's: kept
            data = paths["vtt"].read_bytes()
            cues = parse_vtt(data.decode("utf-8-sig", errors="replace"), str(paths["vtt"]))
            if speakers is not None:  # the producer's text and times, with the speakers' names as they are now
                cues = speakers.label(cues)
                named = render_vtt(cues).encode("utf-8")
                if named != data and _swap_unless_changed(paths["vtt"], named, seen):
                    data = named
        else:
            if digest not in written:
                # Record the hash before writing, so that a crash in between never makes
                # Studio's own VTT look like a producer's edit.
                written.append(digest)
                _save_written_vtts(out_dir, written)
            if digest != seen:
                _swap_unless_changed(paths["vtt"], vtt, seen)
            cues, data = machine_cues, vtt
        _write_derived(out_dir, cues, data)
    return paths


def vtt_sha256(folder: Path) -> str | None:
    """The sha256 of the episode's transcript.vtt, None when there is none."""
    return _file_sha256(Path(folder) / TRANSCRIPT_FILES["vtt"])


def write_edited_cues(folder: Path, cues: list[Cue], seen: str) -> str | None:
    """Write a producer's corrected cues as transcript.vtt and the files made from it, unless the VTT is no
    longer the one with sha256 `seen` (None then, nothing written); the new VTT's sha256. A compare-and-swap
    under the episode's edit lock: of two saves made on the same VTT, exactly one is written."""
    folder = Path(folder)
    vtt = render_vtt(cues).encode("utf-8")
    with edit_lock(folder):
        if not _swap_unless_changed(folder / TRANSCRIPT_FILES["vtt"], vtt, seen):
            return None
        _write_derived(folder, cues, vtt)
    return _sha256(vtt)


def edit_cues(folder: Path, change: Callable[[list[Cue], str], list[Cue] | None]) -> tuple[bool, str]:
    """Change the episode's cues in one step under its edit lock: `change` gets the cues of transcript.vtt and
    its sha256 as they are now (it may raise to refuse), and returns the cues to write, or None to write
    nothing. Returns whether transcript.vtt and its files were written, and the sha256 of transcript.vtt.
    FileNotFoundError when there is no transcript.vtt."""
    folder = Path(folder)
    path = folder / TRANSCRIPT_FILES["vtt"]
    with edit_lock(folder):
        data = path.read_bytes()
        seen = _sha256(data)
        edited = change(parse_vtt(data.decode("utf-8-sig", errors="replace"), str(path)), seen)
        if edited is None:
            return False, seen
        vtt = render_vtt(edited).encode("utf-8")
        if not _swap_unless_changed(path, vtt, seen):  # only a writer that skips the lock (a hand edit) gets here
            return False, _file_sha256(path) or ""
        _write_derived(folder, edited, vtt)
    return True, _sha256(vtt)


def _write_derived(folder: Path, cues: list[Cue], vtt: bytes) -> None:
    """The SRT, JSON and text files, made from the cues of the VTT `vtt`; that VTT is kept as the last good
    one (what publish carries while transcript.vtt holds something `process` refused)."""
    write_atomic(folder / TRANSCRIPT_FILES["srt"], render_srt(cues))
    write_atomic(folder / TRANSCRIPT_FILES["json"], render_json(cues))
    write_atomic(folder / TRANSCRIPT_FILES["txt"], render_text(cues))
    good = folder / GOOD_VTT_FILE
    good.parent.mkdir(parents=True, exist_ok=True)
    if _file_sha256(good) != _sha256(vtt):
        write_bytes(good, vtt)
    _save_state(folder, good_vtt_sha256=_sha256(vtt))


def published_vtt(folder: Path) -> tuple[Path | None, str]:
    """The VTT that may be published, and a line when it is not transcript.vtt: transcript.vtt when the
    transcript files were last made from it (or, with no record of that, when it can be read); else the
    last VTT they were made from; else none. A VTT that `process` refused never goes out."""
    folder = Path(folder)
    vtt = folder / TRANSCRIPT_FILES["vtt"]
    digest = _file_sha256(vtt)
    if digest is None:
        return None, ""
    good = (_read_state(folder) or {}).get("good_vtt_sha256")
    if not isinstance(good, str):  # made before this record was kept: judge the file itself
        try:
            parse_vtt(vtt.read_text(encoding="utf-8-sig", errors="replace"), str(vtt))
        except BadInput:
            return None, "transcript.vtt cannot be read; no transcript goes out"
        return vtt, ""
    if digest == good:
        return vtt, ""
    if _file_sha256(folder / GOOD_VTT_FILE) == good:
        return folder / GOOD_VTT_FILE, ("transcript.vtt was changed and not yet accepted by `process`; "
                                        "the last good transcript goes out")
    return None, "transcript.vtt was changed and not yet accepted by `process`; no transcript goes out"


def read_cues(out_dir: Path) -> list[Cue]:
    """The episode's current cues, with the producer's corrections (from transcript.vtt)."""
    vtt = Path(out_dir) / TRANSCRIPT_FILES["vtt"]
    return parse_vtt(vtt.read_text(encoding="utf-8-sig", errors="replace"), str(vtt))


def read_cues_and_sha256(out_dir: Path) -> tuple[list[Cue], str]:
    """The episode's current cues and the sha256 of the VTT they were read from, from one read of it (what
    an editor shows, and the `based_on` of its save)."""
    vtt = Path(out_dir) / TRANSCRIPT_FILES["vtt"]
    data = vtt.read_bytes()
    return parse_vtt(data.decode("utf-8-sig", errors="replace"), str(vtt)), _sha256(data)


def transcript_text(out_dir: Path) -> str:
    """The episode's current transcript as plain text paragraphs."""
    return render_text(read_cues(out_dir))
