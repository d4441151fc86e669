"""A fake AzuraCast station, held to AzuraCast's contract: every request checked against
tests/data/openapi/azuracast.yml; `X-API-Key`; nginx's 50 MB request limit (413); the Flow chunked upload as
backend/src/Service/Flow.php does it (200 per chunk, 204 while chunks are missing, the file assembled from its
parts on the last one, processed into a media row at currentDirectory/flowRelativePath; its GET chunk test);
media with metadata and playlists; playlists with schedule items.

    fake = FakeAzuraCast()
    with served(fake.app) as url: AzuraCast(url, fake.station_id, fake.api_key).push(...)

Told to fail: `fake.contract.fail_next(500, "/files/upload")`; to stop at a chunk until released:
`fake.hang_at_chunk = 3` (the chunk is not stored; `fake.reached` is set, `fake.release` lets it go); to cut the
connection of a chunk's request (once, the chunk not stored): `fake.drop_at_chunk = 3`.
"""

from __future__ import annotations

import hashlib
import threading
import time

from flask import Flask, Response, jsonify, request

from .contract import Contract

MiB = 1 << 20


def _error(code: int, message: str, kind: str = "Exception"):
    return jsonify({"code": code, "type": kind, "message": message, "formatted_message": message,
                    "extra_data": [], "success": False}), code


def _status(message: str):
    return jsonify({"success": True, "message": message, "formatted_message": message})


