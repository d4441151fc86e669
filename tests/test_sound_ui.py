"""What the producer is shown of the sound processing (issue 24, item 4), without a browser: the original
served for the A/B switch, the switch and its gain on the episode page, the figures in the loudness report
(page and PDF/PNG sheet) in both languages, and `studio status`. The figures are written here as the stage
writes them (.studio/sound.json); without that file every page is as before and says nothing of it.
The browser side (switching, the gain applied, screenshots) is tests/test_web_sound_browser.py."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw
from soundutil import FIGURES, SAID, copy_of, expected_gain_db, write_figures

from studio.cli import cli
from studio.fsutil import write_json
from studio.media.processing import SoundFigures
from studio.workspace.tree import Workspace

pytest_plugins = ["soundutil"]  # the `sound_episode` fixture


def test_the_original_is_served_with_byte_ranges_to_producers_only(sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path)
    original = web.workspace.files(episode.id).original(episode.original).read_bytes()
    address = f"/episodes/{episode.id}/original"
    assert web.anonymous().get(address).status_code in (302, 401)
    assert web.client("scheduler").get(address).status_code == 403
    client = web.client("producer")
    whole = client.get(address)
    assert whole.status_code == 200 and whole.data == original and whole.mimetype.startswith("audio/")
    part = client.get(address, headers={"Range": "bytes=44-1043"})
    assert part.status_code == 206 and part.data == original[44:1044]
    assert part.headers["Content-Range"] == f"bytes 44-1043/{len(original)}"


def test_an_original_named_like_a_page_is_served_as_bytes_not_as_a_page(sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path)
    folder = web.workspace.episode_dir(episode.id)
    (folder / episode.original).rename(folder / "original.html")
    web.workspace.save_episode(dataclasses.replace(episode, original="original.html"))
    answer = web.client("producer").get(f"/episodes/{episode.id}/original")
    assert answer.status_code == 200 and answer.mimetype == "application/octet-stream"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_without_sound_figures_the_page_says_nothing_and_with_them_shows_the_switch_and_figures(
        sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path)
    client = web.client("producer")
    before = client.get(f"/episodes/{episode.id}/").get_data(as_text=True)
    assert 'id="sound-ab"' not in before and "Pengolahan suara" not in before and "Derau latar" not in before
    assert "Laporan kenyaringan" in before  # the page as it was

    write_figures(web.workspace, episode.id)
    html = client.get(f"/episodes/{episode.id}/").get_data(as_text=True)
    assert 'id="sound-ab"' in html and 'aria-pressed="true"' in html and 'aria-pressed="false"' in html
    assert ">Asli</button>" in html and ">Diproses</button>" in html
    assert f'data-original="/episodes/{episode.id}/original"' in html
    gain_db = float(html.split('data-gain-db="')[1].split('"')[0])
    gain = float(html.split('data-gain="')[1].split('"')[0])
    assert gain_db == pytest.approx(expected_gain_db(web.workspace, episode), abs=0.01)
    assert 12.0 < gain_db < 16.0  # -30 LUFS brought to -16
    assert gain == pytest.approx(10 ** (gain_db / 20), rel=1e-5)
    report = html.split('id="loudness"')[1].split("</section>")[0]
    for text in SAID["id"]:
        assert text in report, text
    assert "penyeimbang kenyaringan suara bicara" in report and "di bawah 80 Hz" in report
    assert "<script>" not in html


def test_english_page_says_the_figures_in_english(sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path, lang="en")
    write_figures(web.workspace, episode.id)
    html = web.client("producer").get(f"/episodes/{episode.id}/").get_data(as_text=True)
    assert ">Original</button>" in html and ">Processed</button>" in html
    report = html.split('id="loudness"')[1].split("</section>")[0]
    for text in SAID["en"]:
        assert text in report, text
    assert "Derau" not in report and "dihilangkan" not in report


def test_no_hum_and_nothing_done_is_said_plainly(sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path)
    clean = SoundFigures(leveler=False, noise_reduction=False, hum_reduction=False, highpass_hz=None,
                         noise_floor_before_dbfs=-78.0, noise_floor_after_dbfs=-78.0, hum=None,
                         speech_spread_before_lu=1.2, speech_spread_after_lu=1.2, segments=3)
    write_figures(web.workspace, episode.id, clean)
    report = web.client("producer").get(f"/episodes/{episode.id}/").get_data(as_text=True).split(
        'id="loudness"')[1].split("</section>")[0]
    row = report.split("Dengung listrik")[1].split("</tr>")[0]
    assert row.count("tidak ada") == 2 and "-78.0 dBFS" in report
    assert "tidak ada: rekaman sudah bersih" in report


def test_figures_of_an_unknown_shape_leave_the_page_as_it_was(sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path)
    write_json(web.workspace.files(episode.id).sound, {"key": "x", "figures": {"leveler": True, "loudness": 3}})
    answer = web.client("producer").get(f"/episodes/{episode.id}/")
    assert answer.status_code == 200 and "Laporan kenyaringan" in answer.get_data(as_text=True)
    assert 'id="sound-ab"' not in answer.get_data(as_text=True) and status_json(web.workspace)["sound"] is None


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """Every text the sheet's drawer is given, in order."""
    texts: list[str] = []
    real = ImageDraw.ImageDraw.text

    def spy(self, xy, text, *args, **kwargs):
        texts.append(text)
        return real(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    return texts


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pdf_and_png_sheet_carry_the_figures(sound_episode, tmp_path, drawn, lang) -> None:
    web, episode = copy_of(sound_episode, tmp_path, lang=lang)
    client = web.client("producer")
    plain = client.get(f"/episodes/{episode.id}/loudness-report.png")
    assert plain.status_code == 200 and not any(text in drawn for text in SAID[lang][:2])
    plain_height = Image.open(io.BytesIO(plain.data)).height

    write_figures(web.workspace, episode.id)
    for kind in ("pdf", "png"):
        drawn.clear()
        sheet = client.get(f"/episodes/{episode.id}/loudness-report.{kind}")
        assert sheet.status_code == 200
        for text in SAID[lang]:
            assert text in drawn, (kind, text)
        if kind == "pdf":
            assert sheet.data.startswith(b"%PDF-")
        else:
            assert Image.open(io.BytesIO(sheet.data)).height > plain_height  # the rows are on the page


def status_json(ws: Workspace) -> dict:
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "status", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    return entry


def test_status_json_carries_the_figures_or_null(sound_episode, tmp_path) -> None:
    web, episode = copy_of(sound_episode, tmp_path)
    assert status_json(web.workspace)["sound"] is None
    write_figures(web.workspace, episode.id)
    sound = status_json(web.workspace)["sound"]
    assert sound == json.loads(json.dumps(FIGURES.to_dict()))
    assert SoundFigures.from_dict(sound) == FIGURES
    line = CliRunner().invoke(cli, ["--workspace", str(web.workspace.root), "status"]).output
    assert "sound: hum 50 Hz, speakers 13.9->2.4 LU, noise -47->-68 dBFS" in line


def test_the_matching_gain_is_the_loudness_difference_and_none_without_a_figure() -> None:
    from studio.media.loudness import SILENT, Loudness
    from studio.review.sound import loudness_matching

    def loud(integrated: float, peak: float) -> Loudness:
        return Loudness(integrated, 5.0, peak, integrated + 4, integrated + 2)

    matching = loudness_matching(loud(-31.5, -9.0), loud(-16.0, -1.2))
    assert matching.gain_db == 15.5 and matching.peak_dbtp == 6.5  # above the ceiling: the page limits it
    assert matching.gain == pytest.approx(5.9566, rel=1e-4)
    assert loudness_matching(loud(-12.0, -0.5), loud(-16.0, -1.2)).gain_db == -4.0  # a loud original: turned down
    assert loudness_matching(None, loud(-16.0, -1.2)) is None
    assert loudness_matching(loud(-20.0, -3.0), None) is None
    assert loudness_matching(loud(SILENT, SILENT), loud(-16.0, -1.2)) is None
