"""Transcription settings, the cache key they make, and the glossary prompt."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

DEFAULT_MODEL = "base"
DEFAULT_LANGUAGE = "id"

# Bump when a change here changes the text or timings produced for the same options.
# 6: chunks decoded four at a time; 7: Sastrawi lexicon; 8: a chunk's undecoded tail decoded
# again; 9: two model replicas, one chunk each; 10: standard spelling (baku), passives and
# affixed halves joined; 11: a final "h" tried first, a word split from a miss; 12: a sentence
# ending in a closing quote starts the next one for the spelling repair too; 13: the model's words
# only (the text rules became the text stage, studio.text.normalize, with its own TEXT_VERSION).
# Text rules never bump this: a bump re-runs the model over every episode.
TRANSCRIBER_VERSION = "13"

# Election vocabulary that the base model spells wrong without a hint.
ELECTION_GLOSSARY = (
    "KPU",
    "DPT",
    "DPTb",
    "Bawaslu",
    "Diskominfo",
    "TPS",
    "KPPS",
    "PPK",
    "PPS",
    "pemilih pemula",
    "pilkada",
    "coklit",
)


@dataclass
class TranscribeOptions:
    model: str | None = DEFAULT_MODEL
    device: str = "auto"
    compute_type: str | None = None
    language: str | None = DEFAULT_LANGUAGE  # None or "auto": detect on the first window
    glossary: list[str] = field(default_factory=lambda: list(ELECTION_GLOSSARY))
    # Where the glossary goes: "prompt" (initial prompt), "hotwords", "both" or "none".
    glossary_mode: str = "prompt"
    beam_size: int = 5
    # Chunks decoded at once (with the glossary as prompt), shared out among the model's
    # replicas (install.CPU_DECODE_STREAMS, two on the CPU: one chunk each). Measured on 2
    # cores: the corpus 62.5 s with one replica decoding 4 chunks at a time (the bulletin
    # 33.0 s), 52.9 s with two replicas of 2 chunks (27.1 s), 49.6 s with two of one chunk
    # (25.0 s, WER 0.254 against 0.257; a 10-minute session's peak memory 813 MB against
    # 1,067 MB with two of two). With condition_on_previous_text each chunk is decoded alone
    # with the end of the text before it (up to context_chars) added to the prompt.
    condition_on_previous_text: bool = False
    context_chars: int = 300
    batch_size: int = 2
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 160
    vad_speech_pad_ms: int = 400
    # Segment filters: a segment is dropped as non-speech when no_speech_prob is above
    # no_speech_threshold and avg_logprob is below logprob_threshold, or when its
    # avg_logprob is below min_logprob, or its text is too repetitive.
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    min_logprob: float = -1.5
    compression_ratio_threshold: float = 2.4
    # Silence added after a chunk shorter than 30 s before it is encoded; None pads to 30 s
    # as Whisper was trained. 5 s keeps the accuracy at a fraction of the cost.
    encoder_margin_seconds: float | None = 5.0
    window_seconds: float = 240.0


def forced_language(language: str | None) -> str | None:
    """The language the options set, lower-case; None for "detect it" (None, "", "auto")."""
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    return language.strip().lower()


def options_key(opts: TranscribeOptions) -> str:
    """A stable string of every setting that changes the transcript, for cache keys."""
    settings = dataclasses.asdict(opts)
    settings["model"] = opts.model or DEFAULT_MODEL
    settings["language"] = forced_language(opts.language)
    settings["version"] = TRANSCRIBER_VERSION
    return json.dumps(settings, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def initial_prompt(glossary: list[str] | tuple[str, ...]) -> str | None:
    """The prompt text that carries the glossary: an Indonesian sentence naming the terms.

    A sentence rather than a bare list: a list prompt makes the decoder recite it over music.
    """
    terms = [t.strip() for t in glossary if t and t.strip()]
    if not terms:
        return None
    listed = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " dan " + terms[-1]
    return f"Sosialisasi pemilu tentang {listed}."
