"""`studio publish`: the feeds and everything they name to the public target, broadcast files to the radio target.

Two targets, each a folder or an S3 bucket and key prefix:

    public (publish_to, --to)       what listeners reach: media, transcripts, chapters, clips,
                                    artwork, feeds (laid out as `studio.publish.layout` describes)
    radio  (radio_to, --radio-to)   what stations pull: <show>/<episode>.wav and manifest.json;
                                    never public (`studio serve --radio-dir` answers a station's
                                    token only)

Publishing runs in phases, each finished before the next starts:

    1. content:         media, transcripts, chapters, clips, artwork,  (public)
                        the listener site and its search index (studio.publish.site)
    2. radio:           broadcast WAVs                                 (radio)
    3. radio manifest:  manifest.json                                  (radio)
    4. feeds:           feeds/<show>.xml                               (public)
    5. index:           feeds/index.opml                               (public)

so neither a feed nor the radio manifest names an object that is not there yet. If
anything in a phase fails, later phases are not run: the previously published feeds
stay as they were, the error says why (ProcessingError, exit 1), and running publish
again uploads what is missing.

The target is the truth. An object is skipped as unchanged only when the target's
listing (one directory walk, or one paginated ListObjectsV2 pass: never a request per
object) holds it with the planned size and the version the manifest of what was
published (`.studio-publish.json` at the target's root) recorded with its sha256 (the
object's ETag in a bucket, its modification time in a folder); so an object deleted from
the target, or overwritten there with other bytes of the same size, is uploaded again. Each finished upload is also appended to a journal
in the workspace's cache folder (publish-journal/), folded into the manifest when the
run ends, so a publish killed midway does not upload again what it finished.
Objects under the target that are no longer published are reported and kept;
`prune` deletes them (never anything outside the target's folder or prefix). A
`radio/` tree that an older Studio put into the public target is deleted.

The plan and its caches are publish.plan's; the targets publish.targets'.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import BadInput, ProcessingError
from ..fsutil import append_line, file_lock
from ..progress import Reporter
from ..radio import RADIO_DIR
from ..workspace import Workspace
from ..workspace.layout import PUBLISH_JOURNAL_DIR, PUBLISH_LOCK_FILE
from .layout import check_base_url
from .plan import (
    INDEX,
    PHASES,
    PUBLIC,
    RADIO,
    Upload,
    cached_plan,
    input_fingerprint,
    plan_publish,
    ready_rows,
    save_plan,
)
from .targets import MULTIPART_THRESHOLD, Listed, Target, check_apart, open_target


@dataclass
class PublishReport:
    target: str
    base_url: str
    radio_target: str = ""
    uploaded: int = 0  # on both targets
    skipped: int = 0
    bytes: int = 0
    episodes: int = 0
    uploaded_keys: list[str] = field(default_factory=list)  # public target
    radio_keys: list[str] = field(default_factory=list)  # radio target
    feeds: list[str] = field(default_factory=list)  # feed URLs
    opml: str = ""
    stale: list[str] = field(default_factory=list)  # in the public target, no longer published (kept unless pruned)
    radio_stale: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)  # deleted by prune
    radio_pruned: list[str] = field(default_factory=list)
    legacy_removed: list[str] = field(default_factory=list)  # radio/ objects an older Studio made public

    @property
    def message(self) -> str:
        targets = f"{self.target} and {self.radio_target}"
        if not self.uploaded:
            text = f"nothing to upload: all {self.skipped} files in {targets} are up to date"
        else:
            text = (f"published {self.uploaded} file(s), {_size(self.bytes)}, to {targets}"
                    f" ({self.skipped} unchanged); feeds: {self.opml}")
        if self.legacy_removed:
            text += f"; removed {len(self.legacy_removed)} radio file(s) an older Studio had made public"
        if self.pruned or self.radio_pruned:
            text += f"; pruned {len(self.pruned) + len(self.radio_pruned)} file(s) no longer published"
        if stale := len(self.stale) + len(self.radio_stale):
            text += f"; {stale} file(s) no longer published were kept (--prune deletes them)"
        return text


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return ""



class Journal:
    """Uploads finished on one target since its manifest was last saved, one JSON line each (append-only)."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, dict]:
        entries: dict[str, dict] = {}
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            try:
                item = json.loads(line)
                entries[item["key"]] = {"sha256": item["sha256"], "size": item["size"]}
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
        return entries

    def record(self, upload: Upload) -> None:
        with contextlib.suppress(OSError):  # the journal only saves work next time
            append_line(self.path, json.dumps({"key": upload.key, "sha256": upload.sha256, "size": upload.size}))

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


