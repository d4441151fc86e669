"""Every file Studio keeps in a workspace, named once.

    studio.toml                    the workspace's settings (config.Settings)
    feeds/<show>.toml              a show (config.Show), its artwork beside it
    episodes/<show>/<episode>/     one episode: the files of EpisodeFiles below
    .studio/                       the workspace's records: the episode index, users, audit log, jobs, uploads
    logs/                          deliveries to radio stations; the media access log (stats/)
    <cache_dir>/                   what can be deleted and made again: publish caches, the site as last built

What is published, and under which keys, is studio.publish.layout's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SETTINGS_FILE = "studio.toml"
FEEDS_DIR = "feeds"
EPISODES_DIR = "episodes"

# The workspace's records (.studio/ at its root)
RECORDS_DIR = ".studio"
INDEX_FILE = f"{RECORDS_DIR}/index.sqlite3"  # workspace.index: the one episode catalogue
JOBS_FILE = f"{RECORDS_DIR}/jobs.sqlite3"  # the local job queue
UPLOADS_DIR = f"{RECORDS_DIR}/uploads"  # uploads from the web app, until ingested (workspace.uploads)
UPLOADS_LOCK_FILE = f"{UPLOADS_DIR}/.lock"  # held while an upload is created (the per-user limits)
# In an upload's folder, .studio/uploads/<id>/
UPLOAD_META_FILE = "upload.json"  # who, the declared size and checksum, the file's name; then its ingest job
UPLOAD_LOCK_FILE = "lock"  # flock'd by the one writer: the offset check and the append under one hold
UPLOAD_DATA_DIR = "data"  # the bytes, as data/<the file's name>: no name collides with the records
USERS_FILE = f"{RECORDS_DIR}/users.json"
USERS_LOCK_FILE = f"{RECORDS_DIR}/users.lock"
LOGIN_FAILURES_FILE = f"{RECORDS_DIR}/login-failures.json"
AUDIT_FILE = f"{RECORDS_DIR}/audit.log"
WEB_SECRET_FILE = f"{RECORDS_DIR}/web-secret"
SETTINGS_LOCK_FILE = f"{RECORDS_DIR}/settings.lock"  # held while studio.toml is changed from the web app
OFFICE_LOGO_STEM = "office-logo"  # the office's logo at the workspace's root: office-logo.png or .jpg (Settings.office_logo)
RADIO_DELIVERIES_FILE = "logs/radio-deliveries.jsonl"
STATION_KEYS_DIR = f"{RECORDS_DIR}/station-keys"  # a push station's API key, one file per station, 0600
RADIO_PUSH_FILE = f"{RECORDS_DIR}/radio-push.json"  # what each push station holds of each episode (radio.push.run)
RADIO_PUSH_LOCK_FILE = f"{RECORDS_DIR}/radio-push.lock"  # held by one `studio radio push` at a time
RADIO_PUSH_JOURNAL_DIR = f"{RECORDS_DIR}/radio-push-journal"  # <station>/<show>/<slug>/: an upload cut off mid-way
RECORDINGS_LOG_FILE = "logs/recordings.jsonl"  # every off-air recording's states: started, done, failed, missed
RECORDINGS_DIR = f"{RECORDS_DIR}/recordings"  # captured streams until ingested (one that failed to ingest stays)
RECORDINGS_LOCK_FILE = f"{RECORDS_DIR}/recordings.lock"  # held while a recording is claimed in the log
RECORDER_STATE_FILE = f"{RECORDS_DIR}/recorder.json"  # when a recorder last looked at the schedule (missed starts)
WATCH_DIR = f"{RECORDS_DIR}/watch"  # the watch folders' scans: <show>.json (each file's size and mtime, how often
# seen so), <show>.lock (one scan of a show at a time)
WATCH_DONE_DIR = "done"  # in a show's watch folder: files ingested, each with its <name>.alasan.txt
WATCH_REFUSED_DIR = "refused"  # files refused (unreadable, too short, already an episode), with their reason
WATCH_REASON_SUFFIX = ".alasan.txt"  # the one-line reason file beside a moved file
ACCESS_LOG_DIR = "logs/access"  # `studio serve`'s access log, one JSON-lines file a day (stats.accesslog)
STATS_DIR = f"{RECORDS_DIR}/stats"  # the listener statistics: the counts database, the daily salts (stats/)
STATS_DB_FILE = f"{STATS_DIR}/counts.sqlite3"  # what was read, listeners of open windows, daily counts (stats.store)
STATS_SALTS_DIR = f"{STATS_DIR}/salts"  # one salt a counting day, destroyed after it (stats.identity)
STATS_LISTS_DIR = f"{STATS_DIR}/lists"  # `studio stats update-lists`: newer lists than the shipped ones

# In the cache folder (Settings.cache_dir)
PUBLISH_HASHES_FILE = "publish-hashes.json"  # sha256 of each published source file, by size and mtime
PUBLISH_PLAN_FILE = "publish-plan.json"  # the last publish plan and the fingerprint of its inputs
PUBLISH_FEEDS_DIR = "publish-feeds"  # each show's feed as last rendered, and the key of its inputs
PUBLISH_JOURNAL_DIR = "publish-journal"  # per target: uploads finished but not yet in its manifest
PUBLISH_LOCK_FILE = "publish.lock"
SITE_DIR = "site"  # the listener site as last built

# An episode's folder
EPISODE_FILE = "episode.toml"
STATE_DIR = ".studio"
PODCAST_FILE = "podcast.mp3"
BROADCAST_FILE = "broadcast.wav"
TRANSCRIPT_FILES = {"vtt": "transcript.vtt", "srt": "transcript.srt", "json": "transcript.json",
                    "txt": "transcript.txt"}
TRANSCRIPT_STATE_FILE = ".transcript-state.json"  # the sha256 of each VTT Studio wrote (so an edit shows)
CHAPTERS_FILE = "chapters.json"
CLIPS_DIR = "clips"
EPISODE_ARTWORK_NAME = "artwork"  # artwork.jpg or artwork.png: the episode's own (itunes:image), else the show's
ANALYSIS_FILE = "analysis.json"  # the original's loudness analysis, made at ingest
STATE_FILE = f"{STATE_DIR}/state.json"  # what each stage made and from what (its key)
LOCK_FILE = f"{STATE_DIR}/lock"
EDIT_LOCK_FILE = f"{STATE_DIR}/edit.lock"  # held for a moment around each compare-and-swap of a producer's file
GOOD_VTT_FILE = f"{STATE_DIR}/transcript.good.vtt"  # the VTT the transcript files were last made from
RAW_TRANSCRIPT_FILE = f"{STATE_DIR}/transcript.raw.json"  # the model's words and timings, before the text rules
SPEAKERS_RAW_FILE = f"{STATE_DIR}/speakers.raw.json"  # the machine's speaker turns and voice prints (speakers)
SPEAKERS_FILE = "speakers.json"  # the producer's names, merges and moved lines over the machine's speakers
PEAKS_FILE = f"{STATE_DIR}/peaks.json"  # the waveform the episode page draws
LOUDNESS_REPORT_FILE = f"{STATE_DIR}/loudness-report.json"
APPROVAL_FILE = f"{STATE_DIR}/approval.json"
REPLACED_DIR = f"{STATE_DIR}/replaced"  # a replaced recording's producer edits
RADIO_FACTS_FILE = f"{STATE_DIR}/radio.json"  # sha256 and format of broadcast.wav, by its stat (radio manifest)
CLIP_SCRATCH_DIR = f"{STATE_DIR}/clip-scratch"  # the clip renderer's temporary files, emptied before each run
SOUND_FILE = f"{STATE_DIR}/sound.json"  # the sound processing's figures (media.processing.SoundFigures) and key
SHOW_VOICES_SUFFIX = ".voices.json"  # feeds/<show>.voices.json: the show's known voices (name → voice print)
SOUND_ANALYSIS_FILE = f"{STATE_DIR}/sound-analysis.json"  # what the sound processing's pass learned (its cache)
# the episode's run as the pages show it (stage, percent, time left); in a folder of its own, so that its writes
# (each second) leave .studio/'s modification time, the index's signature of the episode, as it is
PROGRESS_FILE = f"{STATE_DIR}/progress/run.json"


@dataclass(frozen=True)
class EpisodeFiles:
    """The paths of one episode folder's files."""

    folder: Path

    @property
    def toml(self) -> Path:
        return self.folder / EPISODE_FILE

    def original(self, name: str) -> Path:
        return self.folder / name

    @property
    def podcast(self) -> Path:
        return self.folder / PODCAST_FILE

    @property
    def broadcast(self) -> Path:
        return self.folder / BROADCAST_FILE

    def transcript(self, kind: str = "vtt") -> Path:
        return self.folder / TRANSCRIPT_FILES[kind]

    @property
    def vtt(self) -> Path:
        return self.folder / TRANSCRIPT_FILES["vtt"]

    @property
    def chapters(self) -> Path:
        return self.folder / CHAPTERS_FILE

    @property
    def clips(self) -> Path:
        return self.folder / CLIPS_DIR

    @property
    def analysis(self) -> Path:
        return self.folder / ANALYSIS_FILE

    @property
    def state_dir(self) -> Path:
        return self.folder / STATE_DIR

    @property
    def state(self) -> Path:
        return self.folder / STATE_FILE

    @property
    def lock(self) -> Path:
        return self.folder / LOCK_FILE

    @property
    def raw_transcript(self) -> Path:
        return self.folder / RAW_TRANSCRIPT_FILE

    @property
    def peaks(self) -> Path:
        return self.folder / PEAKS_FILE

    @property
    def loudness_report(self) -> Path:
        return self.folder / LOUDNESS_REPORT_FILE

    @property
    def approval(self) -> Path:
        return self.folder / APPROVAL_FILE

    @property
    def replaced(self) -> Path:
        return self.folder / REPLACED_DIR

    @property
    def clip_scratch(self) -> Path:
        return self.folder / CLIP_SCRATCH_DIR

    @property
    def sound(self) -> Path:
        return self.folder / SOUND_FILE

    @property
    def sound_analysis(self) -> Path:
        return self.folder / SOUND_ANALYSIS_FILE

    @property
    def speakers_raw(self) -> Path:
        return self.folder / SPEAKERS_RAW_FILE

    @property
    def speakers(self) -> Path:
        return self.folder / SPEAKERS_FILE
