"""Chapters: topic changes in synthetic transcripts, the producer's override, the JSON and the feed link."""

from __future__ import annotations

import json
import random

import pytest
from conftest import add_fake_episode, episode_context

from studio.errors import BadInput
from studio.pipeline.chapters import make_chapters
from studio.publish.feeds import build_feed
from studio.text import chapters
from studio.text.sentences import Sentence, sentences_from_cues

TOPICS = {
    "pemilu": "pemilih daftar tetap kpu tps kpps surat suara coblos pemungutan rekapitulasi saksi kotak bilik "
              "formulir pantarlih coklit".split(),
    "banjir": "banjir sungai hujan tanggul pompa genangan evakuasi pengungsi lumpur drainase debit bendungan "
              "relawan perahu logistik".split(),
    "kesehatan": "puskesmas vaksin imunisasi balita gizi posyandu dokter perawat obat demam batuk stunting "
                 "bidan klinik rujukan".split(),
}
FILLER = "yang dan di ini itu untuk dengan pada kita akan juga sudah".split()


def topic_sentences(plan: list[tuple[str, float]], seconds_each: float = 6.0, seed: int = 1) -> list[Sentence]:
    """Sentences of `seconds_each` drawn from each topic's words, for the given number of seconds per topic."""
    rng = random.Random(seed)
    found, at = [], 0.0
    for topic, length in plan:
        end = at + length
        while at < end - 1e-6:
            words = [rng.choice(TOPICS[topic]) if rng.random() < 0.5 else rng.choice(FILLER) for _ in range(12)]
            found.append(Sentence(at, at + seconds_each, " ".join(words).capitalize() + "."))
            at += seconds_each
    return found


def test_boundaries_fall_at_the_joins_of_disjoint_topics():
    sentences = topic_sentences([("pemilu", 300), ("banjir", 300), ("kesehatan", 300)])
    found = chapters.find_boundaries(sentences, 900)
    assert len(found) == 2
    assert abs(found[0] - 300) <= 15 and abs(found[1] - 600) <= 15


def test_one_topic_is_one_chapter_and_limits_hold():
    sentences = topic_sentences([("pemilu", 1800)])
    found = chapters.auto_chapters(sentences, 1800)
    low, high = chapters.chapter_count_range(1800)
    assert (low, high) == (2, 6)
    assert low <= len(found) <= high
    starts = [c.start for c in found] + [1800]
    assert all(b - a >= chapters.MIN_CHAPTER_S for a, b in zip(starts, starts[1:]))


def test_chapters_are_at_least_two_minutes():
    sentences = topic_sentences([("pemilu", 60), ("banjir", 300), ("kesehatan", 60)])
    found = chapters.find_boundaries(sentences, 420)
    edges = [0.0, *found, 420.0]
    assert all(b - a >= 120 for a, b in zip(edges, edges[1:]))


def test_titles_are_a_sentence_of_their_chapter():
    sentences = topic_sentences([("pemilu", 300), ("banjir", 300)])
    found = chapters.auto_chapters(sentences, 600, glossary=["KPU", "TPS"])
    assert [c.start for c in found][0] == 0.0
    assert len(found) == 2
    for chapter, (start, end) in zip(found, [(0, 300), (300, 600)]):
        said = [s.text.lower() for s in sentences if start <= s.start < end]
        title = chapter.title.rstrip("…").lower()
        assert len(chapter.title) <= chapters.TITLE_CHARS and ", " not in chapter.title  # not three keywords
        assert any(title in sentence for sentence in said), chapter.title
    first, second = (c.title.lower() for c in found)
    assert any(word in first for word in TOPICS["pemilu"]) and not any(w in first for w in TOPICS["banjir"])
    assert any(word in second for word in TOPICS["banjir"])


