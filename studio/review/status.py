"""`studio status`: each episode's state (workspace.index.episode_state), the paths of its artifacts and,
once the sound processing ran, its figures (media.processing.SoundFigures: `sound`, else null), and once the
speakers stage ran, who speaks (`speakers`, else null)."""

from __future__ import annotations

from ..errors import BadInput, StudioError
from ..localtime import format_local
from ..workspace import Workspace
from ..workspace.config import time_zone
from ..workspace.episode import air_time
from ..workspace.index import EpisodeRow, episode_state
from ..workspace.layout import TRANSCRIPT_FILES, EpisodeFiles
from ..workspace.state import RENDITION_FILES
from .sound import episode_figures
from .speakers import speakers_panel


def episode_status(workspace: Workspace, row: EpisodeRow, job_state: str = "") -> dict:
    """An episode as `studio status --json` prints it (`job_state`: that of its newest job, if any)."""
    files = EpisodeFiles(workspace.episode_dir(row.id))
    episode = row.episode

    def rendition(name: str) -> dict | None:
        entry = row.record.get(name)
        path = files.folder / entry.get("file", RENDITION_FILES[name]) if isinstance(entry, dict) else None
        if path is None or not path.is_file():
            return None
        return {"path": str(path), "loudness": entry.get("loudness")}

    renditions = {name: rendition(name) for name in RENDITION_FILES}
    transcripts = {kind: str(files.transcript(kind)) for kind in TRANSCRIPT_FILES if files.transcript(kind).is_file()}
    clips = [str(p) for p in sorted(files.clips.glob("*.mp4"))] if files.clips.is_dir() else []
    return {
        "id": row.id,
        "show": row.show,
        "title": row.title,
        "state": episode_state(row, job_state),
        "duration": row.duration,
        "recorded_on": episode.get("recorded_on", ""),
        "air_from": episode.get("air_from") or None,
        "air_until": episode.get("air_until") or None,
        "publish_at": episode.get("publish_at") or None,  # scheduled publishing (workspace.release)
        "unpublished_at": episode.get("unpublished_at") or None,
        "air_window_text": air_window_text(workspace, row.show, episode.get("air_from"), episode.get("air_until")),
        "artifacts": {
            "original": str(files.original(episode["original"])) if episode else None,
            "podcast": renditions["podcast"]["path"] if renditions["podcast"] else None,
            "broadcast": renditions["broadcast"]["path"] if renditions["broadcast"] else None,
            "transcripts": transcripts,
            "clips": clips,
        },
        "loudness": {name: r["loudness"] for name, r in renditions.items() if r},
        "sound": figures.to_dict() if (figures := episode_figures(files)) else None,
        "speakers": speakers_of(workspace, row.id) if episode else None,
        "error": row.broken or None,
    }


def air_window_text(workspace: Workspace, show: str, air_from: str | None, air_until: str | None) -> str | None:
    """The air window as people read it, on the show's clock, in the workspace's language ("Selasa, 1 Desember
    2026 pukul 06.00 WITA – Sabtu, 5 Desember 2026 pukul 23.59 WITA"); None without one."""
    if not air_from and not air_until:
        return None
    try:
        zone = workspace.show(show).zone
    except BadInput:
        zone = time_zone("")
    lang = workspace.settings.lang
    parts = []
    for value, end in ((air_from, False), (air_until, True)):
        try:
            parts.append(format_local(air_time(value, zone, end), zone, lang) if value else "…")
        except (TypeError, ValueError):
            parts.append(str(value))
    return " – ".join(parts)


def speakers_of(workspace: Workspace, episode_id: str) -> list[dict] | None:
    """Who speaks (after the producer's merges), named or "Pembicara N"; None before the speakers stage."""
    try:
        panel = speakers_panel(workspace, episode_id)
    except StudioError:
        return None
    if panel is None:
        return None
    return [{"speaker": s.speaker, "label": s.label, "name": s.name or None, "seconds": s.seconds,
             "merged": [f"Pembicara {m + 1}" for m in s.merged]} for s in panel.speakers]


def format_line(status: dict) -> str:
    loud = status["loudness"]
    levels = "  ".join(f"{name} {v['integrated']:.1f} LUFS {v['true_peak']:.1f} dBTP" for name, v in loud.items())
    minutes, seconds = divmod(int(status["duration"]), 60)
    line = f"{status['id']:<48} {status['state']:<10} {minutes:>3}:{seconds:02d}  {levels}{sound_note(status)}".rstrip()
    return line + (f"\n  air window: {status['air_window_text']}" if status.get("air_window_text") else "")


def sound_note(status: dict) -> str:
    """`  sound: hum 50 Hz, speakers 13.9->2.4 LU`: what the processing found, short; nothing without it."""
    sound = status.get("sound")
    if not sound:
        return ""
    parts = [f"hum {sound['hum']['mains_hz']:g} Hz"] if sound.get("hum") else []
    before, after = sound.get("speech_spread_before_lu"), sound.get("speech_spread_after_lu")
    if before is not None and after is not None:
        parts.append(f"speakers {before:.1f}->{after:.1f} LU")
    floor_before, floor_after = sound.get("noise_floor_before_dbfs"), sound.get("noise_floor_after_dbfs")
    if floor_before is not None and floor_after is not None:
        parts.append(f"noise {floor_before:.0f}->{floor_after:.0f} dBFS")
    return "  sound: " + ", ".join(parts) if parts else "  sound: clean"
