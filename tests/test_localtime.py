"""Time as people say it (issue 28 item 5): a show's time zone, a date-only air window that ends at the end of
that local day (not 00:00 UTC), the radio manifest's human fields, and `studio show add/edit --timezone`."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest
from broadcastutil import add_broadcast
from click.testing import CliRunner
from conftest import add_fake_episode

from studio import radio
from studio.cli import cli
from studio.errors import BadInput
from studio.localtime import format_local
from studio.radio.manifest import refresh_air_window
from studio.review import edits
from studio.workspace import shows
from studio.workspace.episode import cart_for_episode, episode_air_time, parse_time

MAKASSAR = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def wita(workspace):
    shows.set_timezone(workspace, "kpu", "WITA")
    return workspace


def test_a_date_alone_as_the_end_of_an_air_window_is_the_end_of_that_day_in_the_shows_zone(wita):
    episode = add_fake_episode(wita, "kpu", "2026-12-01-dpt", title="DPT")
    saved = edits.update_metadata(wita, episode.id, edits.Metadata(title="DPT", air_from="2026-12-01",
                                                                    air_until="2026-12-05"))
    assert saved.air_from == "2026-12-01T00:00:00+08:00"
    assert saved.air_until == "2026-12-05T23:59:59+08:00"  # on main: 2026-12-05T00:00:00+00:00 (08.00 WITA)
    cart = cart_for_episode(saved, wita.show("kpu"))
    assert (cart.end_date, cart.end_time) == ("2026-12-05", "23:59:59")
    assert (cart.start_date, cart.start_time) == ("2026-12-01", "00:00:00")
    # a time without an offset is the show's clock, not the machine's
    saved = edits.update_metadata(wita, episode.id, edits.Metadata(title="DPT", air_from="2026-12-01 06:00"))
    assert saved.air_from == "2026-12-01T06:00:00+08:00"


def test_a_date_alone_written_into_episode_toml_by_hand_ends_that_day_too(wita):
    episode = add_fake_episode(wita, "kpu", "2026-12-01-dpt")
    episode.air_until = "2026-12-05"
    assert episode_air_time(episode, "air_until", wita.show("kpu").zone) == dt.datetime(2026, 12, 5, 23, 59, 59,
                                                                                         tzinfo=MAKASSAR)
    assert parse_time("2026-12-05", "air-until", MAKASSAR) == "2026-12-05T00:00:00+08:00"  # a start stays the start
    with pytest.raises(BadInput):
        parse_time("5 Desember", "air-until", MAKASSAR, end_of_day=True)


def test_the_manifest_carries_the_window_as_people_read_it_and_an_edit_reaches_it_before_the_next_publish(wita):
    episode = add_fake_episode(wita, "kpu", "2026-12-01-dpt", title="DPT")
    edits.update_metadata(wita, episode.id, edits.Metadata(title="DPT", air_from="2026-12-01 06:00",
                                                           air_until="2026-12-05"))
    add_broadcast(wita, wita.episode(episode.id))
    delivery = radio.radio_delivery(wita)
    [entry] = delivery.manifest["files"]
    assert entry["air_until"] == "2026-12-05T23:59:59+08:00"
    assert entry["air_until_text"] == "Sabtu, 5 Desember 2026 pukul 23.59 WITA"
    assert entry["air_from_text"] == "Selasa, 1 Desember 2026 pukul 06.00 WITA"
    target = wita.root / wita.settings.radio_to
    target.mkdir(parents=True, exist_ok=True)
    (target / radio.MANIFEST_NAME).write_bytes(delivery.manifest_bytes())  # as publish left it

    saved = edits.update_metadata(wita, episode.id, edits.Metadata(title="DPT", air_from="2026-12-01 06:00",
                                                                    air_until="2026-12-09"))
    assert refresh_air_window(wita, saved)
    [after] = json.loads((target / radio.MANIFEST_NAME).read_text())["files"]
    assert after["air_until"] == "2026-12-09T23:59:59+08:00"
    assert after["air_until_text"] == "Rabu, 9 Desember 2026 pukul 23.59 WITA"
    assert {k: v for k, v in after.items() if not k.startswith("air_until")} == {
        k: v for k, v in entry.items() if not k.startswith("air_until")}  # the published file's facts stay
    assert not refresh_air_window(wita, saved)  # nothing changed: nothing written


def test_show_add_and_edit_take_a_time_zone_and_refuse_an_unknown_one(tmp_path: Path):
    runner = CliRunner()
    ws = tmp_path / "ws"

    def studio(*args):
        return runner.invoke(cli, ["--workspace", str(ws), *args])

    assert studio("init", str(ws)).exit_code == 0
    assert studio("show", "add", "kpu", "--title", "KPU", "--timezone", "WITA").exit_code == 0
    assert tomllib.loads((ws / "feeds" / "kpu.toml").read_text())["timezone"] == "Asia/Makassar"
    result = studio("show", "edit", "kpu", "--timezone", "Asia/Jayapura")
    assert result.exit_code == 0 and "Asia/Jayapura" in result.output
    assert tomllib.loads((ws / "feeds" / "kpu.toml").read_text())["timezone"] == "Asia/Jayapura"
    result = studio("show", "edit", "kpu", "--timezone", "Mars/Olympus")
    assert result.exit_code == 2 and "Mars/Olympus" in result.output and "Traceback" not in result.output
    result = studio("show", "add", "b", "--title", "B", "--timezone", "WITU")
    assert result.exit_code == 2 and not (ws / "feeds" / "b.toml").exists()


def test_format_local_reads_as_people_say_it():
    when = dt.datetime(2026, 12, 20, 22, 0, tzinfo=dt.timezone.utc)
    assert format_local(when, MAKASSAR) == "Senin, 21 Desember 2026 pukul 06.00 WITA"
    assert format_local(when, MAKASSAR, "en") == "Monday, 21 December 2026 at 06:00 WITA"


def test_status_says_the_air_window_in_the_shows_local_time(wita):
    episode = add_fake_episode(wita, "kpu", "2026-12-01-dpt", title="DPT")
    edits.update_metadata(wita, episode.id, edits.Metadata(title="DPT", air_until="2026-12-05"))
    result = CliRunner().invoke(cli, ["--workspace", str(wita.root), "status"])
    assert "air window: … – Sabtu, 5 Desember 2026 pukul 23.59 WITA" in result.output, result.output
    result = CliRunner().invoke(cli, ["--workspace", str(wita.root), "status", "--json"])
    assert json.loads(result.stdout)[0]["air_until"] == "2026-12-05T23:59:59+08:00"
