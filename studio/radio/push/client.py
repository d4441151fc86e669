"""HTTP for the playout APIs: one request with retries and backoff, its failures as one-line PushErrors.

Plain urllib (no HTTP library in Studio's runtime dependencies). 5xx answers, timeouts and connection errors are
tried again after an exponential backoff with jitter; 401/403 is "auth", 413 "too_large", another 4xx "refused".
No message ever holds a header value (the key): only the system's name, the method, the path and the status.
Also the resume journal: a small JSON file per item, rewritten atomically after each step.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from ...fsutil import read_json, write_json
from .base import PushError, PushItem

TRANSIENT = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is reported, not followed: urllib would turn a POST into a GET without its body."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> object:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def api_root(base_url: str, suffix: str = "") -> str:
    """The station's base URL without a trailing slash or a trailing `suffix` a user pasted with it ("/api")."""
    root = base_url.strip().rstrip("/")
    if suffix and root.endswith(suffix):
        root = root[: -len(suffix)]
    if urllib.parse.urlsplit(root).scheme not in ("http", "https"):
        raise PushError("refused", f"not an http(s) URL: {root[:80]}")
    return root


def clean_key(key: str, name: str) -> str:
    """The API key without the whitespace a key file ends with; a PushError (never showing it) when it holds
    what an HTTP header cannot carry."""
    key = key.strip()
    if not key or any(ord(c) < 0x20 or ord(c) > 0x7E for c in key):
        raise PushError("auth", f"{name}: the station's API key is empty or has characters a header cannot carry; "
                                "add the station's key again")
    return key


def _server_says(body: bytes) -> str:
    """A short, one-line reason from an error answer (JSON `message`/`detail`, else the text), or ""."""
    text = ""
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            text = str(data.get("message") or data.get("detail") or "")
    except ValueError:
        text = body.decode("utf-8", "replace") if body and not body.lstrip().startswith(b"<") else ""
    text = " ".join(text.split())
    return text[:160]


class Http:
    """Requests to one system: `name` ("AzuraCast at radio.example"), its root URL and headers (the key)."""

    def __init__(self, root: str, headers: dict[str, str], *, name: str, timeout: float,
                 sleep: Callable[[float], None], tries: int = 4, backoff: float = 1.0,
                 jitter: Callable[[], float] = random.random) -> None:
        self.root = root
        self.headers = headers
        self.name = name
        self.timeout = timeout
        self.sleep = sleep
        self.tries = tries
        self.backoff = backoff
        self.jitter = jitter
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, *, query: dict | None = None, json_body: object = None,
                body: bytes | Callable[[], BinaryIO] | None = None, length: int | None = None,
                content_type: str | None = None, headers: dict[str, str] | None = None,
                ok: tuple[int, ...] = ()) -> Answer:
        """One request, tried again on 5xx and network failures. An answer with a status in `ok` (e.g. 404 for
        a delete of what is gone) is returned like a 2xx; any other failure is a PushError. `body` is bytes or
        a function that opens a fresh stream for each try (then `length` is its size)."""
        url = self.root + path + ("?" + urllib.parse.urlencode(query) if query else "")
        sent_headers = {**self.headers, **(headers or {})}
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            content_type = "application/json"
        if content_type:
            sent_headers["Content-Type"] = content_type
        what = f"{method} {path}"
        failure = ""
        for attempt in range(self.tries):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1) * (1 + self.jitter()))
            stream = body() if callable(body) else None
            data = stream if stream is not None else body
            request = urllib.request.Request(url, data=data, headers=sent_headers, method=method)
            if stream is not None:
                request.add_header("Content-Length", str(length))
            try:
                with self._opener.open(request, timeout=self.timeout) as answer:
                    return Answer(answer.status, answer.read())
            except urllib.error.HTTPError as error:
                status = error.code
                try:
                    payload = error.read()
                except TRANSIENT:
                    payload = b""
                error.close()
                if status in ok:
                    return Answer(status, payload)
                if 300 <= status < 400:
                    moved = urllib.parse.urlsplit(error.headers.get("Location", "")).netloc
                    raise PushError("refused", f"{self.name}: the server answers from another address (HTTP {status}"
                                               + (f", {moved}" if moved else "") + "); give Studio that base URL")
                if status >= 500:
                    failure = f"server error (HTTP {status})"
                    continue
                raise self._refusal(what, status, payload, length or (len(data) if isinstance(data, bytes) else 0))
            except TRANSIENT as error:
                failure = _network_reason(error)
            except (ValueError, UnicodeError):  # http.client's header checks quote the value: never shown
                raise PushError("refused", f"{self.name}: {what}: a header or the address cannot be sent") from None
            finally:
                if stream is not None:
                    stream.close()
        reason = "server" if failure.startswith("server error") else "unreachable"
        raise PushError(reason, f"{self.name}: {what}: {failure} after {self.tries} tries")

    def _refusal(self, what: str, status: int, payload: bytes, size: int) -> PushError:
        says = _server_says(payload)
        if status in (401, 403):
            return PushError("auth", f"{self.name}: the API key was refused (HTTP {status}); check the station's key "
                                     "and its permissions")
        if status == 413:
            return PushError("too_large", f"{self.name}: {what}: a request of {size} bytes is too large for the "
                                          "server (HTTP 413); raise its upload limit or send smaller chunks")
        return PushError("refused", f"{self.name}: {what} refused (HTTP {status})" + (f": {says}" if says else ""))


