"""Clips: one highlight rendered as captioned MP4s for social media and videotron screens.

Formats: vertical 1080x1920, square 1080x1080, landscape 1920x1080. Each shows
the show's artwork (or a generated background), the show and episode titles,
a scrolling waveform, a progress bar and burned-in captions.

How the work is shared between the formats of one highlight:
1. The clip's range of the episode audio is decoded ONCE (ffmpeg, with its
   loudness metered in the same pass) into float PCM in a scratch folder.
2. A linear gain (plus a 4x-oversampled limiter only when the true-peak
   ceiling needs it) brings that PCM to the show's podcast target, planned by
   the renditions' planner (media.loudness); this reads PCM, it decodes
   nothing, and is metered again so the level is known before any video work.
3. The waveform is analysed ONCE with numpy (RMS per 100 ms) from that PCM.
4. Pillow draws everything that is text or graphics, with the fonts shipped
   in studio/data/fonts, so the output never depends on the machine's fonts:
   a still background per format, caption pages (pictures), a long strip of
   waveform bars and a progress strip.
5. ONE ffmpeg process encodes every requested format (a filter graph per
   format, so the formats' graphs run in parallel): the still background
   is looped, the waveform and progress strips are cropped with a window
   that moves with the frame number (scrolling bars, a growing bar), caption
   pages come in through the concat demuxer at their cue times, and the same
   PCM input is mapped to each output's AAC encoder.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from PIL import Image

from ..errors import BadInput
from ..fsutil import atomic_path
from ..media.ffmpeg import FFmpeg, Progress, probe, run_ffmpeg
from ..text.highlights import Cue, validate_range
from .audio import analyze_levels, prepare_audio
from .draw import draw_background, draw_caption, draw_progress_strip, draw_wave_strips
from .layout import BAR_PITCH, FORMATS, FPS, LEVELS_PER_SECOND, RATE, Layout
from .typeset import CaptionPage, caption_pages, clip_cues

# Part of a clip's cache key: bump when the picture or sound changes (2: rc-lookahead 5; 3: the show's loudness
# targets, planned as the renditions are).
RENDER_VERSION = 3

# Most of each frame is still and the bars scroll by whole pixels, so a diamond motion search with
# the cheapest subpixel refinement loses nothing visible and saves ~20% of the encoding time.
# One x264 thread per encoder: the three formats of a clip encode side by side anyway, and
# frame threads would hold more frames each (measured: ffmpeg's peak RSS 790 -> 630 MB for a
# three-format clip, same wall time under load: `process` stays under 1 GB in all). A lookahead
# of 5 frames instead of veryfast's 10, and one thread for the filter graphs, hold fewer frames
# again (a 30 s three-format clip: 623 -> 519 MB; files 4% smaller at the same CRF): a 60-minute
# session's `process` peaked at 996-1,055 MB, at the clips, before.
VIDEO_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-x264-params", "me=dia:subme=1:rc-lookahead=5", "-crf", "20",
              "-threads", "1", "-profile:v", "high", "-pix_fmt", "yuv420p", "-r", str(FPS), "-g", str(2 * FPS),
              "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
AUDIO_ARGS = ["-c:a", "aac", "-b:a", "128k", "-ar", str(RATE)]


@dataclass
class RenderStats:
    """What one `render_clip` call did, shared by all its formats (evidence of shared work)."""

    source_decodes: int = 0  # ffmpeg runs that read the episode audio
    waveform_analyses: int = 0
    ffmpeg_runs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage


@dataclass(frozen=True)
class ClipResult:
    format: str
    path: Path
    width: int
    height: int
    start: float  # in the episode
    duration: float
    loudness: float  # integrated LUFS of the clip's audio as encoded (metered before AAC)
    true_peak: float  # dBTP
    gain_db: float  # applied to the episode audio
    limited: bool
    stats: RenderStats


def _write_png(image: Image.Image, path: Path) -> Path:
    image.save(path, compress_level=1)
    return path


def _write_caption_track(pages: list[CaptionPage], layout: Layout, duration: float, folder: Path) -> Path:
    """Caption pages as an ffconcat list of pictures, each lasting until the next change."""
    prefix = f"{layout.name}-caption"
    blank = _write_png(draw_caption(None, layout), folder / f"{prefix}-blank.png")
    entries: list[tuple[str, float]] = []
    at = 0.0
    for i, page in enumerate(pages):
        if page.start > at + 0.001:
            entries.append((blank.name, page.start - at))
        image = _write_png(draw_caption(page, layout), folder / f"{prefix}-{i:04d}.png")
        entries.append((image.name, page.end - page.start))
        at = page.end
    entries.append((blank.name, max(0.04, duration - at) + 1.0))
    entries.append((blank.name, 1.0))  # the last entry's duration is not used by the demuxer
    lines = ["ffconcat version 1.0"]
    for name, seconds in entries:
        lines += [f"file '{name}'", f"duration {seconds:.4f}"]
    track = folder / f"{prefix}s.ffconcat"
    track.write_text("\n".join(lines) + "\n")
    return track


def _to_yuv(alpha: bool) -> str:
    return f"scale=out_color_matrix=bt709:out_range=tv,format={'yuva420p' if alpha else 'yuv420p'}"


def _loop(frames: int) -> str:
    # Integer timestamps: N/30/TB in floating point lands just below some frames' slots.
    return f"loop=loop=-1:size=1,settb=1/{FPS},setpts=N,trim=end_frame={frames}"


def _format_graph(layout: Layout, inputs: dict[str, int], frames: int, out: str) -> str:
    """The filter graph for one format: background + scrolling bars + progress + captions."""
    i, n = inputs, layout.name
    wave, bar, cap = layout.wave, layout.progress, layout.captions
    half = wave.w // 2
    step = BAR_PITCH * LEVELS_PER_SECOND // FPS
    last = max(1, frames - 1)
    return ";".join([
        f"[{i['background']}:v]{_to_yuv(False)},{_loop(frames)}[{n}bg]",
        f"[{i['bright']}:v]{_loop(frames)},crop=w={half}:h={wave.h}:x='n*{step}':y=0,{_to_yuv(True)}[{n}wb]",
        f"[{i['dim']}:v]{_loop(frames)},crop=w={wave.w - half}:h={wave.h}:x='n*{step}+{half}':y=0,{_to_yuv(True)}[{n}wd]",
        f"[{i['progress']}:v]{_loop(frames)},crop=w={bar.w}:h={bar.h}:x='{bar.w}-floor({bar.w}*min(n,{last})/{last})':y=0,"
        f"{_to_yuv(True)}[{n}pg]",
        f"[{i['captions']}:v]{_to_yuv(True)}[{n}cp]",
        f"[{n}bg][{n}wb]overlay=x={wave.x}:y={wave.y}:shortest=1[{n}1]",
        f"[{n}1][{n}wd]overlay=x={wave.x + half}:y={wave.y}:shortest=1[{n}2]",
        f"[{n}2][{n}pg]overlay=x={bar.x}:y={bar.y}:shortest=1[{n}3]",
        f"[{n}3][{n}cp]overlay=x={cap.x}:y={cap.y}:eof_action=repeat,setsar=1[{out}]",
    ])


def render_clip(
    ffmpeg: FFmpeg,
    audio: Path,
    start: float,
    end: float,
    title: str,
    show_title: str,
    cues: Sequence[Cue],
    artwork: Path | None,
    outputs: dict[str, Path],
    progress: Progress | None = None,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    scratch: Path | None = None,
) -> list[ClipResult]:
    """Render start..end of `audio` in each format named in `outputs` ({"vertical": path, ...}), its sound
    at `target_lufs` with true peaks under `ceiling_dbtp` (the show's podcast targets).

    `cues` are in episode time (they are shifted and clipped here). Every
    output is written atomically; on any error nothing is left behind.
    The temporary files (about 12 MB) go in a folder made in `scratch`
    (default: the system's), removed on any way out but a kill: a caller
    that names `scratch` empties it before the next render.
    BadInput for an unknown format or a bad range.
    """
    unknown = sorted(set(outputs) - set(FORMATS))
    if unknown or not outputs:
        raise BadInput(f"unknown clip format {', '.join(unknown) or '(none)'} (known: {', '.join(FORMATS)})")
    validate_range(start, end, probe(audio).duration)
    art = _open_artwork(artwork)
    stats = RenderStats()
    layouts = [FORMATS[name] for name in outputs]
    frames = round((end - start) * FPS)
    with tempfile.TemporaryDirectory(prefix="studio-clip-", dir=scratch) as temporary:
        folder = Path(temporary)
        clip_audio = prepare_audio(ffmpeg, audio, start, end, folder, target_lufs, ceiling_dbtp)
        stats.source_decodes += 1
        stats.ffmpeg_runs += clip_audio.ffmpeg_runs
        stats.seconds.update(clip_audio.seconds)

        began = time.monotonic()
        levels = analyze_levels(clip_audio.path)
        stats.waveform_analyses += 1
        stats.seconds["waveform"] = time.monotonic() - began

        began = time.monotonic()
        shifted = clip_cues(cues, start, end)
        args = ["-filter_complex_threads", "1",
                "-f", "f32le", "-ar", str(RATE), "-ch_layout", "stereo", "-i", str(clip_audio.path)]
        graphs, index = [], 1
        for layout in layouts:
            bright, dim = draw_wave_strips(levels, layout)
            files = {
                "background": _write_png(draw_background(layout, title, show_title, art), folder / f"{layout.name}-bg.png"),
                "bright": _write_png(bright, folder / f"{layout.name}-wave-bright.png"),
                "dim": _write_png(dim, folder / f"{layout.name}-wave-dim.png"),
                "progress": _write_png(draw_progress_strip(layout), folder / f"{layout.name}-progress.png"),
            }
            inputs = {}
            for key, path in files.items():
                args += ["-framerate", str(FPS), "-i", str(path)]
                inputs[key] = index
                index += 1
            track = _write_caption_track(caption_pages(shifted, layout), layout, end - start, folder)
            args += ["-f", "concat", "-i", str(track)]
            inputs["captions"] = index
            index += 1
            graphs.append(_format_graph(layout, inputs, frames, f"v{layout.name}"))
        stats.seconds["graphics"] = time.monotonic() - began

        began = time.monotonic()
        with contextlib.ExitStack() as stack:  # all outputs are committed, or none is left behind
            temps = [stack.enter_context(atomic_path(outputs[layout.name])) for layout in layouts]
            for graph in graphs:  # one graph per format: each runs in its own thread
                args += ["-filter_complex", graph]
            for layout, temp in zip(layouts, temps):
                args += ["-map", f"[v{layout.name}]", "-map", "0:a", *VIDEO_ARGS, "-frames:v", str(frames),
                         *AUDIO_ARGS, "-movflags", "+faststart", "-f", "mp4", str(temp)]
            run_ffmpeg(ffmpeg, args, progress, duration=end - start)  # its input is raw audio: no duration logged
            stats.ffmpeg_runs += 1
        stats.seconds["encode"] = time.monotonic() - began

    return [
        ClipResult(layout.name, outputs[layout.name], layout.width, layout.height, start, frames / FPS,
                   clip_audio.loudness, clip_audio.true_peak, clip_audio.gain_db, clip_audio.limited, stats)
        for layout in layouts
    ]


def _open_artwork(artwork: Path | None) -> Image.Image | None:
    if artwork is None:
        return None
    try:
        with Image.open(artwork) as image:
            return image.convert("RGB")
    except (OSError, ValueError) as exc:
        raise BadInput(f"{artwork.name}: not a readable picture for the clip artwork ({exc})") from None


def make_poster(ffmpeg: FFmpeg, video: Path, out: Path, at: float) -> None:
    """The frame `at` seconds into `video` as a JPEG at `out` (the clip's poster: what a player shows before
    it plays). `out` is written by ffmpeg; the caller makes it atomic."""
    run_ffmpeg(ffmpeg, ["-v", "error", "-ss", f"{max(0.0, at):.3f}", "-i", str(video), "-frames:v", "1",
                        "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", str(out)])
