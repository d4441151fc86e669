"""Who a request came from, without keeping who: a keyed hash of the address and its country.

INTERFACE STUB (lead, issue 26): the stats-core helper replaces the bodies; the signatures stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path


class Anonymizer:
    """Turns a client address into the listener key kept on disk: a keyed hash (HMAC-SHA256) of the IPv4 address
    or the IPv6 /64, with a salt of the request's day that is destroyed once that day's counting window has
    closed. `salts_dir` is the workspace's .studio/stats/salts (created on first use, owner-only)."""

    def __init__(self, salts_dir: Path) -> None:
        self.salts_dir = salts_dir

    def client(self, address: str, when: dt.datetime) -> str:
        """The listener key of `address` at `when` (UTC): the same for one address within one day's salt."""
        return hashlib.sha256(f"stub:{when.date()}:{address}".encode()).hexdigest()[:32]

    def country(self, address: str) -> str:
        """ISO 3166-1 alpha-2 code of the address (offline lookup), or "ZZ" when unknown or private."""
        return "ZZ"
