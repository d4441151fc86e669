"""The built site on disk: pages written only when their bytes changed, what is no longer made removed, and
the Pagefind search index of each show whose episode pages changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ...errors import ProcessingError
from ...fsutil import write_bytes
from ..layout import PAGE_FILE, SEARCH_INDEX_DIR, page_dir


@dataclass
class SiteResult:
    pages: int = 0
    changed: list[str] = field(default_factory=list)  # written now (new or different bytes)
    removed: list[str] = field(default_factory=list)
    indexed: bool = False  # Pagefind ran


def write_site(pages: dict[str, bytes], out: Path, kept: set[str] = frozenset()) -> SiteResult:
    """Write `pages` under `out`, each only when its bytes differ; remove files that are neither
    in `pages` nor `kept` (pages of unchanged episodes, left as they are)."""
    result = SiteResult(pages=len(pages) + len(kept))
    out.mkdir(parents=True, exist_ok=True)
    for key, data in pages.items():
        path = out / key
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                continue
        except OSError:
            pass
        write_bytes(path, data, durable=False)
        result.changed.append(key)
    root = str(out)
    for parent, dirs, names in os.walk(root):
        rel = parent[len(root) + 1:] or "."  # os.walk joins below root: relpath would normalise both paths each time
        if rel == SEARCH_INDEX_DIR:
            dirs.clear()
            continue
        for name in names:
            key = name if rel == "." else f"{rel}/{name}"
            if key not in pages and key not in kept and not name.startswith("."):
                os.unlink(os.path.join(parent, name))
                result.removed.append(key)
    return result


def show_of(key: str, shows: Iterable[str]) -> str | None:
    """The show whose search index a changed site file belongs to (an episode page), else None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[2] == PAGE_FILE and parts[1][:1].isdigit():
        return next((slug for slug in shows if page_dir(slug) == parts[0]), None)
    return None


def pagefind_command() -> list[str]:
    """The Pagefind binary itself when its package says where it is (no Python start per show), else its module."""
    try:
        from pagefind.service import _must_get_executable

        return [str(_must_get_executable().resolve())]
    except Exception:  # noqa: BLE001 - another pagefind release: run it as a module
        return [sys.executable, "-m", "pagefind"]


def build_search_index(out: Path, show: str, pagefind: Sequence[str] = ()) -> None:
    """Pagefind's index of one show's episode pages (the parts marked data-pagefind-body) in pagefind/<show>/.

    One index per show keeps a change cheap: only that show's pages are indexed again;
    search.js merges the shows' indexes in the browser."""
    index = out / SEARCH_INDEX_DIR / show
    if index.exists():
        shutil.rmtree(index)
    command = [*(pagefind or pagefind_command()), "--site", str(out), "--glob", f"{page_dir(show)}/[0-9]*/{PAGE_FILE}",
               "--output-path", str(index)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProcessingError(f"the site's search index could not be built: {exc}") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ProcessingError(f"the site's search index could not be built: {reason[-1] if reason else done.returncode}")
