"""A real Icecast server (Debian's icecast2) on a loopback port, and ffmpeg sources feeding it: the live streams of
tests/test_record.py and scripts/bench-record."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import free_port, stop

from studio.media.ffmpeg import find_ffmpeg

ICECAST = "/usr/bin/icecast2"


class Icecast:
    """icecast2 on a free loopback port, its settings in a folder of the test's, its log on stderr."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.password = folder, free_port(), secrets.token_hex(8)
        owner = "<changeowner><user>nobody</user><group>nogroup</group></changeowner>" if os.getuid() == 0 else ""
        (folder / "icecast.xml").write_text(f"""<icecast>
  <limits><clients>20</clients><sources>4</sources></limits>
  <authentication><source-password>{self.password}</source-password>
    <admin-user>admin</admin-user><admin-password>{secrets.token_hex(8)}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><logdir>{folder}</logdir><webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>-</accesslog><errorlog>-</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""")
        self.log = open(folder / "icecast.log", "ab")
        self.process = subprocess.Popen([ICECAST, "-c", str(folder / "icecast.xml")], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self._wait_until_it_answers()

    def _wait_until_it_answers(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"icecast2 exited: {(self.folder / 'icecast.log').read_text()[-500:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status-json.xsl", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                assert time.monotonic() < deadline, "icecast2 never answered"
                time.sleep(0.1)

    def url(self, mount: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mount}"

    def source(self, mount: str, seconds: float = 600) -> subprocess.Popen:
        """The bundled ffmpeg playing a tone over noise into `mount`, in real time (-re)."""
        ffmpeg = find_ffmpeg().path
        return subprocess.Popen(
            [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
             f"sine=frequency=440:duration={seconds}", "-f", "lavfi", "-i", f"anoisesrc=d={seconds}:a=0.05",
             "-filter_complex", "amix=inputs=2", "-c:a", "libmp3lame", "-b:a", "128k", "-content_type", "audio/mpeg",
             "-f", "mp3", f"icecast://source:{self.password}@127.0.0.1:{self.port}/{mount}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def mounted(self, mount: str, timeout: float = 60.0) -> None:
        """Wait until `mount` has its source (Icecast lists it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status-json.xsl", timeout=5) as answer:
                    if f"/{mount}" in answer.read().decode("utf-8", "replace"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"/{mount} never came up")

    def stop(self) -> None:
        stop(self.process)
        self.log.close()
