"""AzuraCast: the broadcast file into the station's media library, with its titles and cue points, and a one-off
playlist that plays it at its air time.

Every call carries `X-API-Key`. The file goes up with the Flow chunked upload (`POST /api/station/{id}/files/upload`,
backend/src/Service/Flow.php): chunks of `chunk_bytes` (AzuraCast's default request limit is 50 MB, an hour of
broadcast WAV ~700 MB), each accepted chunk recorded in the journal, so that after a kill only the missing ones
are sent. It lands at `studio/<show>/<episode>-<sha256[:12]>.wav`: a changed file is a new path, uploaded beside
the old one, which is removed once the new one is described and scheduled. Then
`PUT /api/station/{id}/file/{media_id}` sets title, artist, album and extra_metadata (cue_in, cue_out, fade_in,
fade_out) and the playlist; the playlist (`POST /api/station/{id}/playlists`) has one schedule item with
start_date = end_date = the air date, start and end time in the station's time zone, loop_once and the
"interrupt" option. `expire` deletes the playlist (the file only when asked).
"""

from __future__ import annotations

import datetime as dt
import math
import time
import urllib.parse
import zoneinfo
from pathlib import Path
from typing import Callable

from .base import Progress, PushError, PushItem, Remote
from .client import Http, Journal, api_root, clean_key, host_of, item_digest, multipart, played_length

MiB = 1 << 20
FOLDER = "studio"  # where Studio's files go in the station's media library


