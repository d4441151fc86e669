"""Every string the web app shows, in Bahasa Indonesia (the default) and English (`lang = "en"`).

Templates call `t("key")`; Python code calls `translate(lang, "key")`. A key missing in a language falls back
to Indonesian (tests check both languages have every key). The tables: `base` (a dict per language), and
one module an area (each key with its Indonesian and English text), listed in TABLES; `messages` holds the
library's errors in the page's words (studio/web/messages.py maps them).
"""

from __future__ import annotations

from . import (
    basics,
    clips,
    episode,
    faults,
    messages,
    progress,
    radio,
    review,
    scheduler,
    settings,
    sound,
    speakers,
    stats,
    times,
)
from .base import STRINGS

TABLES = (  # one a line, so that each area adds its own
    basics.BASICS_STRINGS,
    clips.CLIP_STRINGS,
    episode.EPISODE_PAGE_STRINGS,
    faults.ACCESS_STRINGS,
    faults.APPROVAL_AND_EDITS_STRINGS,
    faults.UPLOAD_FAULT_STRINGS,
    progress.PROGRESS_STRINGS,
    messages.LIBRARY_MESSAGE_STRINGS,
    radio.RADIO_PUSH_STRINGS,
    radio.RADIO_RECORDING_STRINGS,
    review.REVIEW_STRINGS,
    settings.SETTINGS_STRINGS,
    scheduler.SCHEDULER_STRINGS,
    sound.SOUND_STRINGS,
    speakers.SPEAKERS_STRINGS,
    stats.STATS_STRINGS,
    times.TIME_STRINGS,
)
for _table in TABLES:
    for _key, (_id, _en) in _table.items():
        STRINGS["id"][_key], STRINGS["en"][_key] = _id, _en

LANGS = tuple(STRINGS)


def translate(lang: str, key: str) -> str:
    return STRINGS.get(lang, STRINGS["id"]).get(key) or STRINGS["id"].get(key, key)
