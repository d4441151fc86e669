"""`studio status`: each episode's state and the paths of its artifacts."""

from __future__ import annotations

from pathlib import Path

from ..pipeline.renditions import rendition_keys
from ..workspace.state import CLIPS_DIR, TRANSCRIPT_FILES, load_state
from ..workspace.tree import Episode, Workspace


def episode_status(workspace: Workspace, episode: Episode) -> dict:
    folder = workspace.episode_dir(episode.id)
    show = workspace.show(episode.show)
    state = load_state(folder)
    keys = rendition_keys(workspace, episode, show)

    def rendition(name: str) -> dict | None:
        entry = state.get(name)
        path = folder / entry["file"] if entry else None
        if not entry or not path.is_file():
            return None
        return {"path": str(path), "bytes": path.stat().st_size, "current": entry["key"] == keys[name],
                "loudness": entry["loudness"]}

    renditions = {name: rendition(name) for name in ("podcast", "broadcast")}
    transcripts = {kind: str(folder / name) for kind, name in TRANSCRIPT_FILES.items() if (folder / name).is_file()}
    clips = [str(p) for p in sorted((folder / CLIPS_DIR).glob("*.mp4"))] if (folder / CLIPS_DIR).is_dir() else []
    done = all(r and r["current"] for r in renditions.values())
    started = any(renditions.values())
    return {
        "id": episode.id,
        "show": episode.show,
        "title": episode.title,
        "state": "processed" if done else ("outdated" if started else "ingested"),
        "duration": episode.duration,
        "recorded_on": episode.recorded_on,
        "air_from": episode.air_from or None,
        "air_until": episode.air_until or None,
        "artifacts": {
            "original": str(folder / episode.original),
            "podcast": renditions["podcast"]["path"] if renditions["podcast"] else None,
            "broadcast": renditions["broadcast"]["path"] if renditions["broadcast"] else None,
            "transcripts": transcripts,
            "clips": clips,
        },
        "loudness": {name: r["loudness"] for name, r in renditions.items() if r},
    }


def format_line(status: dict) -> str:
    loud = status["loudness"]
    levels = "  ".join(f"{name} {v['integrated']:.1f} LUFS {v['true_peak']:.1f} dBTP" for name, v in loud.items())
    minutes, seconds = divmod(int(status["duration"]), 60)
    return f"{status['id']:<48} {status['state']:<10} {minutes:>3}:{seconds:02d}  {levels}"


def relative(path: str | None, root: Path) -> str:
    return str(Path(path).relative_to(root)) if path else "-"
