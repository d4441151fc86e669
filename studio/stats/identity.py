"""Who a request came from, without keeping who: a keyed hash of the address and its country.

A listener's key is HMAC-SHA256 over the IPv4 address, or over the IPv6 address cut to its /64 (one household or
phone behind one prefix), keyed with a random salt of the request's counting day. A day is a calendar day in
WIB (UTC+07:00), the counting window (docs/statistics.md). Salts are files of 32 random bytes in
.studio/stats/salts/ (owner-only); a day's salt is destroyed once its window has closed and the grace for late
logs has passed (`destroy_salts`), after which nobody, Studio included, can tell which address a key was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import ipaddress
import os
import secrets
import socket
from pathlib import Path

from .lists import DataCentres, lists_dir

WINDOW_ZONE = dt.timezone(dt.timedelta(hours=7), "WIB")  # a counting window is one calendar day here
CLOSED_FILE = "closed-through"  # the last day whose salt was destroyed: no key is made for it again


class WindowClosed(ValueError):
    """The day's salt is gone: its window closed, so a late request can no longer be keyed."""


def window_day(when: dt.datetime) -> str:
    """The counting day (YYYY-MM-DD, WIB) of an aware datetime."""
    return when.astimezone(WINDOW_ZONE).date().isoformat()


def network(address: str) -> str:
    """What identifies a listener's connection: the IPv4 address, or the IPv6 /64 (an IPv4-mapped IPv6 address
    is its IPv4 address). ValueError when it is no address."""
    if ":" not in address:
        try:
            socket.inet_aton(address)  # the common case, fast
        except OSError:
            raise ValueError(f"{address!r} is not an IP address") from None
        if address.count(".") == 3:
            return address
    ip = ipaddress.ip_address(address.strip().strip("[]").split("%")[0])
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


class Anonymizer:
    """Turns a client address into the listener key kept on disk: a keyed hash (HMAC-SHA256) of the IPv4 address
    or the IPv6 /64, with a salt of the request's day that is destroyed once that day's counting window has
    closed. `salts_dir` is the workspace's .studio/stats/salts (created on first use, owner-only)."""

    def __init__(self, salts_dir: Path, lists: Path | None = None) -> None:
        self.salts_dir = salts_dir
        self._lists = lists  # the workspace's own lists folder (stats.lists.lists_dir), else the shipped lists
        self._salts: dict[str, bytes] = {}
        self._keys: dict[tuple[str, str], str] = {}
        self._datacentres: DataCentres | None = None

    def client(self, address: str, when: dt.datetime) -> str:
        """The listener key of `address` at `when` (UTC): the same for one address within one day's salt.
        ValueError when `address` is no IP address; WindowClosed when that day's salt was destroyed."""
        return self.key(network(address), window_day(when))

    def key(self, net: str, day: str) -> str:
        """The listener key of a `network()` on a counting `day`."""
        found = self._keys.get((day, net))
        if found is None:
            if len(self._keys) > 200_000:
                self._keys.clear()
            digest = hmac.digest(self.salt(day), net.encode("ascii"), "sha256").hex()[:32]
            found = self._keys[(day, net)] = digest
        return found

    def country(self, address: str) -> str:
        """ISO 3166-1 alpha-2 code of the address (offline lookup), or "ZZ" when unknown or private."""
        from iptocc import country_code  # the registries' delegations, embedded in the wheel (~0.1 µs a lookup)

        try:
            return country_code(address.strip().strip("[]")) or "ZZ"
        except (ValueError, TypeError):
            return "ZZ"

    def is_datacentre(self, address: str) -> bool:
        """Whether the address is in a data centre's range (a server, not a listener): such requests count nothing."""
        if self._datacentres is None:
            self._datacentres = DataCentres(lists_dir(self._lists))
        return address.strip().strip("[]") in self._datacentres

    # -- the salts ------------------------------------------------------------------------------------------

    def salt(self, day: str) -> bytes:
        """The salt of `day`, made on first use: written under a hidden name and linked into place, so two
        processes (the server and an import) asking at once end up with the same one."""
        salt = self._salts.get(day)
        if salt is not None:
            return salt
        if day <= self.closed_through():
            raise WindowClosed(f"the counting window of {day} has closed")
        path = self.salts_dir / day
        try:
            salt = path.read_bytes()
        except FileNotFoundError:
            self.salts_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.salts_dir, 0o700)
            temp = self.salts_dir / f".{day}.{secrets.token_hex(8)}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, secrets.token_bytes(32))
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(temp, path)
            except FileExistsError:
                pass
            finally:
                temp.unlink()
            salt = path.read_bytes()
        self._salts[day] = salt
        return salt

    def closed_through(self) -> str:
        try:
            return (self.salts_dir / CLOSED_FILE).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return ""

    def destroy_salts(self, through: str) -> None:
        """Destroy the salts of every day up to `through` (YYYY-MM-DD) and refuse those days from now on."""
        if not self.salts_dir.is_dir():
            return
        if through > self.closed_through():
            temp = self.salts_dir / f".{CLOSED_FILE}.{secrets.token_hex(8)}"
            temp.write_text(through + "\n", encoding="ascii")
            os.replace(temp, self.salts_dir / CLOSED_FILE)
        for path in self.salts_dir.iterdir():
            if not path.name.startswith(".") and path.name != CLOSED_FILE and path.name <= through:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        for day in [day for day in self._salts if day <= through]:
            del self._salts[day]
        self._keys = {k: v for k, v in self._keys.items() if k[0] > through}
