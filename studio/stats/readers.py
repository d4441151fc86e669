"""Access logs in, one `Hit` per request out: Studio's own access log and the logs of the servers it publishes to.

    studio      logs/access/YYYY-MM-DD.jsonl, written by `studio serve` (the address already a listener key)
    s3          Amazon S3 server access logs (space-separated, [time], quoted request and user agent)
    cloudfront  CloudFront standard logs (tab-separated, the columns named by the #Fields line, UTC)
    combined    nginx's and Apache's combined log format

A reader only parses; the raw address it finds is handed to the importer, which keys it (identity.Anonymizer)
before anything is written. Lines that do not parse are counted as skipped, never guessed at.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import unquote

from .identity import WINDOW_ZONE

FORMATS = ("studio", "s3", "cloudfront", "combined")


class Hit(NamedTuple):
    """One request as the counting sees it."""

    day: str  # the counting day (identity.window_day)
    address: str | None  # the raw address (imported logs), never written; None when `client` is given
    ua: str
    method: str
    path: str  # the URL path, decoded, without its query
    status: int
    probe: bool  # a `bytes=0-1` range request (a player checking the file), which counts nothing
    sent: int  # bytes sent
    client: str | None = None  # the listener key (Studio's log)
    country: str | None = None
    dc: bool = False  # Studio's log marks data-centre addresses


# -- times: a day is cached per hour (or minute) of the log's own notation -----------------------------------

_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


class _Days:
    def __init__(self, parse: Callable[[str], dt.datetime]) -> None:
        self._parse = parse
        self._seen: dict[str, str] = {}

    def __call__(self, key: str, stamp: str) -> str:
        """The counting day of `stamp`, cached on `key` (its hour, or minute, and zone: the rest never changes
        the day)."""
        day = self._seen.get(key)
        if day is None:
            if len(self._seen) > 100_000:
                self._seen.clear()
            day = self._seen[key] = self._parse(stamp).astimezone(WINDOW_ZONE).date().isoformat()
        return day


def _apache_time(stamp: str) -> dt.datetime:  # 10/Oct/2000:13:55:36 -0700
    day, month, rest = stamp.split("/", 2)
    return dt.datetime.strptime(f"{rest[:4]}-{_MONTHS[month]:02d}-{day} {rest[5:]}", "%Y-%m-%d %H:%M:%S %z")


def _iso_time(stamp: str) -> dt.datetime:  # 2026-11-03T01:02:03.456Z
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _path(target: str) -> str:
    path = target.split("?", 1)[0]
    return unquote(path) if "%" in path else path


# -- the formats ------------------------------------------------------------------------------------------

class Reader:
    """Parses lines of one format into Hits; None for a line that is no request."""

    name = ""

    def header(self, line: str) -> None:
        """A comment line (CloudFront's #Fields) seen at the start of the file."""

    def parse(self, line: str) -> Hit | None:
        raise NotImplementedError


class StudioReader(Reader):
    name = "studio"

    def __init__(self) -> None:
        self._day = _Days(_iso_time)

    def parse(self, line: str) -> Hit | None:
        try:
            r = json.loads(line)
            stamp = r["time"]
            day = self._day(stamp[:13] + "Z" if stamp.endswith("Z") else stamp, stamp)
            return Hit(day, None, r.get("ua") or "", r["method"], _path(r["path"]), int(r["status"]),
                       (r.get("range") or "").replace(" ", "") == "bytes=0-1", int(r.get("sent") or 0),
                       r["client"], r.get("country") or "ZZ", bool(r.get("dc")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


_Q = r'"([^"\\]*(?:\\.[^"\\]*)*)"'  # a quoted field, escaped quotes inside
_COMBINED = re.compile(rf'(\S+) \S+ \S+ \[([^\]]+)\] {_Q} (\d{{3}}) (\S+)(?: {_Q} {_Q})?')
# the usual combined line (no escaped quote, nothing after the user agent) in one match
_COMBINED_FAST = re.compile(r'([^ ]+) [^ ]+ [^ ]+ \[([^\]]+)\] "([^ "]*) ([^ "]*)[^"]*" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"$')
_S3 = re.compile(rf'\S+ \S+ \[([^\]]+)\] (\S+) \S+ \S+ (\S+) \S+ {_Q} (\d{{3}}|-) \S+ (\S+) \S+ \S+ \S+ {_Q} {_Q}')


def _request(request: str) -> tuple[str, str]:
    parts = request.split(" ")
    return (parts[0], parts[1]) if len(parts) >= 2 else ("", "")


def _size(field: str) -> int:
    return int(field) if field.isdigit() else 0


def _apache_day_key(stamp: str) -> str:
    """10/Oct/2000:13:55:36 -0700: its hour and zone when the zone is whole hours (as WIB is: the day changes on
    the hour), else its minute and zone."""
    return stamp[:14] + stamp[20:] if stamp.endswith("00") else stamp[:17] + stamp[20:]


class CombinedReader(Reader):
    """`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`. The log has no Range header: a 206 of two bytes
    or fewer is taken for a 0-1 probe."""

    name = "combined"

    def __init__(self) -> None:
        self._day = _Days(_apache_time)

    def parse(self, line: str) -> Hit | None:
        m = _COMBINED_FAST.match(line) if "\\" not in line else None
        if m is not None:
            address, stamp, method, target, status, size, ua = m.groups()
        else:
            parts = line.split('"')
            if len(parts) == 7 and "\\" not in line:  # no escaped quote: the quotes cut the fields
                head, request, middle, _referer, _, ua, _ = parts
                try:
                    address = head[:head.index(" ")]
                    stamp = head[head.index("[") + 1:head.index("]")]
                    status, size = middle.split()
                except ValueError:
                    return None
            else:
                m = _COMBINED.match(line)
                if not m:
                    return None
                address, stamp, request, status, size, _referer, ua = m.groups()
                ua = (ua or "").replace('\\"', '"')
            if not status.isdigit():
                return None
            method, target = _request(request)
        status_code, sent = int(status), _size(size)
        try:
            day = self._day(_apache_day_key(stamp), stamp)
        except (ValueError, KeyError):
            return None
        return Hit(day, address, ua, method, _path(target), status_code, status_code == 206 and sent <= 2, sent)


class S3Reader(Reader):
    """S3 server access logs: owner bucket [time] ip requester request-id operation key "request-uri" status error
    bytes-sent object-size total-time turn-around "referer" "user-agent" ... (fields after it are ignored). No
    Range header either: a 206 of two bytes or fewer is a probe."""

    name = "s3"

    def __init__(self) -> None:
        self._day = _Days(_apache_time)

    def parse(self, line: str) -> Hit | None:
        m = _S3.match(line)
        if not m:
            return None
        stamp, address, operation, request, status, size, _referer, ua = m.groups()
        if not status.isdigit():
            return None
        method, target = _request(request)
        if not method and operation.count(".") >= 2:
            method = operation.split(".")[1]  # REST.GET.OBJECT
        status_code, sent = int(status), _size(size)
        try:
            day = self._day(_apache_day_key(stamp), stamp)
        except (ValueError, KeyError):
            return None
        return Hit(day, address, ua.replace('\\"', '"'), method, _path(target), status_code,
                   status_code == 206 and sent <= 2, sent)


class CloudFrontReader(Reader):
    """CloudFront standard logs: tab-separated, columns named by `#Fields:`, times in UTC, the user agent
    percent-encoded; sc-range-start/sc-range-end show a 0-1 probe."""

    name = "cloudfront"
    DEFAULT = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
               "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
               "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
               "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
               "x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end").split()

    def __init__(self) -> None:
        self._day = _Days(lambda s: dt.datetime.fromisoformat(s.replace(" ", "T") + "+00:00"))
        self._columns(self.DEFAULT)

    def _columns(self, names: list[str]) -> None:
        at = {name: i for i, name in enumerate(names)}
        self._at = (at["date"], at["time"], at["c-ip"], at["cs(User-Agent)"], at["cs-method"], at["cs-uri-stem"],
                    at["sc-status"], at["sc-bytes"], at.get("sc-range-start"), at.get("sc-range-end"))
        self._width = max(i for i in self._at if i is not None) + 1

    def header(self, line: str) -> None:
        if line.startswith("#Fields:"):
            self._columns(line.split(":", 1)[1].split())

    def parse(self, line: str) -> Hit | None:
        f = line.rstrip("\r\n").split("\t")
        if len(f) < self._width or line.startswith("#"):
            return None
        date, time, ip, ua, method, stem, status, size, start, end = (f[i] if i is not None else "-" for i in self._at)
        if not status.isdigit():
            return None
        try:
            day = self._day(date + time[:2], f"{date} {time}")
        except ValueError:
            return None
        ua = unquote(unquote(ua)) if "%" in ua else ua  # CloudFront encodes it, some characters twice
        return Hit(day, ip, "" if ua == "-" else ua, method, _path(stem), int(status), start == "0" and end == "1",
                   _size(size))


READERS: dict[str, type[Reader]] = {r.name: r for r in (StudioReader, S3Reader, CloudFrontReader, CombinedReader)}


def detect(first_line: str) -> str | None:
    """The format of a log from its first line, or None."""
    line = first_line.lstrip("\ufeff")
    if line.startswith("{"):
        return "studio"
    if line.startswith("#Version") or line.startswith("#Fields"):
        return "cloudfront"
    if _S3.match(line):
        return "s3"
    if _COMBINED.match(line):
        return "combined"
    return None
