"""LibreTime: the broadcast file into the station's library, its cue points, and a show instance at its air time
with the file scheduled in it.

The upload is still the legacy PHP `POST /rest/media` (multipart field `file`, HTTP basic auth with the API key
as the user name; legacy/application/modules/rest/controllers/MediaController.php), streamed from disk in one
request (it has no chunked form: the web server's limit must allow the whole file). LibreTime's analyzer then
imports it: `GET /api/v2/files/{id}` is polled until `import_status` is 0. A file whose bytes the library already
holds (`GET /api/v2/files?md5=`) is not uploaded again. The rest is the v2 API with
`Authorization: Api-Key <key>`: `PATCH /api/v2/files/{id}` (titles, cue_in, cue_out), a show
(`POST /api/v2/shows`), a show instance over the air time (`POST /api/v2/show-instances`) and the file in it
(`POST /api/v2/schedule`). Playout reads the next 24 hours of the schedule every 400 s
(libretime_playout/config.py, POLL_INTERVAL), and a schedule written through the v2 API is not pushed to it: an
airing must be scheduled at least SCHEDULE_LEAD before it starts. A changed file is uploaded anew, its schedule
entry replaced, the old file deleted. `expire` deletes the schedule entry, the instance and the show (the file
only when asked).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from pathlib import Path
from typing import Callable

from .base import Progress, PushError, PushItem, Remote
from .client import (
    Http,
    Journal,
    StreamedBody,
    api_root,
    clean_key,
    host_of,
    item_digest,
    multipart_frame,
    played_length,
)

SCHEDULE_LEAD = dt.timedelta(minutes=15)  # playout polls every 400 s and then fetches the file
IMPORTED, PENDING, FAILED = 0, 1, 2  # FileImportStatusEnum


def interval(seconds: float) -> str:
    """A duration as LibreTime's API writes one: HH:MM:SS.ffffff."""
    micro = round(seconds * 1_000_000)
    whole, micro = divmod(micro, 1_000_000)
    hours, rest = divmod(whole, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{micro:06d}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


class LibreTime:
    kind = "libretime"

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, tries: int = 4, import_wait: float = 900.0,
                 poll_every: float = 3.0) -> None:
        root = api_root(base_url)
        name = f"LibreTime at {host_of(root)}"
        api_key = clean_key(api_key, name)
        self.http = Http(root, {"Authorization": f"Api-Key {api_key}", "Accept": "application/json"},
                         name=name, timeout=timeout, sleep=sleep, tries=tries)
        basic = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        self.legacy = Http(root, {"Authorization": f"Basic {basic}", "Accept": "application/json"},
                           name=name, timeout=max(timeout, 300.0), sleep=sleep, tries=tries)
        self.sleep = sleep
        self.polls = max(1, int(import_wait / poll_every))
        self.poll_every = poll_every

    # the Pusher protocol

    def push(self, item: PushItem, previous: Remote | None, journal: Path,
             progress: Progress | None = None) -> Remote:
        digest = item_digest(item)
        same_file = previous is not None and previous.sha256 == item.sha256
        if same_file and previous.extra.get("digest") == digest:
            return previous
        state = Journal(journal, self.kind, item.sha256, version=digest)
        file_id = previous.media_id if same_file else state.get("file_id")
        if not (file_id and self._wait_imported(file_id) and self._describe(file_id, item)):
            file_id = self._find(item) or self._upload(item, progress)  # new, changed, or lost at the station
            state.set("file_id", file_id)
            self._wait_imported(file_id)
            self._describe(file_id, item)
        extra = dict(previous.extra) if previous else {}
        instance_id = self._schedule(item, file_id, previous, extra, state)
        if previous is not None and previous.media_id != file_id:
            self.http.request("DELETE", f"/api/v2/files/{previous.media_id}", ok=(404,))
        extra["digest"] = digest
        return Remote(sha256=item.sha256, media_id=file_id, playlist_id=instance_id, extra=extra)

    def expire(self, remote: Remote, delete_file: bool = False) -> None:
        self._unschedule(remote.playlist_id, remote.extra)
        if delete_file:
            self.http.request("DELETE", f"/api/v2/files/{remote.media_id}", ok=(404,))

    # the file

    def _upload(self, item: PushItem, progress: Progress | None) -> str:
        name = f"{item.show}-{item.episode}-{item.sha256[:12]}.wav"
        head, tail, content_type = multipart_frame({}, "file", name)
        answer = self.legacy.request("POST", "/rest/media", body=lambda: StreamedBody(head, item.path, tail),
                                     length=len(head) + item.bytes + len(tail), content_type=content_type)
        created = answer.json()
        if not isinstance(created, dict) or created.get("id") is None:
            raise PushError("server", f"{self.http.name}: the upload was not answered with the new file's id")
        if progress:
            progress(item.bytes, item.bytes)
        return str(created["id"])

    def _find(self, item: PushItem) -> str | None:
        """A file with the same bytes already in the station's library (by md5, which LibreTime keeps), or None."""
        digest = hashlib.md5(usedforsecurity=False)
        with open(item.path, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
        rows = self.http.request("GET", "/api/v2/files", query={"md5": digest.hexdigest()}).json()
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("import_status") in (IMPORTED, PENDING) and row.get("id"):
                return str(row["id"])
        return None

    def _wait_imported(self, file_id: str) -> bool:
        """Until the analyzer has imported the file: True, or False when the station has no such file."""
        for poll in range(self.polls):
            answer = self.http.request("GET", f"/api/v2/files/{file_id}", ok=(404,))
            if answer.status == 404:
                return False
            found = answer.json()
            status = found.get("import_status") if isinstance(found, dict) else None
            if status == IMPORTED:
                return True
            if status == FAILED:
                raise PushError("refused", f"{self.http.name}: the station's analyzer could not import the file")
            self.sleep(self.poll_every)
        raise PushError("server", f"{self.http.name}: the file was not imported in time (import_status pending)")

    def _describe(self, file_id: str, item: PushItem) -> bool:
        """Titles and cue points on the station's file; False when it has no such file."""
        end = item.cue_out if item.cue_out is not None else item.duration
        answer = self.http.request("PATCH", f"/api/v2/files/{file_id}", ok=(404,), json_body={
            "track_title": item.title, "artist_name": item.artist, "album_title": item.album,
            "cue_in": interval(item.cue_in), "cue_out": interval(end)})
        return answer.status != 404

    # the schedule

    def _schedule(self, item: PushItem, file_id: str, previous: Remote | None, extra: dict,
                  state: Journal) -> str | None:
        """The show, its instance over the air time, the file scheduled in it; `extra` gets their ids."""
        instance_id = previous.playlist_id if previous else None
        if item.air_from is None:
            self._unschedule(instance_id, extra)
            for key in ("show", "schedule"):
                extra.pop(key, None)
            return None
        starts = item.air_from
        ends = starts + dt.timedelta(seconds=played_length(item))
        show_id = extra.get("show") or state.get("show")
        if not show_id:
            show_id = self._create("/api/v2/shows", {
                "name": f"{item.album}: {item.title}"[:255], "description": f"Studio: {item.show}/{item.episode}",
                "linked": False, "linkable": False, "auto_playlist_enabled": False, "auto_playlist_repeat": False,
                "override_intro_playlist": False, "override_outro_playlist": False})
            state.set("show", show_id)
        times = {"starts_at": _iso(starts), "ends_at": _iso(ends)}
        instance_id = instance_id or state.get("instance")
        if instance_id:  # moved to the new air time; made again when someone deleted it at the station
            answer = self.http.request("PATCH", f"/api/v2/show-instances/{instance_id}", json_body=times, ok=(404,))
            instance_id = None if answer.status == 404 else instance_id
        if not instance_id:
            instance_id = self._create("/api/v2/show-instances", {
                "show": int(show_id), **times, "created_at": _iso(dt.datetime.now(dt.timezone.utc)),
                "modified": False, "auto_playlist_built": False})
            state.set("instance", instance_id)
        old_entry = extra.get("schedule")
        entry = state.get("schedule")
        if not entry:
            if old_entry:
                self.http.request("DELETE", f"/api/v2/schedule/{old_entry}", ok=(404,))
            end = item.cue_out if item.cue_out is not None else item.duration
            entry = self._create("/api/v2/schedule", {
                **times, "instance": int(instance_id), "file": int(file_id), "position": 0, "broadcasted": 0,
                "length": interval(played_length(item)), "cue_in": interval(item.cue_in), "cue_out": interval(end)})
            state.set("schedule", entry)
        extra.update(show=str(show_id), schedule=str(entry))
        return str(instance_id)

    def _unschedule(self, instance_id: str | None, extra: dict) -> None:
        if extra.get("schedule"):
            self.http.request("DELETE", f"/api/v2/schedule/{extra['schedule']}", ok=(404,))
        if instance_id:
            self.http.request("DELETE", f"/api/v2/show-instances/{instance_id}", ok=(404,))
        if extra.get("show"):
            self.http.request("DELETE", f"/api/v2/shows/{extra['show']}", ok=(404,))

    def _create(self, path: str, body: dict) -> str:
        created = self.http.request("POST", path, json_body=body).json()
        if not isinstance(created, dict) or created.get("id") is None:
            raise PushError("server", f"{self.http.name}: POST {path} was not answered with an id")
        return str(created["id"])
