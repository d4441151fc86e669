"""Pushing broadcast files to stations (issue 25, part 1): station kinds and their key file, the Rivendell drop
box, `studio radio push` (idempotent, replacing a changed file, one station's failure not stopping the others,
two pushes at once, a kill mid-copy resumed), --expire, and `studio publish` pushing.

AzuraCast and LibreTime are stood in for by FakePusher (their own tests hold them to the projects' OpenAPI
documents); the Rivendell drop box is the real one, on real broadcast WAVs made by `process`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.cli import cli
from studio.fsutil import file_lock, sha256_file
from studio.media.cart import read_cart
from studio.radio import deliveries
from studio.radio import stations as stations_mod
from studio.radio.push import records as records_mod
from studio.radio.push import run as push_mod
from studio.radio.push.base import PushError, PushItem, Remote
from studio.radio.push.rivendell import Rivendell, file_name, parse_name
from studio.workspace.config import load_settings
from studio.workspace.layout import RADIO_PUSH_LOCK_FILE
from studio.workspace.tree import Workspace

KEY = "az-KEY-7f3e9c1d-never-shown"
BEFORE = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
AFTER = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
STUDIO = [sys.executable, "-m", "studio"]


def invoke(ws: Workspace, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), *map(str, args)], input=input,
                              catch_exceptions=False)


@pytest.fixture
def ws(processed_workspace: Workspace, tmp_path: Path) -> Workspace:
    """A copy of the processed workspace: two episodes of show kpu with broadcast WAVs (no air window)."""
    shutil.copytree(processed_workspace.root, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def add_rivendell(ws: Workspace, name: str = "abdi", first: int = 50000, last: int = 50099) -> Path:
    drop = ws.root.parent / f"drop-{name}"
    drop.mkdir()
    stations_mod.add_push_station(ws, name, "rivendell", drop_folder=str(drop), cart_first=first, cart_last=last,
                                  group="STUDIO", scheduler_code="KPU")
    return drop


class FakePusher:
    """An API station's stand-in: remembers every call, fails as told, uses its journal as a real one would."""

    def __init__(self, key: str, fail: PushError | None = None):
        self.key, self.fail = key, fail
        self.pushed: list[tuple[PushItem, Remote | None, Path]] = []
        self.expired: list[tuple[Remote, bool]] = []

    def push(self, item, previous, journal, progress=None):
        self.pushed.append((item, previous, journal))
        if self.fail:
            raise self.fail
        journal.mkdir(parents=True, exist_ok=True)
        (journal / "upload.json").write_text("{}")
        if progress:
            progress(item.bytes, item.bytes)
        return Remote(sha256=item.sha256, media_id=f"media-{len(self.pushed)}", playlist_id="pl-1")

    def expire(self, remote, delete_file=False):
        self.expired.append((remote, delete_file))


@pytest.fixture
def fakes(monkeypatch):
    """The azuracast and libretime kinds made FakePushers (one per station, by name), given the key from the
    station's key file."""
    made: dict[str, FakePusher] = {}
    failing: dict[str, PushError] = {}

    def factory(ws, station):
        made[station.name] = FakePusher(stations_mod.read_key(ws, station), failing.get(station.name))
        return made[station.name]

    monkeypatch.setitem(push_mod.KINDS, "azuracast", factory)
    monkeypatch.setitem(push_mod.KINDS, "libretime", factory)
    made["_failing"] = failing  # type: ignore[assignment]
    return made


def everything_under(*roots: Path) -> bytes:
    data = b""
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "station-keys" not in path.parts:
                data += path.read_bytes()
    return data


# -- stations of each kind -----------------------------------------------------------------------------------