def _network_reason(error: BaseException) -> str:
    reason = getattr(error, "reason", error)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "no answer in time"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    return " ".join(str(reason).split())[:120] or type(reason).__name__


def multipart(fields: dict[str, str], file_field: str, file_name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body held in memory (one Flow chunk): the body and its content type."""
    head, tail, content_type = multipart_frame(fields, file_field, file_name)
    return head + data + tail, content_type


def multipart_frame(fields: dict[str, str], file_field: str, file_name: str) -> tuple[bytes, bytes, str]:
    """What goes before and after the file's bytes in a multipart/form-data body, and its content type."""
    boundary = "studio-" + uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n')
    quoted = file_name.replace('"', "")
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{quoted}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n")
    return "".join(parts).encode("utf-8"), f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class StreamedBody:
    """A file between two byte strings, read in blocks (a whole broadcast WAV in one multipart request)."""

    def __init__(self, head: bytes, path: Path, tail: bytes) -> None:
        self._parts: list = [head, path, tail]
        self._file: BinaryIO | None = None

    def read(self, size: int = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else size
        while self._parts:
            part = self._parts[0]
            if isinstance(part, bytes):
                chunk, rest = part[:size], part[size:]
                if rest:
                    self._parts[0] = rest
                else:
                    self._parts.pop(0)
                if chunk:
                    return chunk
                continue
            if self._file is None:
                self._file = open(part, "rb")
            chunk = self._file.read(size)
            if chunk:
                return chunk
            self._file.close()
            self._file = None
            self._parts.pop(0)
        return b""

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Journal:
    """What is done of one item's push (`journal/<kind>.json`), kept across a kill: a fresh one when the file's
    sha256 or the kind's `version` (e.g. the chunk size) changed."""

    def __init__(self, folder: Path, kind: str, sha256: str, version: str = "") -> None:
        self.path = folder / f"{kind}.json"
        stored = read_json(self.path, {})
        keep = isinstance(stored, dict) and stored.get("sha256") == sha256 and stored.get("version") == version
        self.data: dict = stored if keep else {"sha256": sha256, "version": version}

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    def set(self, key: str, value) -> None:
        self.data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.path, self.data)


def host_of(root: str) -> str:
    return urllib.parse.urlsplit(root).netloc or root



def item_digest(item: PushItem) -> str:
    """What the station shows of an item besides its bytes (titles, cue points, air window): when it changes, an
    unchanged file gets its metadata and schedule again."""
    fields = [item.title, item.artist, item.album, item.cue_in, item.cue_out, item.fade_in, item.fade_out,
              item.air_from.isoformat() if item.air_from else None,
              item.air_until.isoformat() if item.air_until else None]
    return hashlib.sha256(json.dumps(fields).encode("utf-8")).hexdigest()[:16]


def played_length(item: PushItem) -> float:
    """Seconds from the cue-in to the cue-out (or the end)."""
    end = item.cue_out if item.cue_out is not None else item.duration
    return max(0.0, end - item.cue_in)