def test_the_title_is_the_most_central_sentence_cleaned_and_shortened():
    """Issue 28 item 7: the sentence sharing most with the chapter's others, no filler at its start, at most
    60 characters cut at a word, the glossary's spelling; not "Pemilih, daftar, formulir"."""
    chapter = ["Pemilih pindahan mengurus formulir A5.", "Formulir A5 diurus di kantor PPS.", "Ya, betul sekali.",
               "Nah, jadi pemilih pindahan mengurus formulir A5 di kantor pps sebelum hari pemungutan suara.",
               "Cuaca hari ini cerah sekali di Banjarmasin.", "Pemilih pindahan harus membawa KTP."]
    central, = chapters.central_sentences([chapter])
    assert central == chapter[3]
    title = chapters.sentence_title(central, glossary=["PPS"])
    assert title == "Pemilih pindahan mengurus formulir A5 di kantor PPS…"  # no "… sebelum" left hanging
    assert len(title) <= 60
    assert chapters.sentence_title("ya, oke. Baik, KPU menetapkan DPT.") == "KPU menetapkan DPT"
    assert chapters.sentence_title("HARGA TIKET KE TPS NAIK.", glossary=["TPS"]) == "Harga tiket ke TPS naik"
    assert chapters.central_sentences([["Ya.", "Betul."]]) == [None]  # too little to title with: keywords then


def test_short_chapters_fall_back_to_keywords_and_the_stage_version_moved():
    from studio.pipeline.chapters import CHAPTERS_STAGE_VERSION

    found = chapters.auto_chapters([Sentence(0, 5, "Ya."), Sentence(5, 9, "Betul.")], 10)
    assert found == [chapters.Chapter(0.0, "Bagian 1")]
    assert CHAPTERS_STAGE_VERSION >= 2  # titles changed: chapters.json is made again at the next run


def test_stop_words_are_not_content():
    assert chapters.content_words("Yang ini adalah pemilihnya di TPS 5") == ["pemilih", "tps"]


def test_sentences_from_cues_split_inside_a_cue():
    cues = [(0.0, 4.0, "Halo semua. Hari ini"), (4.0, 6.0, "kita bahas DPT.")]
    found = sentences_from_cues(cues)
    assert [s.text for s in found] == ["Halo semua.", "Hari ini kita bahas DPT."]
    assert found[0].start == 0.0 and 1.5 < found[1].start < 2.5


VTT = ("WEBVTT\n\n" + "".join(
    f"{i // 3600:02d}:{i % 3600 // 60:02d}:{i % 60:02d}.000 --> {(i + 5) // 3600:02d}:{(i + 5) % 3600 // 60:02d}:"
    f"{(i + 5) % 60:02d}.000\n{s.text}\n\n"
    for s in topic_sentences([("pemilu", 300), ("banjir", 300)]) for i in [int(s.start)])).encode()


def test_process_writes_automatic_chapters_and_the_feed_links_them(workspace):
    episode = add_fake_episode(workspace, "kpu", "2024-05-01-dua-topik", duration=600.0,
                               files={"transcript.vtt": VTT})
    folder = workspace.episode_dir(episode.id)
    ctx = episode_context(workspace, episode.id)
    make_chapters(ctx)
    data = json.loads((folder / "chapters.json").read_text())
    assert data["version"] == "1.2.0"
    assert [round(c["startTime"]) // 30 for c in data["chapters"]] == [0, 10]
    assert ctx.report.done == ["chapters"]
    again = episode_context(workspace, episode.id)
    make_chapters(again)
    assert again.report.skipped == ["chapters"]
    feed = build_feed(workspace, workspace.show("kpu"), "https://example.org/p", [episode.id]).decode()
    assert ('<podcast:chapters url="https://example.org/p/chapters/kpu/2024-05-01-dua-topik.json" '
            'type="application/json+chapters"/>') in feed


def test_the_producers_chapters_replace_the_automatic_ones(workspace):
    episode = add_fake_episode(workspace, "kpu", "2024-05-02-produser", duration=600.0,
                               files={"transcript.vtt": VTT})
    episode.chapters = [{"start": "05:30", "title": "Banjir"}, {"start": 0, "title": "Pembukaan"}]
    workspace.save_episode(episode)
    episode = workspace.episode(episode.id)
    make_chapters(episode_context(workspace, episode.id))
    data = json.loads((workspace.episode_dir(episode.id) / "chapters.json").read_text())
    assert data["chapters"] == [{"startTime": 0.0, "title": "Pembukaan"}, {"startTime": 330.0, "title": "Banjir"}]


@pytest.mark.parametrize("entry", [{"start": 700, "title": "x"}, {"start": "abc", "title": "x"},
                                   {"start": 10, "title": ""}])
def test_bad_producer_chapters_are_bad_input(entry):
    with pytest.raises(BadInput, match="chapter 1"):
        chapters.producer_chapters([entry], 600.0, "kpu/x")
