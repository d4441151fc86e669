"""The maintained lists the counting follows: OPAWG's user-agent patterns and a data-centre address list.

Shipped in studio/data/stats/ (SOURCES.json names each file's repository, commit and licence; both MIT):

    opawg-{bots,apps,libraries,browsers,devices}.json   github.com/opawg/user-agents-v2, src/*.json
    datacenter-ipv4.txt, datacenter-ipv6.txt           github.com/X4BNet/lists_vpn, output/datacenter/*.txt

`studio stats update-lists` downloads them again into the workspace's .studio/stats/lists/ (checked, then
swapped in as a whole); a workspace's own copy wins over the shipped one.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
import shutil
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..data import STATS_DIR as SHIPPED_DIR
from ..errors import ResourceError
from ..fsutil import make_temp_dir, write_json

UA_FILES = ("bots", "apps", "libraries", "browsers", "devices")  # OPAWG's order of matching: bots first
DC_FILES = ("datacenter-ipv4.txt", "datacenter-ipv6.txt")
SOURCES_FILE = "SOURCES.json"
SOURCES = {
    **{f"opawg-{name}.json": f"https://raw.githubusercontent.com/opawg/user-agents-v2/master/src/{name}.json"
       for name in UA_FILES},
    **{name: f"https://raw.githubusercontent.com/X4BNet/lists_vpn/main/output/datacenter/{name.split('-')[1]}"
       for name in DC_FILES},
}
UNKNOWN = "Unknown"
MAX_LIST_BYTES = 64 << 20  # a list ten times the size of today's is not a list


@dataclass(frozen=True)
class Agent:
    """What a user agent is, by OPAWG's lists: a bot, or an app (a podcast app, a library or a browser) on a
    platform (a device)."""

    bot: bool
    app: str = UNKNOWN
    platform: str = UNKNOWN


class UserAgents:
    """OPAWG's patterns, matched in their order (bots, apps, libraries, browsers; devices for the platform).
    Each distinct user agent is matched once and remembered."""

    def __init__(self, folder: Path) -> None:
        self._lists = {name: _patterns(folder / f"opawg-{name}.json") for name in UA_FILES}
        self._seen: dict[str, Agent] = {}

    def classify(self, ua: str) -> Agent:
        agent = self._seen.get(ua)
        if agent is None:
            if len(self._seen) > 50_000:
                self._seen.clear()
            agent = self._seen[ua] = self._match(ua)
        return agent

    def _match(self, ua: str) -> Agent:
        if not ua.strip() or _first(self._lists["bots"], ua):
            return Agent(bot=True)  # IAB: a request with no user agent is not a listener
        app = (_first(self._lists["apps"], ua) or _first(self._lists["libraries"], ua)
               or _first(self._lists["browsers"], ua) or UNKNOWN)
        return Agent(bot=False, app=app, platform=_first(self._lists["devices"], ua) or UNKNOWN)


def _patterns(path: Path) -> list[tuple[re.Pattern, str]]:
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    return [(re.compile(entry["pattern"]), entry["name"]) for entry in entries]


def _first(patterns: list[tuple[re.Pattern, str]], ua: str) -> str | None:
    for pattern, name in patterns:
        if pattern.search(ua):
            return name
    return None


class DataCentres:
    """The data-centre ranges as sorted, merged [start, end] integer intervals, one list per address family."""

    def __init__(self, folder: Path) -> None:
        self._v4 = _intervals((folder / DC_FILES[0]).read_text(encoding="ascii").split())
        self._v6 = _intervals((folder / DC_FILES[1]).read_text(encoding="ascii").split())

    def __contains__(self, address: str) -> bool:
        try:
            number = int.from_bytes(socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address),
                                    "big")
        except OSError:
            return False
        starts, ends = self._v6 if ":" in address else self._v4
        at = bisect.bisect_right(starts, number) - 1
        return at >= 0 and number <= ends[at]


def _intervals(cidrs: list[str]) -> tuple[list[int], list[int]]:
    spans = []
    for cidr in cidrs:
        if cidr.startswith("#"):
            continue
        address, _, length = cidr.partition("/")
        family, bits = (socket.AF_INET6, 128) if ":" in address else (socket.AF_INET, 32)
        try:
            start = int.from_bytes(socket.inet_pton(family, address), "big")
            size = 1 << (bits - int(length or bits))
        except (OSError, ValueError):
            raise ValueError(f"{cidr!r} is not an address range") from None
        start -= start % size
        spans.append((start, start + size - 1))
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and start <= ends[-1] + 1:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def lists_dir(workspace_lists: Path | None) -> Path:
    """The workspace's own lists when `studio stats update-lists` fetched them, else the shipped ones."""
    if workspace_lists is not None and (workspace_lists / SOURCES_FILE).is_file():
        return workspace_lists
    return SHIPPED_DIR


def validate(folder: Path) -> None:
    """ValueError unless every list in `folder` reads and looks like what it should be."""
    for name in UA_FILES:
        patterns = _patterns(folder / f"opawg-{name}.json")
        if len(patterns) < 5:
            raise ValueError(f"opawg-{name}.json has only {len(patterns)} patterns")
    for name in DC_FILES:
        starts, _ = _intervals((folder / name).read_text(encoding="ascii").split())
        if len(starts) < 100:
            raise ValueError(f"{name} has only {len(starts)} ranges")


def update(target: Path, sources: dict[str, str] = SOURCES, timeout: float = 30.0) -> dict:
    """Download every list into a new folder, check them, then swap that folder in for `target` as a whole.
    ResourceError (one line) when a download fails or a list is malformed: `target` is left as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = make_temp_dir(target)
    try:
        for name, url in sources.items():
            try:
                with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - https URLs above
                    data = answer.read(MAX_LIST_BYTES + 1)
                if len(data) > MAX_LIST_BYTES:
                    raise ResourceError(f"{name} is larger than {MAX_LIST_BYTES >> 20} MiB; the lists in use are "
                                        "unchanged")
                (temp / name).write_bytes(data)
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", None) or exc
                raise ResourceError(f"could not download {name} ({reason}); the lists in use are unchanged") from None
        try:
            validate(temp)
        except (ValueError, KeyError, re.error) as exc:
            raise ResourceError(f"the downloaded lists are not usable ({exc}); the lists in use are unchanged") from None
        for name in ("LICENSE-opawg", "LICENSE-x4bnet"):
            shutil.copyfile(SHIPPED_DIR / name, temp / name)
        fetched = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        record = {name: {"url": url, "fetched": fetched} for name, url in sources.items()}
        write_json(temp / SOURCES_FILE, record)
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        temp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return record
    finally:
        shutil.rmtree(temp, ignore_errors=True)
