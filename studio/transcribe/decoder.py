"""Decoding with faster-whisper: the one module that uses its internals.

Speech spans found by Silero VAD are packed into chunks of up to 30 s and decoded with
faster-whisper's batched-pipeline machinery (BatchedInferencePipeline.forward, its
TranscriptionOptions, the tokenizer and VAD helpers), batch_size chunks at a time (one per
model replica) with the glossary as prompt (or one at a time with the text so far added, when
condition_on_previous_text is on); the audio after a chunk's early end of text is
decoded again; chunks that loop are decoded again with WhisperModel.transcribe. A
faster-whisper upgrade that changes any of these is this file's work only
(tests/test_transcribe.py checks their signatures against the pinned version).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .cleanup import Span, compression_ratio, keep_segment
from .model import Segment, Word
from .options import TranscribeOptions, forced_language
from .pcm import SAMPLE_RATE

_PREPEND_PUNCTUATIONS = "\"'“¿([{-"
_APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"

# Languages written without spaces between words.
UNSPACED_LANGUAGES = {"zh", "ja", "th", "lo", "my", "yue", "bo"}

# Speech is 10 to 20 characters a second; a decoding with far fewer for a long chunk
# lost most of it (typically a loop inside one word, "kongkongkong", then end of text).
MIN_CHARS_PER_SECOND = 2.0

# Decoded without timestamp tokens, Whisper often ends a chunk of several joined
# utterances after the first (end of text): the rest of the chunk, decoded on its own,
# comes out. The last word normally ends within the VAD padding (0.4 s) of the chunk's end.
MAX_UNDECODED_TAIL_SECONDS = 2.0
MAX_TAIL_PASSES = 3

# Measured on the corpus with beam search: English lyrics over music decode at about -0.8
# as Indonesian, clearly spoken English well above that.
FOREIGN_MAX_LOGPROB = -0.7

# Whisper confuses these with each other; none of them is "another language" for the rest.
_RELATED_LANGUAGES = {"id": {"ms", "jw", "su"}, "ms": {"id"}, "jw": {"id"}, "su": {"id"}}


def needs_fallback(segments: list[dict], seconds: float, opts: TranscribeOptions) -> bool:
    """A chunk that batched decoding sent into a loop, worth decoding again with timestamps."""
    text = "".join(s["text"] for s in segments)
    if not text.strip():
        return False
    too_short = seconds >= 8.0 and len(text.strip()) < MIN_CHARS_PER_SECOND * seconds
    return too_short or compression_ratio(text) > opts.compression_ratio_threshold


def to_segment(seg, offset: float, spaced: bool = True) -> Segment:
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


def speech_chunks(clips: list[dict], max_samples: int) -> list[list[dict]]:
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


def undecoded_tail(segments: list[dict], offset: float, duration: float, boundaries: list[float]) -> float | None:
    """Where the decoding of a chunk (offset, duration in seconds) stopped well before its
    end, the time within the chunk to decode again from; None when it reached the end.

    The cut is the speech piece starting right after the last word (an utterance starts
    there), or the last word's end when none starts there (the decoder stopped mid-piece).
    """
    words = [w for seg in segments for w in seg.get("words") or []]
    if not words:
        return None
    last = words[-1]["end"] - offset
    if duration - last <= MAX_UNDECODED_TAIL_SECONDS:
        return None
    # A piece starts within its VAD padding (0.4 s) of the word before it ends.
    near = [b for b in boundaries if last - 0.3 <= b <= last + 1.0 and b > 0]
    return min(near) if near else max(last, 0.0)


def sounds_foreign(probs: list[tuple[str, float]], language: str) -> bool:
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
class Decoder:
    """State of one recording's decoding: model, options, language and the text so far."""

    model: object
    opts: TranscribeOptions
    language: str | None
    glossary_prompt: str | None
    hotwords: str | None
    context: str = ""

    def prompt(self) -> str | None:
        """Glossary, then with condition_on_previous_text the end of the text decoded so far."""
        context = self.context[-self.opts.context_chars :].strip() if self.opts.condition_on_previous_text else ""
        parts = [p for p in (self.glossary_prompt, context) if p]
        return " ".join(parts) or None

    def options(self, tokenizer):
        from faster_whisper.transcribe import (
            TranscriptionOptions,
            get_suppressed_tokens,
        )

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

    def decode_tails(self, pipeline, tokenizer, features, batch, results, audio, offsets, groups) -> list[list[dict]]:
        """Results of a batch with the audio after each chunk's early end of text decoded
        again (the tails batched together), until every chunk is decoded to its end."""
        results = [list(r) for r in results]
        # Where each chunk's speech pieces start, in seconds within the chunk.
        boundaries = [np.cumsum([0] + [c["end"] - c["start"] for c in groups[k]])[:-1] / SAMPLE_RATE for k in batch]
        todo = list(range(len(batch)))
        for _ in range(MAX_TAIL_PASSES):
            tails = []
            for j in todo:
                k = batch[j]
                duration = len(audio[k]) / SAMPLE_RATE
                cut = undecoded_tail(results[j], offsets[k], duration, boundaries[j].tolist())
                if cut is not None:
                    tails.append((j, cut))
            if not tails:
                break
            chunks = [audio[batch[j]][int(cut * SAMPLE_RATE) :] for j, cut in tails]
            metadata = [{"offset": offsets[batch[j]] + cut, "duration": len(c) / SAMPLE_RATE} for (j, cut), c in zip(tails, chunks)]
            decoded = pipeline.forward(features(chunks), tokenizer, metadata, self.options(tokenizer))
            for (j, cut), segments in zip(tails, decoded):
                # The cut is at the last word's end (give or take 0.3 s): what came before stays.
                start = offsets[batch[j]] + cut
                kept = [seg for seg in results[j] if seg["start"] < start]
                results[j] = kept + segments
            todo = [j for j, _ in tails]
        return results

    def window(self, samples: np.ndarray, progress: Callable[[float], None]) -> tuple[list, list[Span]]:
        """Kept faster-whisper segments of one window and its speech spans, times relative to the window.

        Speech spans found by VAD are packed into chunks of up to 30 s of speech (silence
        left out) and decoded with faster-whisper's batched pipeline, batch_size chunks at a
        time shared out among the model's replicas (options.batch_size says what was measured),
        with the encoder input cut to the longest chunk of the batch plus a margin.
        Where a chunk's words end well before its speech does, the rest is decoded again
        (decode_tails). With condition_on_previous_text they are decoded one at a time with the text so far
        added to the prompt.
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
            return [], []
        groups = speech_chunks(clips, extractor.chunk_length * SAMPLE_RATE)
        flat = [clip for group in groups for clip in group]
        spans = [(clip["start"] / SAMPLE_RATE, clip["end"] / SAMPLE_RATE) for clip in clips]

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
        forced = forced_language(self.opts.language) is not None
        # Batches go to the model's replicas (model.num_workers) from as many threads, each with
        # its own pipeline; the results are taken in order. With condition_on_previous_text each
        # chunk needs the text before it: one at a time.
        streams = 1 if self.opts.condition_on_previous_text else max(1, getattr(model.model, "num_workers", 1))
        size = 1 if self.opts.condition_on_previous_text else max(1, self.opts.batch_size // streams)
        batches = [range(i, min(i + size, len(groups))) for i in range(0, len(groups), size)]

        def decode(batch: range) -> tuple[list[list[dict]], list[bool], list]:
            pipeline = _pipeline(model)
            metadata = [{"offset": offsets[k], "duration": len(audio[k]) / SAMPLE_RATE} for k in batch]
            results = pipeline.forward(features([audio[k] for k in batch]), tokenizer, metadata, self.options(tokenizer))
            # A chunk is dropped as another language only when it also decoded badly: the
            # language detector is asked about such chunks alone.
            unsure = [
                forced and bool(segments) and segments[0]["avg_logprob"] < FOREIGN_MAX_LOGPROB
                for segments in results
            ]
            probs = pipeline.language_probs() if any(unsure) else [[]] * len(batch)
            return self.decode_tails(pipeline, tokenizer, features, batch, results, audio, offsets, groups), unsure, probs

        out = []
        pool = ThreadPoolExecutor(max_workers=streams)
        try:
            for batch, (results, unsure, probs) in zip(batches, pool.map(decode, batches)):
                for k, segments, doubtful, language_probs in zip(batch, results, unsure, probs):
                    if doubtful and sounds_foreign(language_probs, self.language):
                        self.context = ""
                        continue
                    if needs_fallback(segments, len(audio[k]) / SAMPLE_RATE, self.opts):
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
                    # Times back on the window's clock (silence put back), where the spans are.
                    restored = list(restore_speech_timestamps(decoded, flat, SAMPLE_RATE))
                    kept = [seg for seg in restored if keep_segment(seg, self.opts, spans)]
                    # Text the filters rejected must not steer what follows.
                    self.context = (self.context + "".join(seg.text for seg in kept))[-2000:] if kept else ""
                    out += kept
                progress(groups[batch[-1]][-1]["end"] / SAMPLE_RATE)
        finally:  # stopped (an error, a worker's SIGTERM): batches not started yet are not decoded
            pool.shutdown(cancel_futures=True)
        return out, spans
