"""Speech to text with faster-whisper: model resolution, streamed decoding, cleanup.

A recording is decoded by ffmpeg (through studio.media.ffmpeg's runner) to 16 kHz mono PCM and
transcribed in windows of a few minutes cut at the quietest moment near each window's
end, so memory stays bounded however long the recording is. In each window Silero VAD
finds the speech, which is packed into chunks of up to 30 s and decoded with
faster-whisper's batched pipeline (word timestamps, no temperature fallback), two chunks
at a time (two model replicas, one chunk each) with the glossary as prompt. A chunk shorter than 30 s is encoded
with a few seconds of padding rather than up to 30 s. Chunks that loop are decoded again
with timestamps; segments that look invented over noise or music are dropped and
repeated-phrase loops within a speech span collapsed.

The result is the model's words with their timings (cleaned of invented text and loops, no
other change): the text rules (spelling, casing, numbers) are studio.text's, applied by the
pipeline's text stage, so a change to them never re-runs the model.

Modules: model (the Transcript and errors), options, install (model resolution and the
bundled model), pcm (audio windows), decoder (all use of faster-whisper's internals),
cleanup (filters and loops). Importing this package loads neither numpy nor faster-whisper:
transcribe_file and load_model load them when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..media.ffmpeg import FFmpeg
from .install import default_cache_dir, load_model, resolve_model
from .model import ModelNotFound, Segment, Transcript, TranscriptionError, TranscriptionFailed, Word
from .options import (
    DEFAULT_LANGUAGE,
    DEFAULT_MODEL,
    ELECTION_GLOSSARY,
    TranscribeOptions,
    forced_language,
    initial_prompt,
    options_key,
)

__all__ = [
    "DEFAULT_LANGUAGE", "DEFAULT_MODEL", "ELECTION_GLOSSARY", "ModelNotFound", "Segment", "TranscribeOptions",
    "Transcript", "TranscriptionError", "TranscriptionFailed", "Word", "default_cache_dir", "load_model",
    "options_key", "resolve_model", "transcribe_file",
]  # fmt: skip


def transcribe_file(
    ffmpeg: FFmpeg,
    audio: Path,
    opts: TranscribeOptions | None = None,
    model=None,
    progress: Callable[[float, float], None] | None = None,
) -> Transcript:
    """Transcribe one recording; progress(done_seconds, total_seconds) follows the audio.

    model is a faster_whisper.WhisperModel from load_model() (loaded from opts when None).
    Raises TranscriptionFailed for audio that cannot be decoded or transcribed.
    """
    from .cleanup import clean_segments
    from .decoder import UNSPACED_LANGUAGES, Decoder, to_segment
    from .pcm import SAMPLE_RATE, pcm_windows, probe_duration

    opts = opts or TranscribeOptions()
    audio = Path(audio)
    if not audio.is_file():
        raise TranscriptionFailed(f"cannot transcribe {audio}: no such file")
    if model is None:
        model = load_model(opts.model, opts.device, opts.compute_type)
    glossary = [t for t in opts.glossary if t and t.strip()]
    decoder = Decoder(
        model=model,
        opts=opts,
        language=forced_language(opts.language),
        glossary_prompt=initial_prompt(glossary) if opts.glossary_mode in ("prompt", "both") else None,
        hotwords=" ".join(glossary) if opts.glossary_mode in ("hotwords", "both") and glossary else None,
    )
    total = probe_duration(audio)
    report = progress or (lambda done, total: None)
    segments: list[Segment] = []
    spans: list[tuple[float, float]] = []
    done = 0.0
    for offset, samples in pcm_windows(ffmpeg, audio, opts.window_seconds):
        window_end = offset + len(samples) / SAMPLE_RATE

        def step(seconds: float, offset: float = offset) -> None:
            report(offset + seconds, max(total, offset + seconds))

        try:
            kept, window_spans = decoder.window(samples, step)
        except RuntimeError as e:  # CTranslate2's errors (out of memory, a CUDA fault)
            raise TranscriptionFailed(f"cannot transcribe {audio}: {' '.join(str(e).split())}") from e
        segments += [to_segment(seg, offset, decoder.language not in UNSPACED_LANGUAGES) for seg in kept]
        spans += [(offset + start, offset + end) for start, end in window_spans]
        done = window_end
        report(done, max(total, done))
    language = decoder.language or DEFAULT_LANGUAGE
    return Transcript(language=language, duration=round(done, 3), segments=clean_segments(segments, spans))