class FakeAzuraCast:
    def __init__(self, api_key: str = "az-secret-key-1234", station_id: str = "1", timezone: str = "Asia/Jakarta",
                 request_limit: int = 50 * MiB) -> None:
        self.api_key = api_key
        self.station_id = station_id
        self.timezone = timezone
        self.request_limit = request_limit
        self.contract = Contract("azuracast")
        self.lock = threading.Lock()
        self.media: dict[int, dict] = {}
        self.playlists: dict[int, dict] = {}
        self.parts: dict[str, dict[int, bytes]] = {}  # Flow identifier -> chunk number -> bytes
        self.chunks_stored: list[tuple[str, int]] = []  # (identifier, number), every chunk stored, in order
        self.hang_at_chunk: int | None = None
        self.drop_at_chunk: int | None = None  # the connection of this chunk's request is cut (once), not stored
        self.dropped = False
        self.reached = threading.Event()
        self.release = threading.Event()
        self._next_id = 1
        self.app = self._make_app()

    # what tests read

    def files(self) -> list[dict]:
        with self.lock:
            return [dict(m) for m in self.media.values()]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _media_json(self, media: dict) -> dict:
        return {"id": media["id"], "unique_id": f"u{media['id']:023d}", "song_id": "0" * 32, "path": media["path"],
                "title": media.get("title"), "artist": media.get("artist"), "album": media.get("album"),
                "text": f"{media.get('artist')} - {media.get('title')}", "length": 1.0, "length_text": "0:01",
                "mtime": int(time.time()), "uploaded_at": int(time.time()), "art_updated_at": 0,
                "custom_fields": {}, "extra_metadata": media.get("extra_metadata", {}),
                "playlists": [{"id": p, "name": self.playlists[p]["name"], "short_name": "x", "count": 1}
                              for p in sorted(media.get("playlists", ())) if p in self.playlists],
                "links": {}}

    # the app

    def _make_app(self) -> Flask:
        app = Flask("fake_azuracast")
        station = "/api/station/<station_id>"

        @app.before_request
        def gate():
            if (request.content_length or 0) > self.request_limit:
                return "<html><body><h1>413 Request Entity Too Large</h1></body></html>", 413
            violation = self.contract.check(request)
            if violation:
                return _error(400, violation, "OpenApiViolation")
            if request.view_args and request.view_args.get("station_id") != self.station_id:
                return _error(404, "Station not found.", "NotFoundException")
            public = request.method == "GET" and request.url_rule and request.url_rule.rule == station
            if not public and request.headers.get("X-API-Key") != self.api_key:
                return _error(403, "You do not have permission to access this portion of the site.",
                              "PermissionDeniedException")
            failure = self.contract.failure_for(request.path)
            if failure:
                return _error(failure, "Told to fail.")
            return None

        @app.get(station)
        def get_station(station_id):
            return jsonify({"id": int(self.station_id), "name": "Radio Abdi Persada", "shortcode": "rap",
                            "description": "", "frontend": "icecast", "backend": "liquidsoap",
                            "timezone": self.timezone, "listen_url": "http://localhost/radio.mp3", "url": None,
                            "public_player_url": "", "playlist_pls_url": "", "playlist_m3u_url": "",
                            "is_public": True, "requests_enabled": False, "mounts": [], "remotes": [],
                            "hls_enabled": False, "hls_is_default": False, "hls_url": None, "hls_listeners": 0})

        @app.route(f"{station}/files/upload", methods=["GET", "POST"])
        def upload(station_id):
            return self._flow()

        @app.get(f"{station}/files/list")
        def file_list(station_id):
            folder = request.args.get("currentDirectory", "").strip("/")
            with self.lock:
                found = [m for m in self.media.values() if m["path"].rpartition("/")[0] == folder]
                rows = [{"path": m["path"], "path_short": m["path"].rpartition("/")[2], "text": m["path"],
                         "type": "media", "timestamp": int(time.time()), "size": len(m["data"]),
                         "media": self._media_json(m), "dir": None, "links": {}} for m in found]
            return jsonify(rows)

        @app.route(f"{station}/file/<int:media_id>", methods=["GET", "PUT", "DELETE"])
        def one_file(station_id, media_id):
            with self.lock:
                media = self.media.get(media_id)
                if media is None:
                    return _error(404, "Record not found.", "NotFoundException")
                if request.method == "GET":
                    return jsonify(self._media_json(media))
                if request.method == "DELETE":
                    del self.media[media_id]
                    return _status("Record deleted successfully.")
                data = request.get_json()
                for key in ("title", "artist", "album"):
                    if key in data:
                        media[key] = data[key]
                if "extra_metadata" in data:
                    media["extra_metadata"] = dict(data["extra_metadata"])
                if "playlists" in data:
                    wanted = {p if isinstance(p, int) else p["id"] for p in data["playlists"]}
                    if wanted - set(self.playlists):
                        return _error(404, "Playlist not found.", "NotFoundException")
                    media["playlists"] = wanted
                return _status("Changes saved successfully.")

        @app.post(f"{station}/playlists")
        def add_playlist(station_id):
            data = request.get_json()
            with self.lock:
                if any(p["name"] == data["name"] for p in self.playlists.values()):
                    return _error(400, "A playlist with this name already exists.", "ValidationException")
                playlist_id = self._new_id()
                self.playlists[playlist_id] = {**data, "id": playlist_id}
                return jsonify(self.playlists[playlist_id])

        @app.route(f"{station}/playlist/<int:playlist_id>", methods=["GET", "PUT", "DELETE"])
        def one_playlist(station_id, playlist_id):
            with self.lock:
                playlist = self.playlists.get(playlist_id)
                if playlist is None:
                    return _error(404, "Record not found.", "NotFoundException")
                if request.method == "GET":
                    return jsonify(playlist)
                if request.method == "DELETE":
                    del self.playlists[playlist_id]
                    for media in self.media.values():
                        media.get("playlists", set()).discard(playlist_id)
                    return _status("Record deleted successfully.")
                playlist.update(request.get_json())
                return _status("Changes saved successfully.")

        return app

    @staticmethod
    def _dropped_connection() -> Response:
        """Headers promising a body, then the connection cut: Waitress closes it when the body fails."""
        def body():
            yield b""
            raise ConnectionAbortedError("the fake cuts this connection")

        return Response(body(), status=200, headers={"Content-Length": "64"})

    def _flow(self):
        """backend/src/Service/Flow.php::process, and FlowUploadAction's media on the last chunk."""
        params = request.form if request.method == "POST" else request.args
        if not params.get("flowTotalChunks") or not params.get("flowIdentifier"):
            return _error(400, "Studio always uploads with Flow: flowTotalChunks and flowIdentifier are missing")
        identifier = params["flowIdentifier"]
        number = int(params.get("flowChunkNumber", 1))
        total = int(params["flowTotalChunks"])
        total_size = int(params.get("flowTotalSize", 0))
        current_size = int(params.get("flowCurrentChunkSize", 0))
        if request.method == "GET":
            with self.lock:
                stored = self.parts.get(identifier, {}).get(number)
            if number != total and stored is not None and len(stored) == current_size:
                return "", 200
            return "", 204
        if not request.files:
            return _error(400, "No file uploaded.", "FlowUploadException")
        data = next(iter(request.files.values())).read()
        if len(data) != current_size:
            return _error(400, f"File size of {len(data)} does not match expected size of {current_size}",
                          "FlowUploadException")
        if self.drop_at_chunk == number and not self.dropped:
            self.dropped = True
            return self._dropped_connection()
        if self.hang_at_chunk == number and not self.reached.is_set():
            self.reached.set()
            self.release.wait(timeout=300)
            return _error(503, "Gone.")
        with self.lock:
            self.parts.setdefault(identifier, {})[number] = data
            self.chunks_stored.append((identifier, number))
        self.contract.notify()
        if number != total:
            return "", 200
        with self.lock:
            parts = self.parts.get(identifier, {})
            if len(parts) != total or sum(len(p) for p in parts.values()) != total_size:
                return "", 204
            whole = b"".join(parts[n] for n in range(1, total + 1))
            del self.parts[identifier]
            name = params.get("flowRelativePath") or params.get("flowFilename") or identifier
            folder = params.get("currentDirectory", "").strip("/")
            path = f"{folder}/{name}" if folder else name
            existing = next((m for m in self.media.values() if m["path"] == path), None)
            media = existing or {"id": self._new_id(), "path": path, "playlists": set()}
            media.update(data=whole, sha256=hashlib.sha256(whole).hexdigest())
            self.media[media["id"]] = media
        self.contract.notify()
        return _status("Record created successfully.")
