"""What the parser tests share: the fields record 99100001 has in both formats of the hand-made
files in tests/data/pubmed (articles.xml, and two_records.txt in MEDLINE), and a check that a
title or abstract fragment holds nothing but balanced, allow-listed inline markup."""

from __future__ import annotations

from html.parser import HTMLParser

from watcher.records import INLINE_TAGS, Correction

FIRST_AUTHORS = ("Müller T", "Ødegård K", "García-López MJ", "MILD Outcomes Study Group")  # NFC
FIRST_PUBLISHED = ("2025-03-07", 2025, "2025 Mar 7")  # pub_date, pub_year, pub_date_text
FIRST_CORRECTIONS = (
    Correction(
        "CommentIn",
        "J Synth Spine Res. 2025 May;12(5):300-301. doi: 10.1000/jssr.2025.0099",
        "99100091",
    ),
    Correction("ErratumIn", "J Synth Spine Res. 2025 Jun;12(6):400", "99100092"),
    Correction("RetractionIn", "J Synth Spine Res. 2025 Jun;12(6):401", "99100003"),
)


class _FragmentCheck(HTMLParser):
    """Fails on anything but balanced, attribute-free allow-listed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in INLINE_TAGS and not attrs, (tag, attrs)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise AssertionError(f"self-closing <{tag}/>")


def assert_safe_fragment(fragment: str) -> None:
    check = _FragmentCheck()
    check.feed(fragment)
    check.close()
    assert check.stack == []