def test_a_station_of_each_kind_is_added_and_the_key_is_kept_apart(ws, fakes):
    drop = ws.root.parent / "drop"
    drop.mkdir()
    pulled = invoke(ws, "station", "add", "rri")
    assert pulled.exit_code == 0 and pulled.stdout.strip()  # a pull station still gets its token
    az = invoke(ws, "station", "add", "abdi-az", "--kind", "azuracast", "--url", "https://radio.example.go.id",
                "--station-id", "1", "--timezone", "Asia/Makassar", input=KEY + "\n")  # the hidden prompt
    lt = invoke(ws, "station", "add", "abdi-lt", "--kind", "libretime", "--url", "https://lt.example.go.id",
                "--api-key-stdin", input=KEY + "\n")  # DESIGN.md's spelling of --key-stdin
    rv = invoke(ws, "station", "add", "abdi-rv", "--kind", "rivendell", "--dropbox", drop,
                "--cart-first", "50000", "--cart-last", "50009", "--group", "STUDIO", "--scheduler-code", "KPU")
    for result in (az, lt, rv):
        assert result.exit_code == 0, result.output
        assert KEY not in result.stdout and KEY not in result.stderr

    settings = load_settings(ws.settings_path)
    kinds = {s.name: s.kind for s in settings.stations}
    assert kinds == {"rri": "pull", "abdi-az": "azuracast", "abdi-lt": "libretime", "abdi-rv": "rivendell"}
    az_station = next(s for s in settings.stations if s.name == "abdi-az")
    assert (az_station.base_url, az_station.station_id, az_station.timezone) == (
        "https://radio.example.go.id", "1", "Asia/Makassar")
    assert KEY not in ws.settings_path.read_text()
    for name in ("abdi-az", "abdi-lt"):
        path = stations_mod.key_path(ws, name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text().strip() == KEY
    assert stat.S_IMODE(stations_mod.key_path(ws, "abdi-az").parent.stat().st_mode) == 0o700
    assert not stations_mod.key_path(ws, "abdi-rv").exists()

    listed = invoke(ws, "station", "list", "--json")
    assert KEY not in listed.stdout and {"abdi-az", "rri"} <= {s["name"] for s in json.loads(listed.stdout)}

    # the key reaches the pusher, and nowhere else: not the output, the published tree, the records, the log,
    # the job records
    published = invoke(ws, "publish")
    assert published.exit_code == 0, published.output
    assert fakes["abdi-az"].key == KEY and fakes["abdi-lt"].key == KEY
    assert KEY not in published.stdout and KEY not in published.stderr
    from studio.jobs import LocalQueue

    queue = LocalQueue(ws)
    queue.enqueue("push", None, {"station": "abdi-az"})
    assert KEY.encode() not in everything_under(ws.root, ws.root.parent / "drop")

    invoke(ws, "station", "remove", "abdi-az")
    assert not stations_mod.key_path(ws, "abdi-az").exists()


def test_station_settings_are_checked(ws):
    bad = [(["--kind", "azuracast", "--url", "https://r.example", "--key-stdin"], "--station-id"),
           (["--kind", "libretime", "--url", "ftp://x", "--key-stdin"], "--url"),
           (["--kind", "rivendell", "--drop-folder", "/tmp/x"], "--cart-first"),
           (["--kind", "rivendell", "--drop-folder", "/tmp/x", "--cart-first", "1", "--cart-last", "9",
             "--name-pattern", "%t%n."], "a character between"),
           (["--kind", "rivendell", "--drop-folder", "/tmp/x", "--cart-first", "1", "--cart-last", "9",
             "--timezone", "Mars/Olympus"], "time zone")]
    for args, said in bad:
        result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "station", "add", "x", *args], input=KEY)
        assert result.exit_code == 2 and said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert KEY not in ws.settings_path.read_text() and not stations_mod.key_path(ws, "x").exists()
    ws.settings_path.write_text(ws.settings_path.read_text() + '\n[stations.y]\nkind = "azuracast"\nflavour = 1\n')
    with pytest.raises(Exception, match="unknown setting"):
        load_settings(ws.settings_path)


# -- the Rivendell drop box ----------------------------------------------------------------------------------

def test_rivendell_names_read_back_by_rdimport_pattern():
    item = PushItem(show="kpu", episode="kpu/x", path=Path("x.wav"), sha256="0" * 64, bytes=1, duration=1.0,
                    title="DPT_baru. 50% / tahap 2", artist="KPU_Kalsel", album="KPU", cart=51234)
    name = file_name("", item)
    assert name.endswith(".wav") and "/" not in name
    assert parse_name("", name) == {"n": "051234", "a": "KPU Kalsel", "t": "DPT baru 50 tahap 2"}
    dated = "%n_%q_%k_%t."
    item = PushItem(**{**item.__dict__, "air_from": dt.datetime(2026, 12, 1, 6, 0,
                                                                tzinfo=dt.timezone(dt.timedelta(hours=8)))})
    assert parse_name(dated, file_name(dated, item)) == {"n": "051234", "q": "2026-12-01", "k": "06:00:00",
                                                         "t": "DPT baru 50 tahap 2"}


