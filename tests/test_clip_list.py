"""Clips a producer controls (issue 28, item 4): a producer's clip is added beside the automatic ones; every
clip can be renamed, removed or kept from publishing, and that survives a re-run; automatic clips have a
readable title; the listener site shows a clip's captions once and its poster frame; each clip has one."""

from __future__ import annotations

import io
import tomllib

import pytest
from conftest import add_fake_episode
from PIL import Image

import studio.publish as publish
from studio.errors import BadInput
from studio.pipeline.clips import current_highlights
from studio.publish.collect import collect_episode
from studio.review import edits
from studio.text.highlights import clean_title, pick_highlights, title_from
from studio.workspace import transcript as captions

pytest_plugins = ["webutil"]


def jpeg(title: str = "") -> bytes:
    """A poster frame as the clips stage makes one: the clip's picture with its title (drawn here: no render)."""
    from PIL import ImageDraw, ImageFont

    from studio.data import BOLD_FONT

    picture = Image.new("RGB", (640, 360), (11, 79, 148))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 250, 640, 360), fill=(8, 40, 80))
    draw.text((32, 40), title, font=ImageFont.truetype(str(BOLD_FONT), 34), fill=(255, 255, 255))
    draw.text((32, 280), "Sosialisasi KPU", font=ImageFont.truetype(str(BOLD_FONT), 24), fill=(255, 194, 14))
    out = io.BytesIO()
    picture.save(out, "JPEG")
    return out.getvalue()


def write_vtt(folder, sentences: list[str], every: float = 5.0) -> None:
    cues = [captions.Cue(1.0 + every * k, 1.0 + every * k + every - 0.5, [text]) for k, text in enumerate(sentences)]
    (folder / "transcript.vtt").write_text(captions.render_vtt(cues), encoding="utf-8")


TALK = ["Jadi, eh, pemilih pindahan harus mengurus formulir A5 di kantor PPS.", "Itu penting sekali.",
        "Nah, daftar pemilih tetap bisa dicek lewat cekdptonline.", "Datang ke TPS membawa KTP elektronik.",
        "Petugas KPPS membantu pemilih di bilik suara.", "Baik."] * 6


# -- titles -----------------------------------------------------------------------------------------------------

def test_automatic_clip_titles_read_as_titles():
    assert clean_title("Jadi, eh, pemilih pindahan harus mengurus formulir A5 di kantor PPS.") == \
        "Pemilih pindahan harus mengurus formulir A5 di kantor PPS"
    assert clean_title("nah ya daftar pemilih tetap bisa dicek.") == "Daftar pemilih tetap bisa dicek"
    long = clean_title("Daftar pemilih tetap atau DPT adalah daftar warga negara Indonesia yang berhak memilih "
                       "pada hari pemungutan suara nanti.")
    assert len(long) <= 60 and long.endswith("…") and long.split()[-1].rstrip("…") not in ("yang", "dan", "di")
    assert clean_title("Apa itu DPT? Daftar pemilih.") == "Apa itu DPT?"
    # a stretch that opens with "Baik." is titled by its first sentence that says something
    assert title_from(["Baik.", "Terima kasih.", "Hari ini kita membahas daftar pemilih tetap."]) == \
        "Hari ini kita membahas daftar pemilih tetap"
    cues = [(1.0 + 5 * k, 5.5 + 5 * k, text) for k, text in enumerate(TALK)]
    for picked in pick_highlights(cues, ["KPU", "TPS", "DPT"], 200.0, 0.0):
        assert picked.title[0].isupper() and not picked.title.lower().startswith(("jadi", "nah", "eh", "baik"))


# -- the list in episode.toml -------------------------------------------------------------------------------------

def test_rename_keep_back_and_remove_survive_a_rerun(workspace):
    episode = add_fake_episode(workspace, "kpu", "2024-01-10-dpt", title="DPT", duration=200.0)
    write_vtt(workspace.episode_dir(episode.id), TALK)
    show = workspace.show("kpu")
    picks = current_highlights(workspace, episode, show)
    assert len(picks) == 3 and all(p["automatic"] for p in picks)

    edits.rename_highlight(workspace, episode.id, 0, "  Formulir A5 untuk pemilih pindahan ")
    edits.publish_highlight(workspace, episode.id, 1, False)
    with pytest.raises(BadInput, match="clip title is empty"):
        edits.rename_highlight(workspace, episode.id, 2, "   ")
    saved = workspace.episode(episode.id)
    stored = tomllib.loads((workspace.episode_dir(episode.id) / "episode.toml").read_text())["highlights"]
    assert [h["title"] for h in stored][0] == "Formulir A5 untuk pemilih pindahan" and stored[1]["publish"] is False
    # what the next `process` makes: the same three, as the producer left them (nothing picked again)
    again = current_highlights(workspace, saved, show)
    assert [(h["start"], h["end"]) for h in again] == [(p["start"], p["end"]) for p in picks]
    assert again[0]["title"] == "Formulir A5 untuk pemilih pindahan" and again[1]["publish"] is False
    assert "publish" not in again[2] and again[2]["title"] == picks[2]["title"]
    edits.publish_highlight(workspace, episode.id, 1, True)
    edits.remove_highlight(workspace, episode.id, 2)
    left = current_highlights(workspace, workspace.episode(episode.id), show)
    assert len(left) == 2 and "publish" not in left[1]


