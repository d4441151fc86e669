"""Radio delivery: the manifest of broadcast files, the pull client, the token check, stations, the delivery log.

    manifest    what publishing writes to the radio target
    pull        the station's client (`studio radio pull`), over sources (a `studio serve` URL or the folder)
    auth        the bearer-token check of the pull API (`studio serve`)
    stations    the stations allowed to pull, each with its token's hash
    deliveries  the log of what the pull API sent to each station
"""

from .auth import check_bearer
from .manifest import (
           MANIFEST_NAME,
           MANIFEST_VERSION,
           RADIO_DIR,
           RadioDelivery,
           build_manifest,
           manifest_bytes,
           radio_delivery,
           radio_files,
)
from .pull import LOCK_NAME, STATE_NAME, TOKEN_ENV, Failure, PullReport, pull, resolve_token
from .sources import PullError

__all__ = ["LOCK_NAME", "MANIFEST_NAME", "MANIFEST_VERSION", "RADIO_DIR", "STATE_NAME", "TOKEN_ENV", "Failure",
           "PullError", "PullReport", "RadioDelivery", "build_manifest", "check_bearer", "manifest_bytes", "pull",
           "radio_delivery", "radio_files", "resolve_token"]
