"""The token check of the radio pull API: which station, if any, an Authorization header names."""

from __future__ import annotations

import hmac
from typing import Iterable

from ..workspace.config import Station
from .stations import hash_token


def check_bearer(authorization: str | None, stations: Iterable[Station]) -> str | None:
    """The station whose token is in an `Authorization: Bearer <token>` header, else None.

    Every station's hash is compared, in constant time, so the answer's timing
    says nothing about which (or whether a) hash was close.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    digest = hash_token(token).encode()
    found = None
    for station in stations:
        if hmac.compare_digest(digest, station.token_sha256.lower().encode("utf-8")) and found is None:
            found = station.name
    return found
