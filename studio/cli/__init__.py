"""The `studio` command line: parses options, calls the library, prints (see DESIGN.md's contract).

One module per area: episodes (ingest, process, run, status, clip, transcript, approve), publishing
(publish, serve), radio (station, radio), stats (stats, its import and lists), workspace (init, show, user, doctor) and work (worker, jobs,
web). None of them holds logic of its own.
"""

from __future__ import annotations

from . import basics, episodes, publishing, radio, record, stats, work, workspace  # noqa: F401 - each adds its commands
from .base import cli


def main() -> None:
    cli(prog_name="studio")