def test_rivendell_delivery_is_atomic_idempotent_and_replaces_a_changed_file(ws, monkeypatch):
    drop = add_rivendell(ws)
    sources = {e: ws.episode_dir(e) / "broadcast.wav" for e in ws.episode_ids()}
    whole = {sha256_file(p) for p in sources.values()}
    looks = []

    class Watching(Rivendell):
        """Looks at the drop box while the bytes are on their way, as rdimport would."""

        def push(self, item, previous, journal, progress=None):
            def look(done, total):
                matched = [p for p in drop.iterdir() if fnmatch.fnmatch(p.name, "*.wav")]
                looks.append(len(matched))
                assert all(sha256_file(p) in whole for p in matched)  # never a part of a file
                if progress:
                    progress(done, total)
            return super().push(item, previous, journal, look)

    monkeypatch.setitem(push_mod.KINDS, "rivendell",
                        lambda w, s: Watching(w.root / s.drop_folder, s.name_pattern, s.group))
    report = push_mod.push(ws)
    assert report.exit_code == 0 and [o.state for o in report.outcomes] == ["delivered", "delivered"]
    assert looks and looks[0] == 0  # it looked while the first file was being copied
    files = sorted(p for p in drop.iterdir())
    assert [p.suffix for p in files] == [".wav", ".wav"]  # no part file left
    show_title = ws.show("kpu").title
    by_episode = {}
    for path in files:
        read = parse_name("", path.name)
        assert read["a"] == show_title and 50000 <= int(read["n"]) <= 50099
        by_episode[read["t"]] = path
        assert read_cart(path).title  # the AES46 cart chunk came along
    assert set(by_episode) == {"DPT & pemilih pindahan", "TPS <baru> \"KPPS\" 🗳️"}
    episodes = sorted(o.episode for o in report.outcomes)
    assert sorted(sha256_file(p) for p in files) == sorted(sha256_file(p) for p in sources.values())

    # unchanged: nothing is written, nothing logged; even once rdimport took the file away
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    files[0].unlink()
    again = push_mod.push(ws)
    assert [o.state for o in again.outcomes] == ["unchanged", "unchanged"]
    assert not files[0].exists() and files[1].stat().st_mtime_ns == mtimes[files[1]]
    log = deliveries.read(deliveries.log_path(ws))
    assert len(log) == 2 and all(d.kind == "rivendell" and d.remote_id and d.bytes > 0 for d in log)

    # a changed broadcast file replaces the station's copy, under the same cart number
    changed = sources[episodes[0]]
    with open(changed, "ab") as f:
        f.write(b"\0" * 64)
    carts = {e: r.cart for e, r in records_mod.load(ws).stations["abdi"].items()}
    third = push_mod.push(ws)
    assert [o.state for o in third.outcomes] == ["delivered", "unchanged"]
    record = records_mod.load(ws).get("abdi", episodes[0])
    assert record.cart == carts[episodes[0]] and record.sha256 == sha256_file(changed)
    assert sha256_file(drop / record.remote["media_id"]) == sha256_file(changed)
    assert len(deliveries.read(deliveries.log_path(ws))) == 3


def test_a_full_cart_range_is_one_line_and_the_other_item_goes(ws):
    add_rivendell(ws, first=50000, last=50000)
    report = push_mod.push(ws)
    assert sorted(o.state for o in report.outcomes) == ["delivered", "failed"]
    assert "no cart number left" in report.failed[0].message and report.exit_code == 1


# -- failures, concurrency, kills ----------------------------------------------------------------------------

def test_one_failing_station_does_not_stop_the_others(ws, fakes):
    drop = add_rivendell(ws)
    stations_mod.add_push_station(ws, "abdi-az", "azuracast", KEY, base_url="https://r.example", station_id="1")
    stations_mod.add_push_station(ws, "abdi-lt", "libretime", KEY, base_url="https://lt.example")
    fakes["_failing"]["abdi-az"] = PushError("auth", "AzuraCast refused the API key (401): check it")
    result = invoke(ws, "radio", "push")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]  # the rest: progress
    assert len(errors) == 2 and all(e.startswith("error: abdi-az: kpu/") and "API key" in e for e in errors)
    assert "abdi: 2 delivered" in result.stdout and "abdi-lt: 2 delivered" in result.stdout
    assert len(list(drop.glob("*.wav"))) == 2
    records = records_mod.load(ws)
    assert {r.state for r in records.stations["abdi-az"].values()} == {"failed"}
    assert {r.reason for r in records.stations["abdi-az"].values()} == {"auth"}
    assert {r.state for r in records.stations["abdi-lt"].values()} == {"delivered"}
    # the key fixed: the failed ones go, the delivered ones are not sent again
    fakes["_failing"].clear()
    again = invoke(ws, "radio", "push", "--json")
    outcome = {(o["station"], o["state"]) for o in json.loads(again.stdout)["outcomes"]}
    assert again.exit_code == 0 and outcome == {("abdi-az", "delivered"), ("abdi-lt", "unchanged"),
                                                ("abdi", "unchanged")}


