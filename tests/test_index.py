"""The workspace's one episode index (workspace.index): every reader sees the same episodes in the same
state, the file is only a cache of the folders, and every writer keeps it current."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner
from conftest import add_fake_episode
from webutil import make_web

from studio.cli import cli
from studio.workspace import Workspace, approval
from studio.workspace.index import EpisodeIndex, episode_state
from studio.workspace.layout import APPROVAL_FILE, INDEX_FILE


def copy_of(workspace: Workspace, tmp_path: Path) -> Workspace:
    shutil.copytree(workspace.root, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def status_states(workspace: Workspace) -> dict[str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "status", "--json"])
    assert result.exit_code == 0, result.output
    return {entry["id"]: entry["state"] for entry in json.loads(result.stdout)}


def web_states(web) -> dict[str, str]:
    """The state badge of each row of the web app's episodes list."""
    html = web.client("producer").get("/episodes").get_data(as_text=True)
    states = {}
    for row in html.split("<tr")[2:]:
        episode_id = row.split('href="/episodes/')[1].split('/"')[0]
        states[episode_id] = row.split('class="badge ')[1].split('"')[0]
    return states


def test_status_and_the_web_list_agree_after_a_loudness_target_changes(processed_workspace, tmp_path):
    ws = copy_of(processed_workspace, tmp_path)
    web = make_web(ws)
    ids = ws.episode_ids()
    assert set(status_states(ws).values()) == {"processed"} and set(web_states(web).values()) == {"processed"}

    show = ws.feeds_dir / "kpu.toml"
    settings = tomllib.loads(show.read_text())
    settings.setdefault("loudness", {})["podcast_lufs"] = -19.0
    show.write_text(tomli_w.dumps(settings))  # by hand, as an operator would

    assert status_states(ws) == {i: "outdated" for i in ids}
    assert web_states(web) == {i: "outdated" for i in ids}  # the list said "ready" while status said outdated


def test_processing_again_makes_them_current(processed_workspace, tmp_path):
    from studio.media.ffmpeg import find_ffmpeg
    from studio.pipeline import ProcessOptions, process_episodes
    from studio.progress import Reporter

    ws = copy_of(processed_workspace, tmp_path)
    ws.save_show(ws.show("kpu").__class__(**{**ws.show("kpu").__dict__, "loudness": ws.show("kpu").loudness.__class__(
        podcast_lufs=-19.0)}))
    assert {r.state for r in ws.index.rows()} == {"outdated"}
    process_episodes(ws, find_ffmpeg(), ws.episode_ids(), Reporter(quiet=True), ProcessOptions(transcribe=False))
    assert {r.state for r in ws.index.rows(max_age=3600)} == {"processed"}  # said by the stages, no look needed


def test_the_index_file_is_a_cache_rebuilt_when_missing_or_broken(workspace):
    add_fake_episode(workspace, "kpu", "2024-01-10-dpt", title="DPT")
    add_fake_episode(workspace, "kpu", "2024-02-01-tps", title="TPS")
    assert [r.title for r in workspace.index.rows()] == ["TPS", "DPT"]
    path = workspace.root / INDEX_FILE
    with sqlite3.connect(path) as db:  # a warm start reads the rows from the file: they are there
        assert {row[0] for row in db.execute("SELECT id FROM episodes")} == {"kpu/2024-01-10-dpt", "kpu/2024-02-01-tps"}

    for name in ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"):
        (path.parent / name).unlink(missing_ok=True)
    assert [r.title for r in EpisodeIndex(workspace).rows()] == ["TPS", "DPT"]

    path.write_bytes(b"not a database" * 100)
    for name in ("index.sqlite3-wal", "index.sqlite3-shm"):
        (path.parent / name).unlink(missing_ok=True)
    assert [r.title for r in EpisodeIndex(workspace).rows()] == ["TPS", "DPT"]
    with sqlite3.connect(path) as db:  # made anew
        assert db.execute("SELECT count(*) FROM episodes").fetchone() == (2,)


