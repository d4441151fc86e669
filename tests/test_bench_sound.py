"""scripts/bench-sound's own measurements (scripts/soundbench.py) give the figures they are built to give, on
signals whose answer is known by construction: SI-SDR, SNR mixing, hum left at each harmonic, the speech band,
short-term loudness, the spread of a three-level session built from the corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import audiogen as g
import numpy as np
import pytest
from conftest import need_shared

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import benchlib  # noqa: E402
import soundbench as sb  # noqa: E402

RATE = sb.EVAL_RATE


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return sb.scale_to(g.speech(12.0, rate=RATE, seed=11), RATE, -23.0)


def test_si_sdr_of_a_scaled_copy_is_very_high_and_of_10_db_noise_about_10(speech):
    assert sb.si_sdr(0.3 * speech, speech) > 100
    noise = sb.coloured_noise(len(speech), RATE, 1.0, seed=1)
    noisy = sb.mix_at_snr(speech, noise, 10.0, np.ones(len(speech), bool))
    assert sb.si_sdr(noisy, speech) == pytest.approx(10.0, abs=0.3)
    assert sb.si_sdr(noisy * 4, speech) == pytest.approx(sb.si_sdr(noisy, speech), abs=1e-6)


def test_mixing_sets_the_snr_over_the_speech_only(speech):
    active = np.zeros(len(speech), bool)
    active[: len(speech) // 2] = True
    noise = sb.coloured_noise(len(speech), RATE, 2.0, seed=2)
    noisy = sb.mix_at_snr(speech, noise, 5.0, active)
    added = noisy - speech
    assert sb.db(np.mean(speech[active] ** 2) / np.mean(added**2)) == pytest.approx(5.0, abs=1e-6)


def test_coloured_noise_falls_3_and_6_db_per_octave():
    from scipy.signal import welch

    for exponent, per_octave in ((1.0, -3.0), (2.0, -6.0)):
        f, p = welch(sb.coloured_noise(10 * RATE, RATE, exponent, seed=3), RATE, nperseg=4096)
        at = [p[np.argmin(np.abs(f - hz))] for hz in (500, 1000, 2000)]
        assert sb.db(at[1] / at[0]) == pytest.approx(per_octave, abs=1.0)
        assert sb.db(at[2] / at[1]) == pytest.approx(per_octave, abs=1.0)


def test_hum_is_at_its_level_and_the_measure_finds_what_was_taken_off(speech):
    freqs = sb.harmonic_freqs(50.0, 6)
    added = sb.hum(len(speech), RATE, 50.0, 6, rms_dbfs=-40.0)
    assert sb.db(np.mean(added**2) / 0.5) == pytest.approx(-40.0, abs=1e-6)  # 0 dBFS: a full-scale sine
    assert sb.hum_reduction(speech + added, speech, added, RATE, freqs) == pytest.approx([0.0] * 6, abs=0.1)
    assert sb.hum_reduction(speech + 0.01 * added, speech, added, RATE, freqs) == pytest.approx([40.0] * 6, abs=0.5)
    # subtracted exactly (and the level changed): at least 40 dB down at every harmonic
    assert min(sb.hum_reduction(2.5 * speech, speech, added, RATE, freqs)) >= 40.0
    # the hum left is measured against the speech's level: the whole output twice as loud is no reduction
    assert sb.hum_reduction(2 * (speech + added), speech, added, RATE, freqs) == pytest.approx([0.0] * 6, abs=0.1)


def test_hum_in_the_pauses_is_measured_without_the_speech(speech):
    freqs = sb.harmonic_freqs()
    added = sb.hum(len(speech), RATE)
    active = np.zeros(len(speech), bool)
    active[RATE: 3 * RATE] = active[4 * RATE: 8 * RATE] = True  # pauses: 0-1 s, 3-4 s, 8-12 s
    quiet = speech * active
    assert sb.hum_reduction_in_pauses(quiet + added, quiet, added, active, RATE, freqs) == pytest.approx([0.0] * 6,
                                                                                                       abs=0.1)
    assert sb.hum_reduction_in_pauses(quiet + 0.01 * added, quiet, added, active, RATE, freqs) == pytest.approx(
        [40.0] * 6, abs=0.5)
    assert min(sb.hum_reduction_in_pauses(2 * quiet, quiet, added, active, RATE, freqs)) >= 40.0


def test_speech_band_change_ignores_hum_and_gain_and_sees_a_high_pass(speech):
    from scipy.signal import butter, sosfilt

    freqs = sb.harmonic_freqs()
    added = sb.hum(len(speech), RATE)
    assert abs(sb.band_change(3 * (speech + added), speech, RATE, exclude=freqs)) < 0.1
    high_passed = sosfilt(butter(4, 400.0, btype="highpass", fs=RATE, output="sos"), speech)
    assert sb.band_change(high_passed, speech, RATE, exclude=freqs) < -10.0


def test_align_undoes_a_delay(speech):
    late = np.concatenate([np.zeros(437), speech])[: len(speech)]
    back, lag = sb.align(late, speech, RATE)
    assert lag == 437
    assert len(back) == len(speech)
    assert sb.si_sdr(back[: -437], speech[: -437]) > 100


def test_short_term_loudness_of_a_steady_noise_is_its_integrated_loudness():
    rate = sb.RATE
    noise = 0.05 * sb.coloured_noise(12 * rate, rate, 1.0, seed=4)
    _, levels = sb.short_term_loudness(noise, rate)
    assert np.allclose(levels, sb.loudness(noise, rate), atol=0.2)


@pytest.fixture(scope="module")
def session():
    need_shared(benchlib.CORPUS / "long" / "indsp_news_bulletin_a.wav")
    return sb.build_session(benchlib.CORPUS, rounds=1)  # the bench runs 3 rounds; one is the same code, faster


def test_the_session_has_three_speakers_at_their_levels_in_turns_of_20_to_40_s(session):
    x, segments = session.audio, session.segments
    assert [s.speaker for s in segments] == ["host", "guest", "caller"]
    assert all(19.0 <= s.end - s.start <= 48.0 for s in segments)
    measured = sb.segment_loudness(x, sb.RATE, segments)
    assert measured == pytest.approx([s.target_lufs for s in segments], abs=0.5)
    assert sb.spread(x, sb.RATE, segments) == pytest.approx(14.0, abs=0.5)
    a, b = (int(t * sb.RATE) for t in session.jingle)
    assert sb.loudness(x[a:b], sb.RATE) == pytest.approx(-20.0, abs=0.5)


def test_within_segment_change_is_zero_for_a_gain_and_finds_a_ramp(session):
    x, segments = session.audio, session.segments
    rate = sb.RATE
    assert sb.within_segment_change(x, 0.25 * x, rate, segments) == pytest.approx(0.0, abs=1e-6)
    seg = segments[1]
    gain_db = np.zeros(len(x))
    a, b = int(seg.start * rate), int(seg.end * rate)
    gain_db[a:b] = np.linspace(0.0, 4.0, b - a)  # the guest's turn rides up 4 dB from start to end
    change = sb.within_segment_change(x, x * 10 ** (gain_db / 20), rate, segments)
    assert 3.0 <= change <= 4.0  # the 3 s windows wholly inside the turn see most of the ramp


def test_pauses_raised_and_the_jingle_moved_are_found(session):
    x, rate = session.audio, sb.RATE
    assert sb.pause_change(x, 0.5 * x, rate, session) == pytest.approx(0.0, abs=1e-6)
    assert sb.jingle_change(x, 0.5 * x, rate, session) == pytest.approx(0.0, abs=1e-6)
    lifted = x.copy()
    for a, b, _ in session.pauses:  # an expander run backwards: every pause 6 dB up
        lifted[int(a * rate): int(b * rate)] *= 2.0
    assert sb.pause_change(x, lifted, rate, session) == pytest.approx(6.0, abs=0.1)
    a, b = (int(t * rate) for t in session.jingle)
    quieter = x.copy()
    quieter[a:b] *= 0.5
    # the programme holds the jingle, so it gets a little quieter too: a bit less than 6 LU
    assert -6.0 < sb.jingle_change(x, quieter, rate, session) < -5.0


def test_pesq_and_stoi_of_clean_speech_against_itself_are_their_best(speech):
    pytest.importorskip("pesq", reason="the bench extra (make bench) installs pesq")
    pytest.importorskip("pystoi", reason="the bench extra (make bench) installs pystoi")
    assert sb.pesq_wb(speech, speech) == pytest.approx(4.64, abs=0.01)
    assert sb.stoi(speech, speech) == pytest.approx(1.0, abs=1e-6)
    noisy = sb.mix_at_snr(speech, sb.coloured_noise(len(speech), RATE, 1.0, seed=5), 0.0, np.ones(len(speech), bool))
    assert sb.pesq_wb(noisy, speech) < 2.0 and sb.stoi(noisy, speech) < 0.9
