"""A fake LibreTime station, held to LibreTime's contract: every request checked against
tests/data/openapi/libretime.yml; the legacy `POST /rest/media` upload with HTTP basic auth (the API key as the
user name, RestAuth.php), answered 201 with the cc_files row; the analyzer's import (`import_status` 1, then 0
after `import_polls` reads of the file); the v2 API with `Authorization: Api-Key`; files, shows, show instances,
schedule entries; a request limit (LibreTime's nginx default is 512 MB).

Told to fail: `fake.contract.fail_next(500, "/rest/media")`; `fake.import_fails = True` (import_status 2); to hold
a request until released: `fake.contract.hang_on = "/api/v2/shows"`.
"""

from __future__ import annotations

import base64
import hashlib
import threading

from flask import Flask, jsonify, request

from .contract import Contract

MiB = 1 << 20
EXTENSIONS = ("wav", "mp3", "ogg", "flac", "m4a", "opus", "aac")  # FileDataHelper::getUploadAudioMimeTypeArray


class FakeLibreTime:
    def __init__(self, api_key: str = "lt-secret-key-1234", request_limit: int = 512 * MiB,
                 import_polls: int = 2) -> None:
        self.api_key = api_key
        self.request_limit = request_limit
        self.import_polls = import_polls
        self.import_fails = False
        self.contract = Contract("libretime")
        self.lock = threading.Lock()
        self.files: dict[int, dict] = {}
        self.shows: dict[int, dict] = {}
        self.instances: dict[int, dict] = {}
        self.schedule: dict[int, dict] = {}
        self.uploads = 0
        self._next_id = 100
        self.app = self._make_app()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _file_json(self, row: dict) -> dict:
        return {"id": row["id"], "import_status": row["import_status"], "filepath": row["filepath"],
                "size": len(row["data"]), "exists": True, "mime": "audio/x-wav", "md5": row["md5"], "hidden": False,
                "accessed": 0, "name": row["filepath"].rpartition("/")[2], "track_title": row.get("track_title"),
                "artist_name": row.get("artist_name"), "album_title": row.get("album_title"),
                "cue_in": row.get("cue_in"), "cue_out": row.get("cue_out"), "length": "00:01:00",
                "library": None, "owner": 1, "edited_by": None}

    def _make_app(self) -> Flask:
        app = Flask("fake_libretime")
        legacy_auth = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()

        @app.before_request
        def gate():
            if (request.content_length or 0) > self.request_limit:
                return "<html><body><h1>413 Request Entity Too Large</h1></body></html>", 413
            violation = self.contract.check(request)
            if violation:
                return jsonify({"detail": violation}), 400
            if request.path.startswith("/rest/"):
                if request.headers.get("Authorization") != legacy_auth:
                    return jsonify({"message": "ERROR: Incorrect API key."}), 401
            elif request.headers.get("Authorization") != f"Api-Key {self.api_key}":
                return jsonify({"detail": "You do not have permission to perform this action."}), 403
            failure = self.contract.failure_for(request.path)
            if failure:
                return "An unknown error occurred.", failure
            if self.contract.maybe_hang(request.path):
                return "Gone.", 503
            return None

        @app.post("/rest/media")
        def legacy_upload():
            upload = request.files.get("file")
            if upload is None or upload.filename.rpartition(".")[2].lower() not in EXTENSIONS:
                return "ERROR: Bad file extension.", 400
            data = upload.read()
            with self.lock:
                self.uploads += 1
                row = {"id": self._new_id(), "import_status": 1, "polls": 0, "data": data,
                       "md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest(),
                       "filepath": f"imported/1/{upload.filename}", "track_title": upload.filename}
                self.files[row["id"]] = row
                return jsonify(self._file_json(row)), 201

        @app.get("/api/v2/files")
        def list_files():
            md5 = request.args.get("md5")
            with self.lock:
                return jsonify([self._file_json(row) for row in self.files.values() if md5 in (None, row["md5"])])

        @app.route("/api/v2/files/<int:file_id>", methods=["GET", "PATCH", "DELETE"])
        def one_file(file_id):
            with self.lock:
                row = self.files.get(file_id)
                if row is None:
                    return jsonify({"detail": "Not found."}), 404
                if request.method == "DELETE":
                    if any(entry["file"] == file_id for entry in self.schedule.values()):
                        return jsonify({"detail": "The file is scheduled."}), 400
                    del self.files[file_id]
                    return "", 204
                if request.method == "GET" and row["import_status"] == 1:
                    row["polls"] += 1
                    if row["polls"] >= self.import_polls:
                        row["import_status"] = 2 if self.import_fails else 0
                if request.method == "PATCH":
                    row.update(request.get_json())
                return jsonify(self._file_json(row))

        def collection(store: dict, required: dict):
            body = request.get_json()
            with self.lock:
                for key, other in required.items():
                    if body[key] not in other:
                        return jsonify({key: ["Invalid pk - object does not exist."]}), 400
                row = {**body, "id": self._new_id()}
                store[row["id"]] = row
                return jsonify(row), 201

        def member(store: dict, row_id: int, guard=None):
            with self.lock:
                row = store.get(row_id)
                if row is None:
                    return jsonify({"detail": "Not found."}), 404
                if request.method == "DELETE":
                    if guard and guard(row_id):
                        return jsonify({"detail": "Still in use."}), 400
                    del store[row_id]
                    return "", 204
                row.update(request.get_json())
                return jsonify(row)

        @app.post("/api/v2/shows")
        def add_show():
            return collection(self.shows, {})

        @app.delete("/api/v2/shows/<int:row_id>")
        def one_show(row_id):
            return member(self.shows, row_id, lambda i: any(x["show"] == i for x in self.instances.values()))

        @app.post("/api/v2/show-instances")
        def add_instance():
            return collection(self.instances, {"show": self.shows})

        @app.route("/api/v2/show-instances/<int:row_id>", methods=["PATCH", "DELETE"])
        def one_instance(row_id):
            return member(self.instances, row_id, lambda i: any(x["instance"] == i for x in self.schedule.values()))

        @app.post("/api/v2/schedule")
        def add_entry():
            return collection(self.schedule, {"instance": self.instances, "file": self.files})

        @app.delete("/api/v2/schedule/<int:row_id>")
        def one_entry(row_id):
            return member(self.schedule, row_id)

        return app
