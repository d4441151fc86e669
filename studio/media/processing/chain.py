"""From what the analysis found to ffmpeg filters, and the figures of what they did.

The treatment runs inside the renditions' one-decode graph (loudness.Treatment), before the gain:
1. high-pass below the voice band, where the talk's pauses hold rumble within 12 dB of the speech; a clean
   recording, or one with a faint rumble, keeps its low end (and its phase) untouched;
2. a notch (two cascaded `bandreject` biquads, 4 Hz wide) at every mains harmonic found, none without hum;
3. `afftdn` with the noise profile sampled (`sample_noise`) from a quiet pause of the talk and the measured
   floor, its strength following the measured signal-to-noise ratio: none on a clean recording; afftdn's 25 ms
   delay is taken back out, so the result stays sample-aligned with the original;
4. the leveler's gain envelope (analysis.gain_curve) as a stereo stream at 100 Hz, resampled and multiplied in.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ...fsutil import atomic_path
from ..ffmpeg import FFmpeg, Progress, probe, run_ffmpeg
from ..loudness import RATE as RENDER_RATE
from ..loudness import Analysis, Loudness, Treatment, treatment_head
from .analysis import (
    RATE,
    SoundAnalysis,
    _segment_loudness,
    blocks,
    decode_args,
    frame_levels,
    pause_frames,
)
from .analysis import gain_curve as _gain_curve
from .figures import SoundFigures
from .spectrum import _db

ENVELOPE_RATE = 100
NOTCH_WIDTH_HZ = 4.0  # two cascaded: 30 dB or more in the pauses right after a voice; 3 Hz rang on it (22 dB)
AFFTDN_DELAY_S = 0.025  # afftdn's output lags its input by 25 ms at any sample rate
# Noise reduction: off above CLEAN_SNR_DB (speech over the steady noise), full strength below FULL_SNR_DB.
CLEAN_SNR_DB = 38.0
FULL_SNR_DB = 20.0
NR_MAX_DB = 20.0
NR_MIN_DB = 6.0
CLEAN_FLOOR_DBFS = -70.0  # a steady noise below this is inaudible at any programme level
# A high-pass only for a rumble within this many dB of the speech: it shifts the phase of the voice's low end
# (a 2-pole one at 60 Hz by 25 degrees at 200 Hz), which costs more than a faint rumble does.
RUMBLE_UNDER_SPEECH_DB = 12.0


class Parts(Protocol):
    """The show's [processing] switches (workspace.config.Processing)."""

    leveler: bool
    noise_reduction: bool
    hum_reduction: bool
    highpass: bool
    highpass_hz: float


@dataclass
class Plan:
    """What the stage will do to one recording."""

    highpass_hz: float | None
    notches_hz: tuple[float, ...]
    noise_reduction_db: float | None
    noise_sample: tuple[float, float] | None
    leveler: bool
    noise_floor_db: float = -50.0  # afftdn's noise floor: the steady noise measured in the pauses

    @property
    def does_anything(self) -> bool:
        return bool(self.highpass_hz or self.notches_hz or self.noise_reduction_db or self.leveler)

    def filters(self) -> list[str]:
        steps = []
        if self.highpass_hz:
            steps.append(f"highpass=f={self.highpass_hz:g}:poles=2")
        for hz in self.notches_hz:
            steps += [f"bandreject=f={hz:.2f}:width_type=h:width={NOTCH_WIDTH_HZ:g}"] * 2
        if self.noise_reduction_db:
            if self.noise_sample:
                start, end = self.noise_sample
                steps.append(f"asendcmd=c='{start:.3f} afftdn sn start\\; {end:.3f} afftdn sn stop'")
            steps.append(f"afftdn=nr={self.noise_reduction_db:.1f}:nf={self.noise_floor_db:.1f}")
            delay = round(AFFTDN_DELAY_S * RENDER_RATE)
            steps += [f"atrim=start_sample={delay}", "asetpts=N/SR/TB", f"apad=pad_len={delay}"]
        return steps


def steady_noise_dbfs(sound: SoundAnalysis, notched: bool) -> float | None:
    """The steady noise of the pauses, less the hum when the notches take it away."""
    if sound.quiet_dbfs is None or not notched or sound.hum_share_db is None:
        return sound.quiet_dbfs
    rest = 1.0 - 10 ** (sound.hum_share_db / 10)
    return round(sound.quiet_dbfs + 10 * math.log10(rest), 2) if rest > 1e-6 else -120.0