@dataclass
class _Remote:
    """One target as this publish found it (its manifest, its listing), and what was published to it since."""

    target: Target
    journal: Journal
    saved: dict[str, dict]  # the manifest on the target
    manifest: dict[str, dict]  # saved, the journal and this run's uploads
    listed: dict[str, Listed]  # key -> size and version (ETag, mtime), from the target's listing

    def is_current(self, upload: Upload) -> bool:
        """Published with these bytes, and not written since (by hand, another tool): same size and version."""
        known, listed = self.manifest.get(upload.key), self.listed.get(upload.key)
        if not (known and listed and known.get("sha256") == upload.sha256 and known.get("size") == upload.size
                and listed.size == upload.size):
            return False
        if "version" not in known:  # published by an older Studio, or journalled before a kill: as listed now
            self.manifest[upload.key] = {**known, "version": listed.version}
            return True
        return known["version"] == listed.version

    def published(self, upload: Upload, listed: Listed | None) -> None:
        """`upload` is up; `listed` is how the target lists it now (None: unknown, looked at next time)."""
        self.manifest[upload.key] = {"sha256": upload.sha256, "size": upload.size}
        if listed is not None:
            self.manifest[upload.key]["version"] = listed.version
        self.listed[upload.key] = listed or Listed(upload.size, "")

    def forget(self, keys: list[str]) -> None:
        for key in keys:
            self.manifest.pop(key, None)
            self.listed.pop(key, None)

    def save(self) -> None:
        if self.manifest != self.saved:
            self.target.save_manifest(self.manifest)
            self.saved = dict(self.manifest)
        self.journal.clear()


def _open_remote(workspace: Workspace, target: Target) -> _Remote:
    name = hashlib.sha256(target.name.encode()).hexdigest()[:16]
    journal = Journal(workspace.cache_dir / PUBLISH_JOURNAL_DIR / f"{name}.jsonl")
    with contextlib.suppress(OSError):
        journal.path.parent.mkdir(parents=True, exist_ok=True)
    saved = target.load_manifest()
    return _Remote(target=target, journal=journal, saved=saved, manifest={**saved, **journal.read()},
                   listed=target.list_objects())


@contextlib.contextmanager
def _publish_lock(workspace: Workspace) -> Iterator[None]:
    """One publish at a time per workspace: both would rewrite the same manifest."""
    with file_lock(workspace.cache_dir / PUBLISH_LOCK_FILE):
        yield


def publish(workspace: Workspace, target: str | None = None, base_url: str | None = None,
            endpoint_url: str | None = None, reporter: Reporter | None = None,
            multipart_threshold: int = MULTIPART_THRESHOLD, radio_to: str | None = None,
            prune: bool = False, now: dt.datetime | None = None) -> PublishReport:
    """Publish every show's feed and files to `target` (default: settings.publish_to) and the broadcast
    files to `radio_to` (default: settings.radio_to); `prune` deletes what is no longer published. `now`: the
    moment scheduled episodes are compared with (default: now; workspace.release)."""
    reporter = reporter or Reporter(quiet=True)
    settings = workspace.settings
    base = check_base_url(base_url or settings.base_url)
    public_to, radio_to = target or settings.publish_to, radio_to or settings.radio_to
    if endpoint_url and not any(t.startswith("s3://") for t in (public_to, radio_to)):
        raise BadInput("--endpoint-url applies to s3:// targets only")
    with _publish_lock(workspace), contextlib.ExitStack() as opened:
        public = open_target(workspace, public_to, endpoint_url, multipart_threshold)
        opened.callback(public.close)
        private = open_target(workspace, radio_to, endpoint_url, multipart_threshold, what="radio target")
        opened.callback(private.close)
        check_apart(public, private)
        return _publish(workspace, {PUBLIC: public, RADIO: private}, base, reporter, prune,
                        now or dt.datetime.now(dt.timezone.utc))