def test_a_stale_row_in_the_file_is_read_again_from_the_folder(workspace):
    add_fake_episode(workspace, "kpu", "2024-01-10-dpt", title="DPT")
    EpisodeIndex(workspace).rows()  # the file now holds the row
    toml = workspace.episode_dir("kpu/2024-01-10-dpt") / "episode.toml"
    with open(toml, "r+", encoding="utf-8") as f:  # an editor writing in place: same inode, same folder mtime
        text = f.read().replace('title = "DPT"', 'title = "XYZ"')
        f.seek(0)
        f.write(text)
    assert [r.title for r in EpisodeIndex(workspace).rows()] == ["XYZ"]


def test_every_writer_keeps_the_index_current_without_a_look_at_the_folders(processed_workspace, tmp_path):
    from studio.workspace.users import add_user

    ws = copy_of(processed_workspace, tmp_path)
    index = ws.index
    first, second = sorted(ws.episode_ids())
    assert {r.id: r.state for r in index.rows()} == {first: "processed", second: "processed"}
    episode = ws.episode(first)
    episode.title = "DPT (koreksi)"
    ws.save_episode(episode)
    add_user(ws, "rina", "producer", "kata-sandi-rina-1")
    approval.approve(ws, ws.episode(second), "rina")
    rows = {r.id: r for r in index.rows(max_age=3600)}  # from memory: no look at the folders
    assert rows[first].title == "DPT (koreksi)" and rows[second].state == "approved"


def test_publish_says_which_episodes_went_out(processed_workspace, tmp_path):
    from studio.publish import publish

    ws = copy_of(processed_workspace, tmp_path)
    (ws.root / "studio.toml").write_text('[studio]\nbase_url = "https://example.org/pod"\nsite = false\n')
    publish(ws, str(tmp_path / "public"), radio_to=str(tmp_path / "radio"))
    assert {r.state for r in ws.index.rows()} == {"published"}
    assert {r.state for r in EpisodeIndex(ws).rows()} == {"published"}  # another process reads it from the file


@pytest.mark.parametrize("job_state, expected", [("running", "processing"), ("queued", "queued"), ("failed", "failed"),
                                                 ("done", "processed"), ("", "processed")])
def test_a_job_says_more_than_the_files(processed_workspace, job_state, expected):
    row = processed_workspace.index.rows()[0]
    assert episode_state(row, job_state) == expected


def test_an_unreadable_episode_toml_is_a_failed_row_not_a_failed_list(workspace):
    add_fake_episode(workspace, "kpu", "2024-01-10-dpt", title="DPT")
    add_fake_episode(workspace, "kpu", "2024-02-01-tps", title="TPS")
    (workspace.episode_dir("kpu/2024-02-01-tps") / "episode.toml").write_text('title = "TPS\n')
    rows = {r.id: r for r in workspace.index.rows()}
    assert rows["kpu/2024-01-10-dpt"].state == "ingested"  # a fake: a podcast file, no broadcast file
    assert rows["kpu/2024-02-01-tps"].state == "failed" and "invalid episode file" in rows["kpu/2024-02-01-tps"].broken


def test_an_approval_from_before_digests_is_adopted_once_then_a_change_withdraws_it(workspace):
    """An approval.json written before approvals covered everything (the recording's sha256 only): the
    upgrade must not unpublish an approved archive, and must not leave it open to changes either."""
    ws = workspace
    episode = add_fake_episode(ws, "kpu", "2024-01-10-dpt", title="DPT")
    record = ws.episode_dir(episode.id) / APPROVAL_FILE
    record.parent.mkdir(exist_ok=True)
    record.write_text(json.dumps({"uploaded_by": "prod", "approved_by": "rina", "sha256": episode.sha256}))
    assert EpisodeIndex(ws).read(episode.id).approved_by == "rina"
    assert "digest" in json.loads(record.read_text())  # written down once
    episode.title = "HOAKS"
    ws.save_episode(episode)
    row = EpisodeIndex(ws).read(episode.id)
    assert row.approved_by == "" and row.withdrawn_by == "rina" and row.withdrawn == ["title"]
