"""PubMed inline markup (``<i>``, ``<b>``, ``<u>``, ``<sup>``, ``<sub>``) as a safe HTML
fragment or as plain text: one walk for the parsers (input) and the renderer (output).

Input is escaped text with tags, as Bio.Entrez gives it with ``escape=True``. PubMed's markup
is messy (``"<i>Blood Relationship"</i>``, unclosed tags, attributes, MathML), so it is read
with :class:`html.parser.HTMLParser`, not regexes. Only the allow-listed tags survive, bare;
misnested and stray end tags are dropped and open tags closed, so a fragment never leaks
markup into a page. Other tags are dropped keeping their text (``unknown_tags="drop"``: the
parsers) or shown as escaped literal text (``"show"``: the renderer, which does not trust its
caller, so a raw ``<script>`` title is seen, not lost). Comments are dropped. Text is NFC,
whitespace runs are collapsed, and it is re-escaped: what came in escaped stays escaped.
Pure: standard library only.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser
from typing import Literal

INLINE_TAGS = ("i", "b", "u", "sup", "sub")
UnknownTags = Literal["drop", "show"]
_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """NFC, whitespace runs collapsed, trimmed: PubMed's two formats wrap lines differently.
    (NFC changes no ASCII text; ``split()`` knows the same spaces as the regex ``\\s``, and
    joins in half the time.)"""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def safe_fragment(markup: str, *, unknown_tags: UnknownTags = "drop") -> str:
    """``markup`` as a safe HTML fragment: bare, balanced allow-listed tags and escaped text."""
    if _is_plain(markup, unknown_tags):
        return html.escape(clean_text(markup), quote=False)  # escaping leaves spaces be
    if _no_tags(markup, unknown_tags):
        return html.escape(clean_text(html.unescape(markup)), quote=False)
    return "".join(_walk(markup, unknown_tags).html).strip()


def fragment_text(markup: str, *, unknown_tags: UnknownTags = "drop") -> str:
    """``markup`` as plain text: the text of :func:`safe_fragment`, unescaped, on one line."""
    if _is_plain(markup, unknown_tags):
        return clean_text(markup)  # what the walk's one run of text, cleaned again, comes to
    if _no_tags(markup, unknown_tags):
        return clean_text(html.unescape(markup))
    return clean_text("".join(_walk(markup, unknown_tags).text))


def _is_plain(markup: str, unknown_tags: UnknownTags) -> bool:
    """No tag and no entity: the walk would see one run of text (most fields are like this),
    so it is normalised as :meth:`_Walk._flush` does, without the HTML parser."""
    return unknown_tags in ("drop", "show") and "<" not in (markup or "<") and "&" not in markup


def _no_tags(markup: str, unknown_tags: UnknownTags) -> bool:
    """Entities but no tag (``p &lt; 0.05``): the walk would see one run of text, unescaped
    as :func:`html.unescape` does (the parser's own ``convert_charrefs``), so it is skipped."""
    return unknown_tags in ("drop", "show") and "<" not in markup


def _run(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text))


class _Walk(HTMLParser):
    # No raw-text elements: inside <script>/<style> (and <title>, <textarea> on newer Pythons)
    # tags are still tags and entities still entities, as everywhere else in a fragment.
    CDATA_CONTENT_ELEMENTS = ()
    RCDATA_CONTENT_ELEMENTS = ()

    def __init__(self, unknown_tags: UnknownTags) -> None:
        super().__init__(convert_charrefs=True)
        self.show = unknown_tags == "show"
        self.html: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.pending: list[str] = []  # text since the last kept tag, unescaped

    def _flush(self) -> None:
        """The text so far, normalised as one run (a dropped tag does not split a run)."""
        text = _run("".join(self.pending))
        self.pending.clear()
        self.text.append(text)
        self.html.append(html.escape(text, quote=False))

    def _tag(self, tag: str) -> None:
        self._flush()
        self.html.append(tag)

    def _unknown(self, raw: str) -> None:
        if self.show:
            self.pending.append(raw)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INLINE_TAGS:
            self._tag(f"<{tag}>")
            self.open.append(tag)
        else:
            self._unknown(self.get_starttag_text() or f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in INLINE_TAGS:  # an empty <i/> is nothing
            self._unknown(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE_TAGS:
            self._unknown(f"</{tag}>")
        elif tag in self.open:  # close what was opened inside it too; a stray end is dropped
            while (current := self.open.pop()) != tag:
                self._tag(f"</{current}>")
            self._tag(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.pending.append(data)

    def finish(self) -> _Walk:
        self.close()
        while self.open:
            self._tag(f"</{self.open.pop()}>")
        self._flush()
        return self


def _walk(markup: str, unknown_tags: UnknownTags) -> _Walk:
    if unknown_tags not in ("drop", "show"):
        raise ValueError(f"unknown_tags must be 'drop' or 'show', not {unknown_tags!r}")
    walk = _Walk(unknown_tags)
    walk.feed(markup or "")
    return walk.finish()