def clip_episode(ws, keep_back: bool):
    """An episode with two rendered clips (each file and poster), the second kept back when asked."""
    highlights = [{"start": 10.0, "end": 30.0, "title": "Formulir A5", "automatic": True},
                  {"start": 32.0, "end": 50.0, "title": "Cek DPT"}]
    if keep_back:
        highlights[1]["publish"] = False
    state = [{"start": h["start"], "end": h["end"], "title": h["title"], "key": f"k{i}",
              "files": {"landscape": f"clips/0{i}-landscape.mp4"}, "posters": {"landscape": f"clips/0{i}-landscape.jpg"}}
             for i, h in enumerate(highlights, start=1)]
    files = {"transcript.vtt": b"WEBVTT\n\n00:00:11.000 --> 00:00:15.000\nPemilih pindahan.\n"}
    for i in (1, 2):
        files[f"clips/0{i}-landscape.mp4"] = b"\0\0\0\x18ftypmp42" + bytes([i])
        files[f"clips/0{i}-landscape.jpg"] = jpeg(highlights[i - 1]["title"])
    episode = add_fake_episode(ws, "kpu", "2024-03-01-daftar-pemilih", title="Daftar pemilih", duration=60.0,
                               files=files, highlights=state)
    episode.highlights, episode.highlights_from = highlights, "producer"
    ws.save_episode(episode)
    return episode


def test_a_clip_kept_back_does_not_go_out_and_captions_show_once(workspace):
    episode = clip_episode(workspace, keep_back=True)
    item = collect_episode(workspace, workspace.index.read(episode.id))
    assert sorted(a.key.rsplit("/", 1)[1] for a in item.clips) == ["01-landscape.jpg", "01-landscape.mp4"]
    assert [b.title for b in item.soundbites] == ["Formulir A5"]
    publish.publish(workspace, base_url="https://podcast.example.go.id")
    public = workspace.root / "public"
    assert (public / "clips/kpu/2024-03-01-daftar-pemilih/01-landscape.jpg").is_file()
    assert not (public / "clips/kpu/2024-03-01-daftar-pemilih/02-landscape.mp4").exists()
    page = (public / "kpu/2024-03-01-daftar-pemilih/clip-01/index.html").read_text()
    assert 'poster="../../../clips/kpu/2024-03-01-daftar-pemilih/01-landscape.jpg"' in page or \
        "01-landscape.jpg" in page.split("<video")[1].split(">")[0]
    track = page.split("<track")[1].split(">")[0]
    assert "default" not in track  # the captions are burned in: the track is not shown over them
    assert not (public / "kpu/2024-03-01-daftar-pemilih/clip-02").exists()
    episode_page = (public / "kpu/2024-03-01-daftar-pemilih/index.html").read_text()
    assert "Cek DPT" not in episode_page and "01-landscape.jpg" in episode_page
    feed = (public / "feeds/kpu.xml").read_text()
    assert "Cek DPT" not in feed and "Formulir A5" in feed

    # let out again: it is published at the next publish, under the same address as before
    edits.publish_highlight(workspace, episode.id, 1, True)
    publish.publish(workspace, base_url="https://podcast.example.go.id")
    assert (public / "kpu/2024-03-01-daftar-pemilih/clip-02/index.html").is_file()
    assert (public / "clips/kpu/2024-03-01-daftar-pemilih/02-landscape.jpg").is_file()


