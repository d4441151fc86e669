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

from ..captions.cues import CaptionRules, Cue, build_cues
from ..captions.formats import parse_vtt, render_json, render_srt, render_text, render_vtt
from ..fsutil import commit, no_space_is_resource_error, temp_path_for, write_text
from ..transcribe.model import Transcript
from .layout import TRANSCRIPT_FILES, TRANSCRIPT_STATE_FILE


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


def _save_written_vtts(out_dir: Path, written: list[str]) -> None:
    write_atomic(out_dir / TRANSCRIPT_STATE_FILE, json.dumps({"written_vtt_sha256": written[-8:]}, indent=1) + "\n")


def transcript_edited(out_dir: Path) -> bool:
    """Whether transcript.vtt holds text that Studio did not write (the producer's edit)."""
    digest = _file_sha256(Path(out_dir) / TRANSCRIPT_FILES["vtt"])
    return digest is not None and digest not in _written_vtts(_read_state(Path(out_dir)))


def replace_unless_changed(path: Path, data: bytes, seen: str | None) -> bool:
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
    replace_unless_changed). When the record of Studio's VTTs is lost, a VTT
    byte-identical to what Studio writes now is taken back as Studio's; any other
    VTT stays the producer's.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in TRANSCRIPT_FILES.items()}
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
        if digest != seen and not replace_unless_changed(paths["vtt"], vtt, seen):
            edited = True  # the producer saved the VTT while this run worked: theirs wins
    if edited:
        cues = parse_vtt(paths["vtt"].read_text(encoding="utf-8-sig", errors="replace"), str(paths["vtt"]))
    _write_derived(out_dir, cues)
    return paths


def vtt_sha256(folder: Path) -> str | None:
    """The sha256 of the episode's transcript.vtt, None when there is none."""
    return _file_sha256(Path(folder) / TRANSCRIPT_FILES["vtt"])


def write_edited_cues(folder: Path, cues: list[Cue], seen: str) -> str | None:
    """Write a producer's corrected cues as transcript.vtt and the files made from it, unless the VTT is no
    longer the one with sha256 `seen` (None then, nothing written); the new VTT's sha256."""
    vtt = render_vtt(cues).encode("utf-8")
    if not replace_unless_changed(Path(folder) / TRANSCRIPT_FILES["vtt"], vtt, seen):
        return None
    _write_derived(Path(folder), cues)
    return _sha256(vtt)


def _write_derived(folder: Path, cues: list[Cue]) -> None:
    """The SRT, JSON and text files, made from the cues of the VTT."""
    write_atomic(folder / TRANSCRIPT_FILES["srt"], render_srt(cues))
    write_atomic(folder / TRANSCRIPT_FILES["json"], render_json(cues))
    write_atomic(folder / TRANSCRIPT_FILES["txt"], render_text(cues))


def read_cues(out_dir: Path) -> list[Cue]:
    """The episode's current cues, with the producer's corrections (from transcript.vtt)."""
    vtt = Path(out_dir) / TRANSCRIPT_FILES["vtt"]
    return parse_vtt(vtt.read_text(encoding="utf-8-sig", errors="replace"), str(vtt))


def transcript_text(out_dir: Path) -> str:
    """The episode's current transcript as plain text paragraphs."""
    return render_text(read_cues(out_dir))
