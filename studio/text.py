"""Text rules shared by the caption builder and the highlight picker."""

from __future__ import annotations

import re

# . ! ? or … (so also "?!" and "..."), then any closing quotes or brackets: `benar.”` `(ya.)` `itu.’`
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def ends_sentence(text: str) -> bool:
    """Whether `text` (a word, or a whole line) ends a sentence."""
    return bool(_SENTENCE_END.search(text.rstrip()))