def _rumbles(sound: SoundAnalysis) -> bool:
    """Whether the pauses hold enough below the voice band (rumble, drift, handling) to be worth a high-pass."""
    if sound.speech_lufs is None or sound.rumble_dbfs is None:
        return False
    return sound.rumble_dbfs >= sound.speech_lufs - RUMBLE_UNDER_SPEECH_DB


def plan(sound: SoundAnalysis, parts: Parts) -> Plan:
    noise = steady_noise_dbfs(sound, bool(parts.hum_reduction and sound.hum))
    snr = sound.speech_lufs - noise if sound.speech_lufs is not None and noise is not None else None
    strength = None
    if parts.noise_reduction and snr is not None and snr < CLEAN_SNR_DB and noise > CLEAN_FLOOR_DBFS:
        share = min(1.0, max(0.0, (CLEAN_SNR_DB - snr) / (CLEAN_SNR_DB - FULL_SNR_DB)))
        strength = round(NR_MIN_DB + share * (NR_MAX_DB - NR_MIN_DB), 1)
    return Plan(
        highpass_hz=parts.highpass_hz if parts.highpass and _rumbles(sound) else None,
        notches_hz=sound.hum.harmonics_hz if parts.hum_reduction and sound.hum else (),
        noise_reduction_db=strength,
        noise_sample=tuple(sound.noise_sample) if strength and sound.noise_sample else None,
        leveler=parts.leveler and any(abs(t.gain_db) >= 0.5 for t in sound.turns),
        noise_floor_db=round(min(-20.0, max(-80.0, noise)), 1) if noise is not None else -50.0,
    )


def write_envelope(sound: SoundAnalysis, path: Path, channels: int = 2) -> None:
    """The leveler's gains as linear factors, float at ENVELOPE_RATE in `channels` (a few MB for hours)."""
    curve = _gain_curve(sound.turns, sound.duration, ENVELOPE_RATE, sound.programme_gain_db)
    gains = np.repeat(10 ** (curve / 20), channels).astype("<f4")
    path.write_bytes(gains.tobytes())


def treatment(sound: SoundAnalysis, chosen: Plan, scratch: Path, channels: int = 2) -> Treatment | None:
    """The loudness.Treatment for `chosen` (its envelope written under `scratch`), None when it does nothing;
    its output in `channels` (1 or 2; the renditions: 2)."""
    if not chosen.does_anything:
        return None
    envelope = None
    if chosen.leveler:
        envelope = scratch / "leveler-envelope.f32"
        write_envelope(sound, envelope, channels)
    return Treatment(filters=chosen.filters(), envelope=envelope, envelope_rate=ENVELOPE_RATE, channels=channels)


def processed_analysis(analysis: Analysis, sound: SoundAnalysis, chosen: Plan) -> Analysis:
    """The loudness analysis of the recording as the treatment will make it, predicted from the sound pass's
    frames (its own scale tied to the ebur128 meter's by the untreated recording), so the gain plan lands
    on target without a decode of its own. The filters other than the leveler barely move the loudness;
    the render's measurement corrects what is left."""
    if not chosen.leveler or not sound.blocks_levelled:
        return analysis
    offset = analysis.loudness.integrated - sound.integrated_plain
    # This pass's peaks are 16 kHz sample peaks, below the true peaks by what the band limit takes from each
    # sound (a clap loses more than speech): tied by the typical block's crest, not by the highest peak.
    peak_offset = offset + _median_crest(analysis.blocks) - _median_crest(sound.blocks_plain)
    loudness = Loudness(integrated=sound.integrated_levelled + offset,
                        loudness_range=analysis.loudness.loudness_range,
                        true_peak=analysis.loudness.true_peak + sound.peak_levelled - sound.peak_plain,
                        max_momentary=analysis.loudness.max_momentary, max_short_term=analysis.loudness.max_short_term)
    return Analysis(loudness=loudness, duration=analysis.duration, programme_start=analysis.programme_start,
                    programme_end=analysis.programme_end,
                    blocks=[[m + offset, p + peak_offset, n] for m, p, n in sound.blocks_levelled])


