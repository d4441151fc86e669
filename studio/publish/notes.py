"""Show notes as HTML: an episode's description, written as plain text, with its links made links.

A producer writes the description as text (the episode page's field, `--description`). What goes out in the
feed (an item's <description> and content:encoded) and on the listener site is HTML made from it:

    blank line              a new paragraph (<p>)
    line break              <br>
    lines starting "- "     a list (<ul><li>); "1. " a numbered one (<ol>)
    https://example.go.id   a link (a bare http or https address; a full stop or bracket after it is not part of it)
    [words](https://…)      a link with words
    **words**, *words*      <strong>, <em>

Everything else is text: "<TPS>" arrives as "<TPS>", never as a tag. The HTML is then cleaned by nh3 (the
maintained sanitizer; bleach is deprecated) to the tags listed in ALLOWED_TAGS, links to http(s) only, each with
rel="noopener", so a hand-edited episode.toml cannot put a script or a javascript: link into a feed or a page.
Entities are written as numeric references (podcastparser misreads named ones that sit close together).
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset({"a", "p", "br", "strong", "em", "ul", "ol", "li"})
_LINK = re.compile(r"\[(?P<words>[^\]\n]+)\]\((?P<target>https?://[^\s)]+)\)|(?P<bare>https?://[^\s<>\"]+)",
                   re.IGNORECASE)
_TRAILING = ".,;:!?)]}'"
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])")
_BULLET = re.compile(r"^\s*[-•]\s+")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")
_NAMED = {"&amp;": "&#38;", "&lt;": "&#60;", "&gt;": "&#62;", "&quot;": "&#34;", "&#39;": "&#39;", "&nbsp;": "&#160;"}


def _inline(text: str) -> str:
    """One line: escaped text, its links as <a>, **strong** and *em*."""
    out, last = [], 0
    for match in _LINK.finditer(text):
        out.append(_emphasis(html.escape(text[last:match.start()], quote=False)))
        if match.group("bare"):
            target = match.group("bare")
            cut = len(target)
            while cut and target[cut - 1] in _TRAILING and not (target[cut - 1] == ")" and "(" in target[:cut]):
                cut -= 1
            target, rest = target[:cut], target[cut:]
            out.append(f'<a href="{html.escape(target)}">{html.escape(target, quote=False)}</a>')
            out.append(html.escape(rest, quote=False))
        else:
            out.append(f'<a href="{html.escape(match.group("target"))}">'
                       f'{_emphasis(html.escape(match.group("words"), quote=False))}</a>')
        last = match.end()
    out.append(_emphasis(html.escape(text[last:], quote=False)))
    return "".join(out)


def _emphasis(escaped: str) -> str:
    return _EM.sub(r"<em>\1</em>", _STRONG.sub(r"<strong>\1</strong>", escaped))


def _block(lines: list[str]) -> str:
    if all(_BULLET.match(line) for line in lines):
        return "<ul>" + "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines) + "</ul>"
    if all(_NUMBERED.match(line) for line in lines):
        return "<ol>" + "".join(f"<li>{_inline(_NUMBERED.sub('', line))}</li>" for line in lines) + "</ol>"
    return "<p>" + "<br>".join(_inline(line) for line in lines) + "</p>"


def sanitize(markup: str) -> str:
    """HTML cleaned to ALLOWED_TAGS, http(s) links with rel="noopener", entities as numeric references."""
    clean = nh3.clean(markup, tags=set(ALLOWED_TAGS), attributes={"a": {"href"}}, url_schemes={"http", "https"},
                      link_rel="noopener", strip_comments=True)
    return re.sub(r"&(?:amp|lt|gt|quot|nbsp);", lambda m: _NAMED[m.group(0)], clean)


def notes_html(text: str) -> str:
    """The description as sanitized HTML (see the module's docstring); "" for an empty one."""
    blocks = [[line.strip() for line in block.split("\n") if line.strip()]
              for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return sanitize("".join(_block(lines) for lines in blocks if lines))


def has_links(text: str) -> bool:
    return bool(_LINK.search(text))
