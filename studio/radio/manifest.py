"""The radio manifest: every broadcast-ready file of the workspace, with what a station checks.

`publish` copies each episode's broadcast.wav to `<show>/<slug>.wav` in the
radio target (`radio_to`, never the public tree) and then writes
`manifest.json` at the target's root naming them; each entry's `path` is
relative to the manifest. Schema: studio/data/radio-manifest.schema.json.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput, ProcessingError
from ..fsutil import read_json, sha256_file, write_bytes, write_json
from ..localtime import format_local
from ..media.riff import wav_info
from ..workspace.episode import Episode, episode_air_time
from ..workspace.index import EpisodeRow
from ..workspace.layout import BROADCAST_FILE, RADIO_FACTS_FILE
from ..workspace.tree import Workspace

MANIFEST_VERSION = 2  # 2: paths relative to the manifest; 1 (older Studio): relative to the public tree, under radio/
MANIFEST_NAME = "manifest.json"
RADIO_DIR = "radio"  # the pull API's route in `studio serve`, and the default radio target folder


def broadcast_key(episode: Episode, base_path: str = "") -> str:
    """A broadcast file's path in the radio target (and in the manifest)."""
    return f"{base_path}{episode.show}/{episode.slug}.wav"


def _iso(episode: Episode, field: str, zone: dt.tzinfo | None = None) -> str | None:
    return episode_air_time(episode, field, zone).isoformat(timespec="seconds") if getattr(episode, field) else None


def air_window(episode: Episode, zone: dt.tzinfo) -> dict:
    """The air window as a manifest entry carries it: the machine fields (ISO 8601 with the offset) and the human
    ones (`*_text`: "Senin, 21 Desember 2026 pukul 06.00 WITA", in the show's zone `zone`; null with no bound)."""
    window: dict = {}
    for field in ("air_from", "air_until"):
        value = _iso(episode, field, zone)
        window[field] = value
        window[f"{field}_text"] = format_local(dt.datetime.fromisoformat(value), zone) if value else None
    return window


def refresh_air_window(workspace: Workspace, episode: Episode) -> bool:
    """Rewrite `episode`'s entry in the published manifest of a folder radio target with its air window as it is
    now, so that stations read an edited window at once rather than at the next publish (the file and its sha256
    stay those published). False when there is nothing to rewrite: an S3 target (the next publish does it), no
    manifest published yet, or no entry for the episode."""
    target = workspace.settings.radio_to
    if "://" in target:
        return False
    path = workspace.root / target / MANIFEST_NAME
    manifest = read_json(path, default=None)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return False
    entries = [e for e in manifest["files"] if isinstance(e, dict) and e.get("episode") == episode.id]
    if not entries:
        return False
    window = air_window(episode, workspace.show(episode.show).zone)
    if all(all(e.get(k) == v for k, v in window.items()) for e in entries):
        return False
    for entry in entries:
        entry.update(window)
    write_bytes(path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return True


def _file_facts(folder: Path, path: Path) -> dict:
    """sha256 and format of `path`, cached beside the episode's state: hashing gigabytes once is enough."""
    stat = path.stat()
    key = {"ino": stat.st_ino, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    cache_path = folder / RADIO_FACTS_FILE
    cached = read_json(cache_path, default={})
    if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("facts"), dict):
        return cached["facts"]
    try:
        info = wav_info(path)
    except BadInput as exc:
        raise ProcessingError(f"{folder.name}: {exc}") from None
    facts = {"sha256": sha256_file(path), "duration": round(info.duration, 3),
             "sample_rate": info.sample_rate, "bit_depth": info.bit_depth}
    with contextlib.suppress(OSError):  # a read-only workspace still publishes, only slower
        write_json(cache_path, {"key": key, "facts": facts})
    return facts


def _entry(workspace: Workspace, episode: Episode, base_path: str, state: dict,
           zone_of: Callable[[str], dt.tzinfo]) -> tuple[Path, dict] | None:
    folder = workspace.episode_dir(episode.id)
    broadcast = state.get("broadcast") or {}
    path = folder / broadcast.get("file", BROADCAST_FILE)
    loudness = broadcast.get("loudness")
    if not loudness or not path.is_file():
        return None
    facts = _file_facts(folder, path)
    stat = path.stat()
    return path, {
        "show": episode.show,
        "episode": episode.id,
        "title": episode.title,
        "path": broadcast_key(episode, base_path),
        "bytes": stat.st_size,
        "sha256": facts["sha256"],
        "duration": facts["duration"],
        "integrated_loudness": loudness["integrated"],
        "true_peak": loudness["true_peak"],
        "loudness_range": loudness["loudness_range"],
        "sample_rate": facts["sample_rate"],
        "bit_depth": facts["bit_depth"],
        **air_window(episode, zone_of(episode.show)),
        "updated_at": dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _normal_base(base_path: str) -> str:
    base = base_path.strip("/")
    return f"{base}/" if base else ""


@dataclass(frozen=True)
class RadioDelivery:
    """What publishing puts in the radio target: the files (source, relative path) and the manifest naming them."""

    files: list[tuple[Path, str]]
    manifest: dict

    def manifest_bytes(self) -> bytes:
        return (json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def radio_delivery(workspace: Workspace, base_path: str = "", rows: list[EpisodeRow] | None = None) -> RadioDelivery:
    """Files and manifest from one look at the workspace, so the two agree (`rows`: the episodes, when the
    caller has them already; publish gives those it publishes)."""
    base = _normal_base(base_path)
    rows = [r for r in workspace.index.rows() if not r.broken] if rows is None else rows
    zones: dict[str, dt.tzinfo] = {}  # each show's zone, looked up once

    def zone(show: str) -> dt.tzinfo:
        if show not in zones:
            zones[show] = workspace.show(show).zone
        return zones[show]

    found = [e for e in (_entry(workspace, row.to_episode(), base, row.record, zone) for row in rows) if e]
    found.sort(key=lambda e: e[1]["path"])
    return RadioDelivery(files=[(source, entry["path"]) for source, entry in found],
                         manifest={"version": MANIFEST_VERSION, "files": [entry for _, entry in found]})


def build_manifest(workspace: Workspace, base_path: str = "") -> dict:
    return radio_delivery(workspace, base_path).manifest


def manifest_bytes(workspace: Workspace, base_path: str = "") -> bytes:
    return radio_delivery(workspace, base_path).manifest_bytes()


def radio_files(workspace: Workspace, base_path: str = "") -> list[tuple[Path, str]]:
    """(broadcast file in the workspace, its path in the radio target) for every broadcast-ready episode."""
    return radio_delivery(workspace, base_path).files