class AzuraCast:
    kind = "azuracast"

    def __init__(self, base_url: str, station_id: str, api_key: str, *, timeout: float = 30.0,
                 chunk_bytes: int = 8 * MiB, sleep: Callable[[float], None] = time.sleep, tries: int = 4) -> None:
        root = api_root(base_url, "/api")
        self.station = urllib.parse.quote(str(station_id).strip(), safe="")  # a number or the short name
        self.chunk_bytes = max(1, int(chunk_bytes))
        name = f"AzuraCast at {host_of(root)}"
        self.http = Http(root + "/api", {"X-API-Key": clean_key(api_key, name), "Accept": "application/json"},
                         name=name, timeout=timeout, sleep=sleep, tries=tries)
        self._zone: dt.tzinfo | None = None

    # the Pusher protocol

    def push(self, item: PushItem, previous: Remote | None, journal: Path,
             progress: Progress | None = None) -> Remote:
        digest = item_digest(item)
        same_file = previous is not None and previous.sha256 == item.sha256
        if same_file and previous.extra.get("digest") == digest:
            return previous
        state = Journal(journal, self.kind, item.sha256, version=str(self.chunk_bytes))
        if same_file:
            media_id = previous.media_id
        else:
            media_id = state.get("media_id") or self._upload(item, state, progress)
            state.set("media_id", media_id)
        playlist_id = self._schedule(item, previous.playlist_id if previous else None, state)
        if not self._describe(media_id, item, playlist_id):  # the station lost the file (deleted by hand)
            media_id = self._upload(item, state, progress)
            state.set("media_id", media_id)
            self._describe(media_id, item, playlist_id)
        if previous is not None and previous.media_id != media_id:
            self._delete(f"/file/{previous.media_id}")
        return Remote(sha256=item.sha256, media_id=media_id, playlist_id=playlist_id,
                      extra={"digest": digest, "path": self._path(item)})

    def expire(self, remote: Remote, delete_file: bool = False) -> None:
        if remote.playlist_id:
            self._delete(f"/playlist/{remote.playlist_id}")
        if delete_file:
            self._delete(f"/file/{remote.media_id}")

    # the file

    def _path(self, item: PushItem) -> str:
        return f"{FOLDER}/{item.show}/{item.episode}-{item.sha256[:12]}.wav"

    def _upload(self, item: PushItem, state: Journal, progress: Progress | None) -> str:
        """Send the chunks the station does not have yet; the media id of the file it made of them."""
        path = self._path(item)
        found = self._find(path)
        if found:
            return found
        directory, _, name = path.rpartition("/")
        total = max(1, math.ceil(item.bytes / self.chunk_bytes))
        fields = {"flowTotalChunks": str(total), "flowTotalSize": str(item.bytes),
                  "flowChunkSize": str(self.chunk_bytes), "flowIdentifier": f"studio-{item.sha256[:40]}",
                  "flowFilename": name, "flowRelativePath": name, "currentDirectory": directory}
        accepted = set(state.get("chunks", []))
        done = sum(self._size(n, item.bytes) for n in accepted)
        with open(item.path, "rb") as source:
            for number in range(1, total):
                if number in accepted:
                    continue
                self._send_chunk(source, number, item.bytes, fields, expect=(200,))
                accepted.add(number)
                state.set("chunks", sorted(accepted))
                done += self._size(number, item.bytes)
                if progress:
                    progress(done, item.bytes)
            answer = self._send_chunk(source, total, item.bytes, fields, expect=(200, 204))
            if answer == 204:  # the station lost chunks it had accepted: find which, send them again
                for number in range(1, total):
                    if not self._station_has(number, item.bytes, fields):
                        self._send_chunk(source, number, item.bytes, fields, expect=(200,))
                if self._send_chunk(source, total, item.bytes, fields, expect=(200, 204)) == 204:
                    raise PushError("server", f"{self.http.name}: the station did not assemble the uploaded chunks")
        if progress:
            progress(item.bytes, item.bytes)
        media_id = self._find(path)
        if not media_id:
            raise PushError("server", f"{self.http.name}: the uploaded file is not in the station's library")
        return media_id

    def _size(self, number: int, total_bytes: int) -> int:
        return min(self.chunk_bytes, total_bytes - (number - 1) * self.chunk_bytes)

    def _send_chunk(self, source, number: int, total_bytes: int, fields: dict, expect: tuple[int, ...]) -> int:
        source.seek((number - 1) * self.chunk_bytes)
        data = source.read(self._size(number, total_bytes))
        chunk_fields = {"flowChunkNumber": str(number), "flowCurrentChunkSize": str(len(data)), **fields}
        body, content_type = multipart(chunk_fields, "file", fields["flowFilename"], data)
        answer = self.http.request("POST", f"/station/{self.station}/files/upload", body=body,
                                   content_type=content_type)
        result = answer.json()
        if isinstance(result, dict) and result.get("success") is False:  # Error::fromException with a 200
            says = " ".join(str(result.get("message", "")).split())[:160]
            raise PushError("refused", f"{self.http.name}: the station could not process the file: {says}")
        if answer.status not in expect:
            raise PushError("server", f"{self.http.name}: unexpected answer {answer.status} to chunk {number}")
        return answer.status

    def _station_has(self, number: int, total_bytes: int, fields: dict) -> bool:
        query = {"flowChunkNumber": number, "flowCurrentChunkSize": self._size(number, total_bytes),
                 **{key: value for key, value in fields.items() if key.startswith("flow")}}
        return self.http.request("GET", f"/station/{self.station}/files/upload", query=query).status == 200

    def _find(self, path: str) -> str | None:
        """The media id of the file at `path` in the station's library, or None."""
        directory = path.rpartition("/")[0]
        answer = self.http.request("GET", f"/station/{self.station}/files/list",
                                   query={"currentDirectory": directory}, ok=(404,))
        entries = answer.json() if answer.status == 200 else []
        for entry in entries if isinstance(entries, list) else []:
            media = entry.get("media") if isinstance(entry, dict) else None
            if entry.get("path") == path and isinstance(media, dict) and media.get("id") is not None:
                return str(media["id"])
        return None

    def _describe(self, media_id: str, item: PushItem, playlist_id: str | None) -> bool:
        """Titles, cue points and the playlist on the station's media; False when it has no such media."""
        end = item.cue_out if item.cue_out is not None else item.duration
        body: dict = {"title": item.title, "artist": item.artist, "album": item.album,
                      "extra_metadata": {"cue_in": round(item.cue_in, 3), "cue_out": round(end, 3),
                                         "fade_in": round(item.fade_in, 3), "fade_out": round(item.fade_out, 3)}}
        if playlist_id:  # added to the item's playlist, kept in those a station admin put it in
            current = self.http.request("GET", f"/station/{self.station}/file/{media_id}", ok=(404,))
            if current.status == 404:
                return False
            others = [p.get("id") for p in (current.json() or {}).get("playlists", []) if isinstance(p, dict)]
            body["playlists"] = sorted({int(playlist_id), *(int(p) for p in others if p is not None)})
        answer = self.http.request("PUT", f"/station/{self.station}/file/{media_id}", json_body=body, ok=(404,))
        return answer.status != 404

    # the playlist

    def _schedule(self, item: PushItem, previous_id: str | None, state: Journal) -> str | None:
        """The item's one-off playlist, created or brought up to date; deleted (None) when it has no air time."""
        existing = previous_id or state.get("playlist_id")
        if item.air_from is None:
            if existing:
                self._delete(f"/playlist/{existing}")
            return None
        body = self._playlist(item)
        if existing:
            answer = self.http.request("PUT", f"/station/{self.station}/playlist/{existing}", json_body=body,
                                       ok=(404,))
            if answer.status != 404:
                return str(existing)
        created = self.http.request("POST", f"/station/{self.station}/playlists", json_body=body).json()
        if not isinstance(created, dict) or created.get("id") is None:
            raise PushError("server", f"{self.http.name}: the station did not say which playlist it made")
        state.set("playlist_id", str(created["id"]))
        return str(created["id"])

    def _playlist(self, item: PushItem) -> dict:
        zone = self._station_zone()
        start = item.air_from.astimezone(zone)
        end = start + dt.timedelta(seconds=math.ceil(played_length(item)))
        if item.air_until is not None and item.air_until.astimezone(zone).date() == start.date():
            end = max(end, item.air_until.astimezone(zone))
        if end.date() != start.date():
            end = start.replace(hour=23, minute=59)
        day = start.date().isoformat()
        return {
            "name": f"Studio {item.show}/{item.episode} {start:%Y-%m-%d %H:%M}",
            "description": f"{item.album}: {item.title} (Studio, {item.episode})",
            "type": "default", "source": "songs", "order": "sequential", "is_enabled": True,
            "include_in_requests": False, "include_in_on_demand": False, "avoid_duplicates": False,
            "backend_options": ["interrupt"],
            "schedule_items": [{"start_time": start.hour * 100 + start.minute, "end_time": end.hour * 100 + end.minute,
                                "start_date": day, "end_date": day, "days": [start.isoweekday()],
                                "loop_once": True}],
        }

    def _station_zone(self) -> dt.tzinfo:
        """The station's time zone (its schedule's clock), asked once; UTC when it names none Python knows."""
        if self._zone is None:
            info = self.http.request("GET", f"/station/{self.station}").json()
            name = info.get("timezone") if isinstance(info, dict) else None
            try:
                self._zone = zoneinfo.ZoneInfo(name) if name else dt.timezone.utc
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self._zone = dt.timezone.utc
        return self._zone

    def _delete(self, what: str) -> None:
        self.http.request("DELETE", f"/station/{self.station}{what}", ok=(404,))
