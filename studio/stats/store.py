"""The counts database, .studio/stats/counts.sqlite3: what was read, the listeners of open windows, daily counts.

    sources      what each log read so far was: the hash of its first line, how far it was read, the sha256 of
                 those bytes (a log read twice, under any name, counts once; an appended one, only its new part)
    access_files Studio's own access logs: how far each was read, and the hash of the 4 KiB before that point
    listeners    one row per listener key + user agent + episode + open counting day: the bytes received so
                 far, the app, platform and country (deleted when the day is counted)
    downloads    downloads per day, episode, app, platform and country, once the day's window closed
    daily        downloads per day and show (the chart)
    monthly      downloads per month and show of each episode, app, platform and country (`dimension`, `name`)
    views        clip page views per day, episode and clip
    thresholds   the bytes a download needs per episode: the ID3 tag plus one minute at its bitrate
    skipped      requests that counted nothing, by reason (bot, datacentre, late, unreadable)
    meta         counted_through: the last day counted for good
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (first TEXT, upto INTEGER, digest TEXT, name TEXT, read_at TEXT,
    PRIMARY KEY (first, upto)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS access_files (name TEXT PRIMARY KEY, upto INTEGER, tail TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listeners (day TEXT, episode TEXT, client TEXT, ua TEXT, bytes INTEGER, app TEXT,
    platform TEXT, country TEXT, PRIMARY KEY (day, episode, client, ua)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS downloads (day TEXT, episode TEXT, app TEXT, platform TEXT, country TEXT,
    count INTEGER, PRIMARY KEY (day, episode, app, platform, country)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily (day TEXT, show TEXT, count INTEGER, PRIMARY KEY (day, show)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS monthly (month TEXT, show TEXT, dimension TEXT, name TEXT, count INTEGER,
    PRIMARY KEY (month, show, dimension, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS views (day TEXT, episode TEXT, clip TEXT, count INTEGER,
    PRIMARY KEY (day, episode, clip)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thresholds (episode TEXT PRIMARY KEY, bytes INTEGER, size INTEGER, mtime_ns INTEGER)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skipped (reason TEXT PRIMARY KEY, count INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""


def connect(path: Path) -> sqlite3.Connection:
    """The database at `path`, made with its folder (owner-only) when missing. Autocommit off: callers commit."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    path.chmod(0o600)
    return db


def meta(db: sqlite3.Connection, key: str, default: str = "") -> str:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