def _median_crest(blocks: list[list[float]]) -> float:
    """The median of peak - loudness over the audible blocks of a histogram."""
    crests = sorted((p - m, n) for m, p, n in blocks if m > -70.0 and p > -150.0)
    half, run = sum(n for _, n in crests) / 2, 0
    for crest, n in crests:
        run += n
        if run >= half:
            return crest
    return 0.0


def figures_of(ffmpeg: FFmpeg, sound: SoundAnalysis, chosen: Plan, processed: Path, offset_s: float = 0.0,
               gain_db: float = 0.0, progress: Progress | None = None) -> SoundFigures:
    """The figures, the "after" ones measured on `processed` (the recording treated; `offset_s` seconds of the
    original cut from its start and `gain_db` applied after the treatment, as in the broadcast rendition), at
    the programme's own level: the leveler brings the turns to their median, which it leaves where it was."""
    k_parts, power_parts = [], []
    for _, samples in blocks(ffmpeg, decode_args(processed), progress):
        k_power, power, _ = frame_levels(samples)
        k_parts.append(k_power)
        power_parts.append(power)
    shift = int(round(offset_s * 10))
    scale = 10 ** (-gain_db / 10)
    k_after = np.concatenate([np.zeros(shift), *k_parts]) * scale if k_parts else np.zeros(shift)
    power_after = np.concatenate([np.zeros(shift), *power_parts]) * scale if power_parts else np.zeros(shift)
    pauses = pause_frames(sound.speech, len(power_after))
    quiet = power_after[shift:][pauses[shift:] & (power_after[shift:] > 1e-12)]
    after = [_segment_loudness(k_after[int(t.start * 10):int(math.ceil(t.end * 10))]) for t in sound.turns
             if t.start * 10 >= shift and t.end * 10 <= len(k_after)]
    notes = []
    if chosen.noise_reduction_db:
        notes.append(f"noise reduction {chosen.noise_reduction_db:g} dB")
    noise = steady_noise_dbfs(sound, bool(chosen.notches_hz))
    if sound.speech_lufs is not None and noise is not None:
        notes.append(f"speech {sound.speech_lufs - noise:.0f} dB over the steady noise")
    return SoundFigures(
        leveler=chosen.leveler, noise_reduction=bool(chosen.noise_reduction_db),
        hum_reduction=bool(chosen.notches_hz), highpass_hz=chosen.highpass_hz,
        noise_floor_before_dbfs=sound.noise_floor_dbfs,
        noise_floor_after_dbfs=round(float(_db(quiet.mean())), 2) if len(quiet) else None,
        hum=sound.hum, speech_spread_before_lu=sound.spread_lu,
        speech_spread_after_lu=round(max(after) - min(after), 2) if len(after) > 1 else (0.0 if after else None),
        segments=len(sound.turns), notes=tuple(notes),
    )


def process_file(ffmpeg: FFmpeg, source: Path, output: Path, settings: Parts,
                 progress: Progress | None = None) -> SoundFigures:
    """Treat `source` as the renditions do and write the result as a 48 kHz float WAV at the programme's own
    level: no loudness normalization, no trim, sample-aligned with the source; mono stays mono, anything else
    becomes stereo (as in the renditions)."""
    from .analysis import analyze_sound

    sound = analyze_sound(ffmpeg, source, progress)
    chosen = plan(sound, settings)
    channels = 1 if probe(source).channels == 1 else 2
    with tempfile.TemporaryDirectory(prefix="studio-sound-") as scratch, atomic_path(output) as temp:
        treated = treatment(sound, chosen, Path(scratch), channels) or Treatment(filters=[], channels=channels)
        graph, inputs = treatment_head(treated, "out")
        run_ffmpeg(ffmpeg, ["-v", "error", "-i", str(source), *inputs, "-filter_complex", graph, "-map", "[out]",
                            "-c:a", "pcm_f32le", "-ar", str(RENDER_RATE), "-f", "wav", str(temp)], progress)
    return figures_of(ffmpeg, sound, chosen, output)


__all__ = ["Parts", "Plan", "plan", "treatment", "processed_analysis", "figures_of", "process_file", "RATE"]