def test_the_episode_page_lists_every_clip_with_its_poster_and_controls(web):
    episode = clip_episode(web.workspace, keep_back=True)
    client = web.client("producer")
    html = client.get(f"/episodes/{episode.id}/").get_data(as_text=True)
    clips = html.split('id="clips"')[1]
    assert 'poster="/episodes/kpu/2024-03-01-daftar-pemilih/clips/01-landscape.jpg"' in clips
    assert client.get(f"/episodes/{episode.id}/clips/01-landscape.jpg").mimetype == "image/jpeg"
    assert "dipilih otomatis" in clips and "dibuat produser" in clips and "tidak diterbitkan" in clips
    assert clips.count('id="clip-title-') == 2 and "Jangan terbitkan" in clips and ">Terbitkan<" in clips
    based_on = clips.split('name="based_on" value="')[1].split('"')[0]
    answer = client.post(f"/episodes/{episode.id}/highlights/0/title", headers={"HX-Request": "true"},
                         data={"title": "Formulir A5 untuk pindahan", "based_on": based_on,
                               "csrf_token": web.csrf(client, "/episodes")})
    assert "Judul klip disimpan" in answer.get_data(as_text=True)
    assert web.workspace.episode(episode.id).highlights[0]["title"] == "Formulir A5 untuk pindahan"
    stale = client.post(f"/episodes/{episode.id}/highlights/1/publish", headers={"HX-Request": "true"},
                        data={"publish": "1", "based_on": based_on, "csrf_token": web.csrf(client, "/episodes")})
    assert "muat ulang" in stale.get_data(as_text=True)  # the list changed since: refused


# -- a producer's clip, rendered ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_producers_clip_is_added_beside_the_automatic_one_with_posters(tmp_path):
    from studio.media.ffmpeg import find_ffmpeg
    from studio.pipeline import process_episode
    from studio.pipeline.clips import add_clip
    from studio.progress import Reporter
    from studio.workspace.tree import Workspace

    ws = _processed_copy(tmp_path)
    (episode,) = ws.episodes()
    automatic = current_highlights(ws, episode, ws.show("kpu"))
    assert len(automatic) == 1 and automatic[0]["automatic"]
    files = add_clip(ws, find_ffmpeg(), episode.id, 2.0, 18.0, "Salam untuk pemilih pemula", ["square"],
                     Reporter(quiet=True))
    saved = Workspace(ws.root).episode(episode.id)
    assert [h.get("automatic", False) for h in saved.highlights] == [True, False]
    assert saved.highlights[0]["title"] == automatic[0]["title"] and saved.highlights_from == "producer"
    clips = ws.files(episode.id).clips
    assert [p.name for p in files] == ["02-square.mp4"]
    names = sorted(p.name for p in clips.iterdir())
    assert names == ["01-landscape.jpg", "01-landscape.mp4", "01-square.jpg", "01-square.mp4", "01-vertical.jpg",
                     "01-vertical.mp4", "02-square.jpg", "02-square.mp4"]
    with Image.open(clips / "02-square.jpg") as poster:
        assert poster.format == "JPEG" and poster.size == (1080, 1080)
        assert max(poster.convert("L").getextrema()) > 40  # a picture, not a black frame

    # the automatic clip removed: the producer's becomes clip 1, its files moved, not rendered again
    before = (clips / "02-square.mp4").read_bytes()
    edits.remove_highlight(ws, episode.id, 0)
    report = process_episode(ws, find_ffmpeg(), episode.id, Reporter(quiet=True))
    assert not any(done.startswith("clip") for done in report.done), report.done
    assert sorted(p.name for p in clips.iterdir()) == ["01-square.jpg", "01-square.mp4"]
    assert (clips / "01-square.mp4").read_bytes() == before


def _processed_copy(tmp_path):
    """The 32 s episode of test_web_episode (rendered, with a transcript), copied."""
    import audiogen as g
    from test_web_episode import fake_transcript

    from studio.media.ffmpeg import find_ffmpeg
    from studio.pipeline import ProcessOptions, process_episode, record_transcript
    from studio.pipeline.ingest import IngestRequest, ingest
    from studio.progress import Reporter
    from studio.workspace.shows import add_show
    from studio.workspace.tree import init_workspace

    ws = init_workspace(tmp_path / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id")
    source = g.encode(g.concat(g.scale_to(g.speech(16.0, seed=7), -22.0), g.scale_to(g.speech(16.0, seed=8), -30.0)),
                      tmp_path / "sesi.wav", *g.FORMATS["wav"])
    ffmpeg, quiet = find_ffmpeg(), Reporter(quiet=True)
    episode = ingest(ws, ffmpeg, IngestRequest(file=source, show="kpu", title="Pemilih pemula",
                                               recorded_on="2026-11-20"), quiet).episode
    process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(transcribe=False, clips=False))
    record_transcript(ws, episode.id, fake_transcript(episode.duration))
    process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(clips=False))
    return ws
