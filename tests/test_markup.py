"""The inline-markup walk (watcher.markup) on its own: the hard cases, in both modes."""

from __future__ import annotations

import pytest

from tests.pubmed_checks import assert_safe_fragment
from watcher.markup import fragment_text, safe_fragment
from watcher.records import plain_text

# markup → (safe_fragment with unknown tags dropped, with unknown tags shown)
CASES = [
    # messy, misnested and unclosed inline tags: the allow-list, balanced, in both modes
    ('"<i>Blood Relationship"</i>', '"<i>Blood Relationship"</i>', '"<i>Blood Relationship"</i>'),
    ("<i>unclosed <b>bold", "<i>unclosed <b>bold</b></i>", "<i>unclosed <b>bold</b></i>"),
    ("<i><b>x</i>y</b>", "<i><b>x</b></i>y", "<i><b>x</b></i>y"),
    ("<b><i>nested</b> rest</i>", "<b><i>nested</i></b> rest", "<b><i>nested</i></b> rest"),
    ("stray</i> end", "stray end", "stray end"),
    ("<I>upper</I>", "<i>upper</i>", "<i>upper</i>"),
    (
        "<sup>2</sup><sub>3</sub><u>u</u>",
        "<sup>2</sup><sub>3</sub><u>u</u>",
        "<sup>2</sup><sub>3</sub><u>u</u>",
    ),
    # attributes: never kept on allowed tags; a quoted ">" does not end a tag
    ('<i class="x" onclick="alert(1)">a</i>', "<i>a</i>", "<i>a</i>"),
    (
        '<span title="a>b">kept</span> text',
        "kept text",
        '&lt;span title="a&gt;b"&gt;kept&lt;/span&gt; text',
    ),
    # empty and self-closing tags
    ("<br/>line<i/> <b />", "line", "&lt;br/&gt;line"),
    ("x<br/>y", "xy", "x&lt;br/&gt;y"),
    # comments are dropped; a dropped tag does not leave a double space
    ("a <!-- <i>c</i> --> b", "a b", "a b"),
    ("a <x> b", "a b", "a &lt;x&gt; b"),
    # MathML (Bio.Entrez keeps it as tags in mixed content)
    (
        "H<mml:msub><mml:mi>2</mml:mi></mml:msub>O",
        "H2O",
        "H&lt;mml:msub&gt;&lt;mml:mi&gt;2&lt;/mml:mi&gt;&lt;/mml:msub&gt;O",
    ),
    # escaped text stays escaped text
    (
        "p&lt;0.01 &amp; &lt;script&gt;",
        "p&lt;0.01 &amp; &lt;script&gt;",
        "p&lt;0.01 &amp; &lt;script&gt;",
    ),
    (
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ),
    ("Plain &amp; simple", "Plain &amp; simple", "Plain &amp; simple"),
    ("&amp;amp; twice", "&amp;amp; twice", "&amp;amp; twice"),
    ("a < b > c", "a &lt; b &gt; c", "a &lt; b &gt; c"),
    ("p<0.01", "p&lt;0.01", "p&lt;0.01"),
    # a raw <script>: its text kept (drop) or the tags visible (show); never a live element
    ("<script>alert(1)</script>", "alert(1)", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<SCRIPT>x</SCRIPT>", "x", "&lt;SCRIPT&gt;x&lt;/script&gt;"),
    ("<script>alert(1)", "alert(1)", "&lt;script&gt;alert(1)"),
    (
        "<script><i>x</i>&amp;</script>",
        "<i>x</i>&amp;",
        "&lt;script&gt;<i>x</i>&amp;&lt;/script&gt;",
    ),
    ("<style>a&amp;b</style>", "a&amp;b", "&lt;style&gt;a&amp;b&lt;/style&gt;"),
    # non-ASCII: NFC (a + combining ring → å), whitespace (no-break space too) collapsed
    ("Ødega\u030ard &amp; Müller", "Ødegård &amp; Müller", "Ødegård &amp; Müller"),
    ("  spaced \n  out  ", "spaced out", "spaced out"),
    ("no&nbsp;break\u00a0space", "no break space", "no break space"),
    ("", "", ""),
]
IDS = [f"case{number}" for number in range(len(CASES))]


@pytest.mark.parametrize(("markup", "dropped", "shown"), CASES, ids=IDS)
def test_safe_fragment(markup: str, dropped: str, shown: str) -> None:
    assert safe_fragment(markup) == dropped
    assert safe_fragment(markup, unknown_tags="show") == shown
    for fragment in (dropped, shown):
        assert_safe_fragment(fragment)
        # already safe: a second pass changes nothing, in either mode
        assert safe_fragment(fragment) == fragment
        assert safe_fragment(fragment, unknown_tags="show") == fragment


@pytest.mark.parametrize(("markup", "dropped", "shown"), CASES, ids=IDS)
def test_fragment_text_is_the_text_of_the_fragment(markup: str, dropped: str, shown: str) -> None:
    assert fragment_text(markup) == fragment_text(dropped)
    assert fragment_text(markup, unknown_tags="show") == fragment_text(shown)
    assert plain_text(markup) == fragment_text(markup)


@pytest.mark.parametrize(
    ("markup", "dropped", "shown"),
    [
        ("<i>p</i>&lt;0.01 &amp; more", "p<0.01 & more", "p<0.01 & more"),
        ("a <i> b</i>", "a b", "a b"),
        ("<script>x</script>", "x", "<script>x</script>"),
        ('<span title="a>b">kept</span> text', "kept text", '<span title="a>b">kept</span> text'),
        ("Ødega\u030ard", "Ødegård", "Ødegård"),
    ],
)
def test_fragment_text(markup: str, dropped: str, shown: str) -> None:
    assert fragment_text(markup) == dropped
    assert fragment_text(markup, unknown_tags="show") == shown


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown_tags must be 'drop' or 'show'"):
        safe_fragment("x", unknown_tags="keep")  # type: ignore[arg-type]
