"""Programmes recorded off the air into episodes (issue 25, part 2).

    schedule   when the shows' [[recordings]] start, in their time zones; each airing's key and title
    session    one recording: the stream captured (media.capture), ingested as an episode, logged
    listing    what `studio recordings` and the radio page show: the last states, the airings to come
    log        the recordings log (logs/recordings.jsonl): started, done (with its gaps), failed, missed
    recorder   `studio recorder`: sleeps until the next start, records, hands each episode on to be processed
"""

from . import listing, log
from .log import Entry
from .recorder import ProcessHere, Recorder
from .schedule import Occurrence, episode_title, next_start, starts_between
from .session import Recorded, Take, record

__all__ = ["Entry", "listing", "log", "Occurrence", "ProcessHere", "Recorded", "Recorder", "Take", "episode_title", "next_start",
           "record", "starts_between"]
