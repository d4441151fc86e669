"""The listener site `studio publish` writes beside the feeds (DESIGN.md, "Listener site")."""

from .builder import SEARCH_DIR, SiteResult, build_site, paragraphs

__all__ = ["SEARCH_DIR", "SiteResult", "build_site", "paragraphs"]