def _side(upload: Upload) -> str:
    return PHASES[upload.phase][1]


def _hidden(key: str) -> bool:
    """The manifest, temporary files: never published, never pruned."""
    return any(part.startswith(".") for part in key.split("/"))


def _delete(remote: _Remote, keys: list[str], why: str) -> None:
    if failures := remote.target.delete(keys):
        key, reason = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise ProcessingError(f"{remote.target.name}: cannot delete {key} ({why}): {reason}{more}")
    remote.forget(keys)


def _publish(workspace: Workspace, targets: dict[str, Target], base_url: str, reporter: Reporter,
             prune: bool, now: dt.datetime) -> PublishReport:
    fingerprint = input_fingerprint(workspace, base_url, now)  # before planning: a change meanwhile shows next time
    remotes = {side: _open_remote(workspace, target) for side, target in targets.items()}
    plan = cached_plan(workspace, fingerprint)
    planned_now = plan is None or not all(remotes[_side(u)].is_current(u) for u in plan.uploads)
    if planned_now:
        plan = plan_publish(workspace, base_url, reporter, now)
    else:  # the plan was made before from these same inputs: say again what it holds back (approval, schedule)
        ready_rows(workspace, workspace.index.rows(), now, reporter)
    planned = {side: {u.key for u in plan.uploads if _side(u) == side} for side in remotes}
    public = remotes[PUBLIC]
    report = PublishReport(target=public.target.name, base_url=base_url, radio_target=remotes[RADIO].target.name,
                           feeds=plan.feeds, opml=plan.opml, episodes=plan.episodes)

    legacy = sorted(k for k in public.listed if k.startswith(f"{RADIO_DIR}/") and k not in planned[PUBLIC])
    if legacy:  # first of all: broadcast files are private
        _delete(public, legacy, "a radio file an older Studio made public")
        report.legacy_removed = legacy
        reporter.info(f"removed {len(legacy)} radio file(s) from {public.target.name}: broadcast files are private "
                      f"now and go to {remotes[RADIO].target.name}")

    for phase, (label, side) in PHASES.items():
        remote = remotes[side]
        uploads = [u for u in plan.uploads if u.phase == phase]
        todo = [u for u in uploads if not remote.is_current(u)]
        report.skipped += len(uploads) - len(todo)
        if not todo:
            continue
        reporter.info(f"uploading {len(todo)} {label} file(s), {_size(sum(u.size for u in todo))}, "
                      f"to {remote.target.name}")
        failures = remote.target.upload(todo, remote.journal.record)
        failed = {u.key for u, _ in failures}
        versions = remote.target.versions([u.key for u in todo if u.key not in failed])
        for upload in todo:
            if upload.key in failed:
                continue
            remote.published(upload, versions.get(upload.key))
            report.uploaded += 1
            report.bytes += upload.size
            (report.uploaded_keys if side == PUBLIC else report.radio_keys).append(upload.key)
            reporter.debug(f"  {upload.key}")
        if failures:
            for other in remotes.values():
                with contextlib.suppress(Exception):  # keep what did go up; the target may be unreachable
                    other.save()
            upload, reason = failures[0]
            later = "; feeds were left as they were" if phase < INDEX else ""
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise ProcessingError(f"publish to {remote.target.name} incomplete: {upload.key}: {reason}{more}{later}; "
                                  "run publish again to finish")

    for side, remote in remotes.items():
        stale = sorted(k for k in remote.listed if k not in planned[side] and not _hidden(k))
        if prune and stale:
            _delete(remote, stale, "pruning what is no longer published")
            reporter.info(f"pruned {len(stale)} file(s) no longer published from {remote.target.name}")
        kept, pruned = ([], stale) if prune else (stale, [])
        if side == PUBLIC:
            report.stale, report.pruned = kept, pruned
        else:
            report.radio_stale, report.radio_pruned = kept, pruned
        try:
            remote.save()
        except Exception as exc:  # noqa: BLE001 - objects are up; only the skip list is lost
            raise ProcessingError(f"publish to {remote.target.name}: files are up but the manifest could not be "
                                  f"saved ({exc}); run publish again to finish") from None
    if planned_now:
        save_plan(workspace, plan, fingerprint)
    workspace.index.mark_published(set(plan.episode_ids))  # what listeners can reach now
    return report