def test_a_changed_title_is_pushed_again_with_the_station_copy_to_replace(ws, fakes):
    stations_mod.add_push_station(ws, "abdi-az", "azuracast", KEY, base_url="https://r.example", station_id="1",
                                  timezone="Asia/Makassar")
    episode_id = sorted(ws.episode_ids())[0]
    episode = ws.episode(episode_id)
    episode.air_from, episode.air_until = "2026-12-01T06:00:00+07:00", "2099-12-01T07:00:00+07:00"
    ws.save_episode(episode)
    push_mod.push(ws, episodes=[episode_id], now=BEFORE)
    first, previous, _ = fakes["abdi-az"].pushed[0]
    assert previous is None and first.air_from.utcoffset() == dt.timedelta(hours=8)  # the station's clock
    assert first.air_from.hour == 7 and first.cue_out == pytest.approx(first.duration)
    episode.title = "Judul baru"
    ws.save_episode(episode)
    push_mod.push(ws, episodes=[episode_id], now=BEFORE)
    item, previous, _ = fakes["abdi-az"].pushed[-1]
    assert item.title == "Judul baru" and previous is not None and previous.media_id == "media-1"


def test_two_pushes_at_once_deliver_once(ws):
    drop = add_rivendell(ws)
    lock = ws.root / RADIO_PUSH_LOCK_FILE
    with file_lock(lock):  # both start while a third push holds the lock: they cannot miss each other
        procs = [subprocess.Popen([*STUDIO, "--workspace", str(ws.root), "radio", "push"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        inode = lock.stat().st_ino
        deadline = time.monotonic() + 120
        while waiters(inode) < 2:  # both are blocked on the lock (the kernel's /proc/locks says so)
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "never blocked"
            time.sleep(0.05)
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sorted(o for out, _ in outs for o in out.splitlines()) == ["abdi: 2 delivered", "abdi: 2 unchanged"]
    assert len(list(drop.iterdir())) == 2 and len(deliveries.read(deliveries.log_path(ws))) == 2


def waiters(inode: int) -> int:
    """Processes blocked on the flock of the file with `inode` (lines "-> FLOCK ..." of /proc/locks)."""
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and f":{inode} " in line)


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from studio.radio.push import rivendell, run
    from studio.workspace.tree import Workspace

    rivendell.CHUNK = 64 * 1024  # several blocks in a short file

    class Killed(rivendell.Rivendell):
        def push(self, item, previous, journal, progress=None):
            def cut(done, total):
                if done >= total // 2:
                    os.kill(os.getpid(), signal.SIGKILL)  # the machine went down mid-copy
            return super().push(item, previous, journal, cut)

    run.KINDS["rivendell"] = lambda ws, s: Killed(ws.root / s.drop_folder, s.name_pattern, s.group)
    run.push(Workspace(Path(sys.argv[1])), episodes=[sys.argv[2]])
""")


def test_a_push_killed_mid_copy_resumes_from_its_journal(ws, monkeypatch):
    drop = add_rivendell(ws)
    episode = sorted(ws.episode_ids())[0]
    killed = subprocess.run([sys.executable, "-c", KILLER, str(ws.root), episode], capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    journal = records_mod.journal_dir(ws, "abdi", episode)
    parts = list(drop.iterdir())
    assert (journal / "rivendell.json").is_file()  # the journal survived the kill
    assert [p.suffix for p in parts] == [".part"] and parts[0].name.startswith(".")  # no *.wav
    size = parts[0].stat().st_size
    assert 0 < size < (ws.episode_dir(episode) / "broadcast.wav").stat().st_size

    made: list[Rivendell] = []

    def keep(w, s):
        made.append(Rivendell(w.root / s.drop_folder, s.name_pattern, s.group))
        return made[-1]

    monkeypatch.setitem(push_mod.KINDS, "rivendell", keep)
    report = push_mod.push(ws, episodes=[episode])
    assert [o.state for o in report.outcomes] == ["delivered"]
    assert made[0].resumed_from == size  # not sent again
    assert not journal.exists()  # emptied after success
    [final] = drop.iterdir()
    assert final.suffix == ".wav" and sha256_file(final) == sha256_file(ws.episode_dir(episode) / "broadcast.wav")


# -- expire ---------------------------------------------------------------------------------------------------

def test_expire_takes_ended_items_out_and_deletes_files_only_when_asked(ws, fakes):
    drop = add_rivendell(ws)
    stations_mod.add_push_station(ws, "abdi-az", "azuracast", KEY, base_url="https://r.example", station_id="1")
    ended, open_ended = sorted(ws.episode_ids())
    episode = ws.episode(ended)
    episode.air_from, episode.air_until = "2026-01-01T06:00:00+08:00", "2050-01-01T00:00:00+08:00"
    ws.save_episode(episode)
    push_mod.push(ws, now=BEFORE)
    assert len(list(drop.glob("*.wav"))) == 2
    later = push_mod.push(ws, now=AFTER)  # an ended window is not pushed again
    assert later.outcomes and {o.episode for o in later.outcomes} == {open_ended}
    report = push_mod.expire(ws, now=AFTER)
    assert sorted((o.station, o.episode, o.state) for o in report.outcomes) == [
        ("abdi", ended, "expired"), ("abdi-az", ended, "expired")]
    assert fakes["abdi-az"].expired[0][1] is False  # never the file unless asked
    [left] = drop.glob("*.wav")  # taken out of the drop box before rdimport took it
    assert parse_name("", left.name)["t"] == ws.episode(open_ended).title
    records = records_mod.load(ws)
    assert records.get("abdi", ended).state == "expired" and records.get("abdi", open_ended).state == "delivered"
    assert push_mod.expire(ws, now=AFTER).outcomes == []  # expired once

    result = invoke(ws, "radio", "push", "--expire", "--delete-files", "--station", "abdi-az")
    assert result.exit_code == 0  # nothing has ended by the real clock
    assert invoke(ws, "radio", "push", "--delete-files").exit_code == 2


def test_expire_with_delete_files_tells_the_station(ws, fakes):
    stations_mod.add_push_station(ws, "abdi-az", "azuracast", KEY, base_url="https://r.example", station_id="1")
    episode = ws.episode(sorted(ws.episode_ids())[0])
    episode.air_until = "2050-01-01T00:00:00+08:00"
    ws.save_episode(episode)
    push_mod.push(ws, now=BEFORE)
    push_mod.expire(ws, delete_files=True, now=AFTER)
    assert [(r.media_id, delete) for r, delete in fakes["abdi-az"].expired] == [("media-1", True)]


# -- publish --------------------------------------------------------------------------------------------------

def test_publish_pushes_to_push_stations_unless_told_not_to(ws):
    drop = add_rivendell(ws)
    skipped = invoke(ws, "publish", "--no-push")
    assert skipped.exit_code == 0 and list(drop.iterdir()) == []
    result = invoke(ws, "publish")
    assert result.exit_code == 0, result.output
    assert "abdi: 2 delivered" in result.stdout and len(list(drop.glob("*.wav"))) == 2
    as_json = invoke(ws, "publish", "--json")
    assert json.loads(as_json.stdout)["push"]["outcomes"][0]["state"] == "unchanged"


def test_push_of_an_unknown_station_or_episode_is_one_line(ws):
    add_rivendell(ws)
    for args, said in ((["--station", "nope"], "unknown station"), (["kpu/nope"], "no broadcast file")):
        result = invoke(ws, "radio", "push", *args)
        assert result.exit_code == 2 and said in result.stderr


def test_the_record_is_written_atomically_and_survives_a_broken_file(ws):
    add_rivendell(ws)
    push_mod.push(ws)
    path = records_mod.load(ws).path
    assert json.loads(path.read_text())["version"] == 1
    path.write_text("{not json")
    assert records_mod.load(ws).stations == {}


def test_a_station_edited_wrong_by_hand_fails_alone(ws):
    drop = add_rivendell(ws)
    add_rivendell(ws, "broken")
    text = ws.settings_path.read_text().replace("[stations.broken]\n", "[stations.broken]\ntimezone = \"Mars/X\"\n")
    ws.settings_path.write_text(text)
    report = push_mod.push(ws)
    assert {(o.station, o.state) for o in report.outcomes} == {("abdi", "delivered"), ("broken", "failed")}
    assert "time zone" in report.failed[0].message and len(list(drop.glob("*.wav"))) == 2
