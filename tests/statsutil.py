"""Helpers for the statistics tests: a real MP3 episode, and log lines in each format a server writes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from conftest import add_fake_episode

from studio.stats.identity import Anonymizer
from studio.workspace.layout import STATS_SALTS_DIR
from studio.workspace.tree import Workspace

APP = "AppleCoreMedia/1.0.0.20G75 (iPhone; U; CPU OS 16_6 like Mac OS X; en_us)"
PODCAST_ADDICT = "PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
          "Safari/537.36")


def real_mp3(ffmpeg: str, folder: Path) -> bytes:
    """Two seconds of tone as MP3 128 kbit/s CBR with an ID3v2 tag, made by ffmpeg."""
    out = folder / "tone.mp3"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3", "-metadata", "title=Uji",
                    str(out)], check=True)
    return out.read_bytes()


def tag_size(data: bytes) -> int:
    assert data[:3] == b"ID3"
    return 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])


def mp3_episode(workspace: Workspace, ffmpeg: str, slug: str = "2026-11-01-dpt", show: str = "kpu") -> int:
    """An episode whose podcast.mp3 is a real MP3; returns the bytes a download needs (tag + 60 s at 128k)."""
    data = real_mp3(ffmpeg, workspace.root.parent)
    add_fake_episode(workspace, show, slug, title="DPT dan pemilih pindahan", audio=data)
    return tag_size(data) + 128_000 // 8 * 60


def when(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class StudioLog:
    """Writes Studio's access log lines the way `studio serve` does (the line format of docs/statistics.md)."""

    def __init__(self, workspace: Workspace, path: Path | None = None) -> None:
        self.anonymizer = Anonymizer(workspace.root / STATS_SALTS_DIR)
        self.path = path
        self.workspace = workspace

    def line(self, stamp: str, address: str, ua: str, path: str, *, status: int = 200, sent: int = 0,
             range_: str | None = None, method: str = "GET") -> str:
        record = {"time": stamp, "client": self.anonymizer.client(address, when(stamp)),
                  "country": self.anonymizer.country(address), "ua": ua, "method": method, "path": path,
                  "status": status, "range": range_, "sent": sent}
        if self.anonymizer.is_datacentre(address):
            record["dc"] = True
        return json.dumps(record)

    def write(self, *lines: str) -> Path:
        folder = self.workspace.root / "logs" / "access"
        folder.mkdir(parents=True, exist_ok=True)
        path = self.path or folder / "2026-11-03.jsonl"
        with open(path, "a", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
        return path


def combined(address: str, stamp: str, ua: str, path: str, status: int = 200, sent: int = 0,
             method: str = "GET") -> str:
    """nginx/Apache combined: stamp like 03/Nov/2026:08:00:00 +0700."""
    return f'{address} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {sent} "-" "{ua}"'


def s3(address: str, stamp: str, ua: str, key: str, status: int = 200, sent: int = 0, method: str = "GET") -> str:
    """An S3 server access log record (docs.aws.amazon.com, "Amazon S3 server access log format")."""
    op = {"GET": "REST.GET.OBJECT", "HEAD": "REST.HEAD.OBJECT"}[method]
    return (f"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be podcast-bucket [{stamp}] {address} "
            f"- 3E57427F3EXAMPLE {op} {key} \"{method} /{key} HTTP/1.1\" {status} - {sent or '-'} 9999999 70 10 "
            f"\"-\" \"{ua}\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= "
            "SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader podcast-bucket.s3.us-west-1.amazonaws.com TLSV1.2 - -")


CLOUDFRONT_HEADER = (
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
    "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
    "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
    "sc-content-type sc-content-len sc-range-start sc-range-end\n")


def cloudfront(address: str, date: str, time: str, ua: str, path: str, status: int = 200, sent: int = 0,
               method: str = "GET", range_: tuple[str, str] = ("-", "-")) -> str:
    fields = [date, time, "CGK50-C1", str(sent), address, method, "d111111abcdef8.cloudfront.net", path,
              str(status), "-", ua.replace(" ", "%20"), "-", "-", "Hit", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
              "podcast.example.go.id", "https", "23", "0.001", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit",
              "HTTP/2.0", "-", "-", "11040", "0.001", "Hit", "audio/mpeg", str(sent), *range_]
    return "\t".join(fields)
