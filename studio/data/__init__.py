"""The files that ship inside Studio: fonts, word lists, schemas. Every path to them is named here."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
FONTS_DIR = DATA_DIR / "fonts"
BOLD_FONT = FONTS_DIR / "NotoSans-Bold.ttf"  # clips, the loudness sheet, generated show covers
BAKU_TABLE = DATA_DIR / "baku-id.tsv"  # standard (baku) spellings, text.baku
STOPWORDS_ID = DATA_DIR / "stopwords-id.txt"  # Indonesian stop words, text.chapters
RADIO_MANIFEST_SCHEMA = DATA_DIR / "radio-manifest.schema.json"
# Listener statistics (stats.lists): OPAWG's user-agent patterns and X4BNet's data-centre ranges, both MIT
STATS_DIR = DATA_DIR / "stats"
STATS_SOURCES = STATS_DIR / "SOURCES.json"  # where each list came from: repository, commit, date
# Speaker embeddings (studio.speakers): CAM++ from 3D-Speaker, exported to ONNX by scripts/export-speaker-model;
# Apache-2.0 (speakers/LICENSE), origin and sha256 in speakers/README.md
SPEAKERS_DIR = DATA_DIR / "speakers"
SPEAKER_MODEL = SPEAKERS_DIR / "campplus.onnx"
