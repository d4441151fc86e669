"""The listener site `studio publish` writes beside the feeds (DESIGN.md, "Listener site"): builder (the
pages, re-rendered only when their inputs changed), content (what a page is made of), output (writing
the pages and the Pagefind search index), strings (its words in Indonesian and English)."""

from .builder import build_site
from .content import paragraphs
from .output import SiteResult

__all__ = ["SiteResult", "build_site", "paragraphs"]
