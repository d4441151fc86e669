"""Where publish writes: a folder or an S3 bucket and key prefix, with the one interface the run uses (list
everything in one walk or one paginated listing, upload, delete, and the manifest of what is there)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, NamedTuple, Protocol

from ..errors import BadInput, ProcessingError
from ..fsutil import atomic_path, read_json, write_bytes
from ..radio import RADIO_DIR
from ..workspace import Workspace
from .layout import MANIFEST_CACHE, MANIFEST_KEY
from .plan import Upload

MULTIPART_THRESHOLD = 64 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest multipart part (but the last)


Done = Callable[[Upload], None]


class Listed(NamedTuple):
    """An object as the target lists it: its size and a version that changes whenever its bytes are written (the
    ETag in a bucket, the modification time in a folder), so a same-size overwrite by hand shows."""

    size: int
    version: str


class Target(Protocol):
    name: str

    def load_manifest(self) -> dict[str, dict]: ...

    def list_objects(self) -> dict[str, Listed]:
        """Every object under the target (key relative to it), in one walk or one paginated listing."""

    def versions(self, keys: list[str]) -> dict[str, Listed]:
        """These objects as they are now (just uploaded): the cheapest look for a few or for many."""

    def upload(self, uploads: list[Upload], done: Done) -> list[tuple[Upload, str]]:
        """Upload all, calling `done` as each one finishes; return the failures as (upload, reason)."""

    def delete(self, keys: list[str]) -> list[tuple[str, str]]:
        """Delete these keys; return the failures as (key, reason)."""

    def save_manifest(self, manifest: dict[str, dict]) -> None: ...

    def close(self) -> None: ...


def _changed(upload: Upload) -> str | None:
    """Why a source file no longer matches the plan (it was re-processed meanwhile), or None."""
    if upload.source is None:
        return None
    try:
        info = os.stat(upload.source)
    except OSError as exc:
        return f"cannot read {upload.source}: {exc.strerror or exc}"
    if info.st_size != upload.size or info.st_mtime_ns != upload.mtime_ns:
        return f"{upload.source} changed while publishing"
    return None


def _listed(info: os.stat_result) -> Listed:
    return Listed(info.st_size, str(info.st_mtime_ns))


def _manifest_bytes(manifest: dict[str, dict]) -> bytes:
    # One line: indenting takes json's slow encoder, and this is written on every publish.
    return (json.dumps({"version": 1, "objects": manifest}, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _parse_manifest(data: object) -> dict[str, dict]:
    objects = data.get("objects") if isinstance(data, dict) else None
    return {k: v for k, v in objects.items() if isinstance(v, dict)} if isinstance(objects, dict) else {}


def _os_reason(exc: OSError) -> str:
    return f"{exc.strerror}: {exc.filename}" if exc.strerror else str(exc)


class FolderTarget:
    def __init__(self, root: Path):
        self.root = root
        self.name = str(root)

    def load_manifest(self) -> dict[str, dict]:
        return _parse_manifest(read_json(self.root / MANIFEST_KEY, default={}))

    def list_objects(self) -> dict[str, Listed]:
        listed: dict[str, Listed] = {}

        def walk(folder: str, prefix: str) -> None:
            try:
                entries = os.scandir(folder)
            except FileNotFoundError:  # nothing published yet
                return
            with entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        walk(entry.path, f"{prefix}{entry.name}/")
                    elif entry.is_file(follow_symlinks=False):  # a symlink is not a published file
                        listed[prefix + entry.name] = _listed(entry.stat(follow_symlinks=False))

        try:
            walk(str(self.root), "")
        except OSError as exc:
            raise ProcessingError(f"cannot list {self.name}: {_os_reason(exc)}") from None
        return listed

    def versions(self, keys: list[str]) -> dict[str, Listed]:
        found = {}
        for key in keys:
            with contextlib.suppress(OSError):
                found[key] = _listed(os.stat(self.root / key, follow_symlinks=False))
        return found

    def upload(self, uploads: list[Upload], done: Done) -> list[tuple[Upload, str]]:
        # Threads: each copy ends in fsync, which waits on the disk, not the CPU.
        with ThreadPoolExecutor(max_workers=8) as pool:
            return [failure for failure in pool.map(lambda u: self._copy(u, done), uploads) if failure]

    def _copy(self, upload: Upload, done: Done) -> tuple[Upload, str] | None:
        try:
            final = self.root / upload.key
            if upload.data is not None:
                write_bytes(final, upload.data)
            else:
                with atomic_path(final) as temp:
                    shutil.copyfile(upload.source, temp)
                    if reason := _changed(upload):
                        raise OSError(reason)
        except OSError as exc:
            return upload, _os_reason(exc)
        done(upload)
        return None

    def delete(self, keys: list[str]) -> list[tuple[str, str]]:
        failures = []
        for key in keys:
            path = self.root / key
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                failures.append((key, _os_reason(exc)))
                continue
            folder = path.parent
            while folder != self.root and folder.is_relative_to(self.root):
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                folder = folder.parent
        return failures

    def save_manifest(self, manifest: dict[str, dict]) -> None:
        write_bytes(self.root / MANIFEST_KEY, _manifest_bytes(manifest))

    def close(self) -> None:
        pass


class S3Target:
    """An S3 bucket and key prefix through boto3 (credentials from the standard AWS chain)."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None, multipart_threshold: int):
        import boto3
        from boto3.s3.transfer import TransferConfig, create_transfer_manager
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.name = f"s3://{bucket}/{prefix}"
        options = {"max_pool_connections": 16}
        if endpoint_url:
            # Other S3-compatible stores often reject the CRC checksums boto3 sends by default since 1.36.
            options.update(request_checksum_calculation="when_required", response_checksum_validation="when_required")
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=Config(**options))
        config = TransferConfig(multipart_threshold=multipart_threshold,
                                multipart_chunksize=max(MIN_PART_SIZE, min(16 * 1024 * 1024, multipart_threshold)),
                                max_concurrency=10)
        self.transfers = create_transfer_manager(self.client, config)

    def load_manifest(self) -> dict[str, dict]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + MANIFEST_KEY)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                return {}
            raise ProcessingError(f"{self.name}: {_s3_reason(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - credentials, connection: one line for the user
            raise ProcessingError(f"{self.name}: {_s3_reason(exc)}") from None
        try:
            return _parse_manifest(json.loads(body))
        except ValueError:
            return {}

    def list_objects(self) -> dict[str, Listed]:
        listed = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    listed[item["Key"][len(self.prefix):]] = Listed(item["Size"], item.get("ETag", ""))
        except Exception as exc:  # noqa: BLE001
            raise ProcessingError(f"{self.name}: {_s3_reason(exc)}") from None
        return listed

    def versions(self, keys: list[str]) -> dict[str, Listed]:
        """A HEAD each for a few keys, else one listing (a thousand keys a request)."""
        if len(keys) > 20:
            listed = self.list_objects()
            return {key: listed[key] for key in keys if key in listed}
        found = {}
        for key in keys:
            with contextlib.suppress(Exception):  # not found: the next publish uploads it again
                head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
                found[key] = Listed(head["ContentLength"], head.get("ETag", ""))
        return found

    def upload(self, uploads: list[Upload], done: Done) -> list[tuple[Upload, str]]:
        from s3transfer.subscribers import BaseSubscriber

        class Finished(BaseSubscriber):
            """Tells `done` as soon as this object is up, whatever the order the transfers end in."""

            def __init__(self, upload: Upload):
                self.upload = upload

            def on_done(self, future, **kwargs) -> None:
                if _succeeded(future) and _changed(self.upload) is None:
                    done(self.upload)

        pending = []
        failures = []
        for upload in uploads:
            extra = {"ContentType": upload.mime, "CacheControl": upload.cache_control,
                     "Metadata": {"sha256": upload.sha256}}
            body = io.BytesIO(upload.data) if upload.data is not None else str(upload.source)
            try:
                pending.append((upload, self.transfers.upload(body, self.bucket, self.prefix + upload.key, extra,
                                                              subscribers=[Finished(upload)])))
            except Exception as exc:  # noqa: BLE001
                failures.append((upload, _s3_reason(exc)))
        for upload, future in pending:
            try:
                future.result()
                if reason := _changed(upload):
                    failures.append((upload, reason))
            except Exception as exc:  # noqa: BLE001 - reported per object, the run fails as a whole
                failures.append((upload, _s3_reason(exc)))
        return failures

    def delete(self, keys: list[str]) -> list[tuple[str, str]]:
        failures = []
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = keys[start:start + 1000]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": self.prefix + k} for k in batch], "Quiet": True})
            except Exception as exc:  # noqa: BLE001
                failures += [(key, _s3_reason(exc)) for key in batch]
                continue
            failures += [(e.get("Key", "")[len(self.prefix):], f"{e.get('Code', 'error')}: {e.get('Message', '')}")
                         for e in answer.get("Errors", [])]
        return failures

    def save_manifest(self, manifest: dict[str, dict]) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + MANIFEST_KEY, Body=_manifest_bytes(manifest),
                               ContentType="application/json", CacheControl=MANIFEST_CACHE)

    def close(self) -> None:
        self.transfers.shutdown()


def _succeeded(future) -> bool:
    try:
        future.result()
    except Exception:  # noqa: BLE001 - the caller reports it
        return False
    return True


def _s3_reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials)"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc) or type(exc).__name__


def open_target(workspace: Workspace, target: str, endpoint_url: str | None = None,
                multipart_threshold: int = MULTIPART_THRESHOLD, what: str = "target") -> Target:
    """A folder path (relative to the workspace) or s3://bucket/prefix."""
    if target.startswith("s3://"):
        bucket, _, prefix = target[5:].partition("/")
        if not bucket or "/" in bucket:
            raise BadInput(f"{what} {target!r}: use s3://BUCKET or s3://BUCKET/PREFIX")
        prefix = prefix.strip("/")
        return S3Target(bucket, f"{prefix}/" if prefix else "", endpoint_url, multipart_threshold)
    if "://" in target:
        raise BadInput(f"{what} {target!r}: publish to a folder or to s3://BUCKET/PREFIX")
    root = Path(target).expanduser()
    root = (root if root.is_absolute() else workspace.root / root).resolve()
    if root == workspace.root or workspace.root.is_relative_to(root) or any(
            root.is_relative_to(p) for p in (workspace.episodes_dir, workspace.feeds_dir)):
        raise BadInput(f"{what} {root} would mix published files with the workspace; use a folder such as "
                       f"{workspace.root / ('public' if what == 'target' else RADIO_DIR)}")
    if root.exists() and not root.is_dir():
        raise BadInput(f"{what} {root} is not a folder")
    return FolderTarget(root)


def check_apart(public: Target, radio_target: Target) -> None:
    """Broadcast files must never land in the public tree: neither target may hold the other."""
    a, b = public.name.rstrip("/") + "/", radio_target.name.rstrip("/") + "/"
    if a.startswith(b) or b.startswith(a):
        raise BadInput(f"radio target {radio_target.name} overlaps the public target {public.name}: broadcast "
                       "files are private; set radio_to (or --radio-to) to a folder or S3 prefix of its own")


