"""Rendering a digest: both parts, the inline chart, headers, escaping, overrides, view helpers."""

from __future__ import annotations

import email
import re
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from digests.landscape import group_sections
from digests.model import (
    ArticleUpdate,
    Count,
    DigestItem,
    DigestView,
    Landscape,
    LongestFollowUp,
    Period,
    Recipient,
    ReportedFigure,
    TimelineYear,
)
from digests.render import (
    RenderedDigest,
    Renderer,
    build_message,
    build_message_bytes,
    bundled_templates_dir,
    inline_text,
    render,
    sanitize_inline,
)
from digests.safetymodel import HarmGroup, HarmReport, Independence, Safety
from digests.wording import (
    MEDICAL_DISCLAIMER,
    NLM_DISCLAIMER,
    SECTION_TITLES,
    clip,
    make_headline,
    period_label,
)
from watcher.errors import ConfigError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UNSUBSCRIBE = "https://digest.example.org/unsubscribe/tok123"
MESSAGE_ID = "<digest.7.20261116@mildwatch.example.org>"
SENT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def item(pmid: str, **changes: object) -> DigestItem:
    fields: dict[str, object] = {
        "pmid": pmid,
        "title_html": f"[SYNTHETIC] Study {pmid} of MILD",
        "journal": "Journal of Synthetic Spine",
        "year": 2026,
        "authors": "Alder KM et al.",
        "design": "prospective_cohort",
        "level": "III",
        "snippet": f"Snippet for {pmid}.",
        "synthetic": True,
    }
    fields.update(changes)
    return DigestItem(**fields)  # type: ignore[arg-type]


def landscape() -> Landscape:
    timeline = (
        TimelineYear(2012, (Count("case_series", 2),), 12),
        TimelineYear(2016, (Count("rct", 1), Count("retrospective_cohort", 2)), 24),
        TimelineYear(2026, (Count("rct", 1), Count("prospective_cohort", 1)), 60),
    )
    return Landscape(
        total_studies=7,
        by_design=(Count("rct", 2), Count("prospective_cohort", 1), Count("case_series", 2)),
        by_level=(Count("II", 2), Count("III", 3), Count("IV", 2)),
        by_question=(Count("long_term_efficacy", 3), Count("safety", 5)),
        rct_count=2,
        rct_patients=1302,
        longest_followup=LongestFollowUp(60, "99000101", "Alder KM et al. 2026", True, 24),
        studies_24_months=3,
        studies_60_months=1,
        reoperations=(ReportedFigure("8.9% had open surgery by 5 years", "99000101", "Alder"),),
        timeline=timeline,
        safety=Safety(
            harms=(
                HarmGroup(
                    "hematoma_bleeding",
                    (
                        HarmReport(
                            "99000103",
                            "Cedar L 2025",
                            "case_report",
                            "1 patient; serious",
                            "An epidural hematoma was evacuated.",
                        ),
                    ),
                ),
            ),
            no_events=2,
            no_serious=1,
        ),
        independence=Independence(
            studies=(Count("industry", 2), Count("independent", 3), Count("not_stated", 2)),
            patients=(Count("industry", 900), Count("independent", 402)),
        ),
    )


@pytest.fixture
def items() -> list[DigestItem]:
    return [
        item(
            "99000101",
            title_html="[SYNTHETIC] Five-year outcomes of MILD versus ESI",
            design="rct",
            level="II",
            followup_months=60,
            sample_size=1302,
            questions=("comparative", "long_term_efficacy"),
            doi="10.5555/jss.2026.0101",
            pmcid="PMC9900101",
            snippet="At 5 years, ODI improvement was sustained.",
        ),
        item("99000104", level="IV", design="case_series", questions=("long_term_efficacy",)),
        item(
            "99000102",
            title_html="[SYNTHETIC] Ligamentum flavum &amp; outcome in <i>claudication</i>",
            questions=("patient_selection",),
        ),
        item("99000103", design="retrospective_cohort", questions=("safety",)),
        item("99000105", level=None, design="other", questions=()),
    ]


@pytest.fixture
def view(items: list[DigestItem]) -> DigestView:
    land = landscape()
    return DigestView(
        recipient=Recipient("Dr Zoë Müller", "zoe@example.org"),
        period=Period.of(date(2026, 11, 16), date(2026, 11, 22)),
        kind="update",
        headline=make_headline("update", len(items) + 3, land, retracted_count=1),
        sections=group_sections(items),
        updates=(
            ArticleUpdate(
                "99000050",
                "[SYNTHETIC] Early results",
                "retracted",
                "Retracted: duplicate publication.",
                notice_pmid="99000199",
            ),
            ArticleUpdate("99000051", "[SYNTHETIC] Cost model", "erratum", "Table 2 corrected."),
        ),
        overflow_count=3,
        overflow_url="https://pubmed.ncbi.nlm.nih.gov/?term=99000106,99000107,99000108",
        admin_note="Digests move to Mondays next week.",
        landscape=land,
        unsubscribe=UNSUBSCRIBE,
        synthetic=True,
    )


def build(rendered: RenderedDigest, **changes: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "sender": "mildwatch <digest@example.org>",
        "to": "Dr Zoë Müller <zoe@example.org>",
        "message_id": MESSAGE_ID,
        "date": SENT,
        "list_unsubscribe": UNSUBSCRIBE,
        "list_unsubscribe_post": True,
    }
    arguments.update(changes)
    return build_message(rendered, **arguments)  # type: ignore[arg-type]


def reparse(message: EmailMessage) -> EmailMessage:
    raw = bytes(message)
    raw.decode("ascii")  # 7-bit clean: headers RFC 2047-encoded, bodies quoted-printable
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


# --- the message --------------------------------------------------------------------------


def test_message_structure_and_inline_chart(view: DigestView) -> None:
    message = reparse(build(render(view)))
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    png = image.get_content()
    assert png.startswith(PNG_SIGNATURE)
    cid = image["Content-ID"].strip("<>")
    html = html_part.get_content()
    img_tag = re.search(r'<img [^>]*src="cid:([^"]+)"[^>]*>', html)
    assert img_tag and img_tag.group(1) == cid
    assert re.search(r'alt="Evidence timeline: 7 studies', img_tag.group(0))
    text = plain.get_content()
    assert "Evidence timeline" in text and "Longest FU" in text  # the chart as a table
    assert re.search(r"^2016 +1 +- +2 +- +3 +24 mo$", text, re.MULTILINE)


def test_headers(view: DigestView) -> None:
    message = reparse(build(render(view)))
    assert message["From"].addresses[0].addr_spec == "digest@example.org"
    assert message["To"].addresses[0].display_name == "Dr Zoë Müller"
    assert message["Subject"] == (
        "[SYNTHETIC] Week of 16 Nov 2026: 8 new studies; longest follow-up now 60 months; "
        "1 retraction"
    )
    assert message["Date"].datetime == SENT
    assert message["Message-ID"] == MESSAGE_ID
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"


def test_one_click_only_for_https(view: DigestView) -> None:
    rendered = render(view)
    mailto = build(rendered, list_unsubscribe="mailto:leave@example.org?subject=unsubscribe")
    assert mailto["List-Unsubscribe"] == "<mailto:leave@example.org?subject=unsubscribe>"
    assert mailto["List-Unsubscribe-Post"] is None
    none = build(rendered, list_unsubscribe=None, message_id="bare@id")
    assert none["List-Unsubscribe"] is None and none["Message-ID"] == "<bare@id>"


@pytest.mark.parametrize(
    "link",
    [
        "https://mildwatch.spine-centre.hospital.example.org/unsubscribe/" + "T" * 43,
        "mailto:mildwatch@spine-centre.hospital.example.org?subject=unsubscribe%20" + "T" * 43,
    ],
)
def test_a_long_unsubscribe_link_reaches_the_client_as_a_url(view: DigestView, link: str) -> None:
    """Longer than a header line: the email package would write it as RFC 2047 encoded words
    (``=?utf-8?q?=3Chttps...``), which no mail client reads as a URL. One line, as written,
    by both ways a message is made; a line break in it is still refused."""
    rendered = render(view)
    expected = f"\r\nList-Unsubscribe: <{link}>\r\n".encode()
    built = build(rendered, list_unsubscribe=link).as_bytes(policy=policy.SMTP)
    encoder = Renderer().bodies
    arguments = {"sender": "mildwatch <digest@example.org>", "to": "zoe@example.org",
                 "message_id": MESSAGE_ID, "date": SENT, "list_unsubscribe": link}  # fmt: skip
    fast = build_message_bytes(rendered, encoder=encoder, **arguments)  # type: ignore[arg-type]
    for data in (built, fast):
        head = data.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        assert expected in head and b"=?" not in head.split(b"List-Unsubscribe:")[1]
    assert reparse(built)["List-Unsubscribe"] == f"<{link}>"
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        build(rendered, list_unsubscribe=link + "\r\nBcc: everyone@example.net")


def test_naive_date_is_refused(view: DigestView) -> None:
    with pytest.raises(ValueError, match="timezone"):
        build(render(view), date=datetime(2026, 11, 23, 7, 0))


# --- what the parts say -------------------------------------------------------------------


def test_both_parts_carry_the_content(view: DigestView) -> None:
    rendered = render(view)
    for part in (rendered.text, rendered.html):
        assert "SYNTHETIC SAMPLE DATA" in part
        assert "Week of 16 Nov 2026" in part
        assert "Digests move to Mondays next week." in part
        assert "RETRACTED" in part and "Retracted: duplicate publication." in part
        assert "ERRATUM" in part and "Table 2 corrected." in part
        assert "https://pubmed.ncbi.nlm.nih.gov/99000199/" in part  # the retraction notice
        assert "and 3 more" in part
        assert "https://pubmed.ncbi.nlm.nih.gov/?term=99000106,99000107,99000108" in part
        assert "https://doi.org/10.5555/jss.2026.0101" in part
        assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC9900101/" in part
        assert "Where the evidence stands".lower() in part.lower()
        assert "1,302 patients randomized" in part
        assert "NEW" in part and "up from 24 months" in part  # the longest follow-up grew
        assert "Hematoma or bleeding" in part and "8.9% had open surgery" in part
        assert "1 patient; serious" in part and "An epidural hematoma was evacuated." in part
        flowing = " ".join(part.split())  # the text part wraps lines
        assert "2 studies stated that no procedure-related adverse events occurred" in flowing
        assert "Independent: 3 of 7 studies (402 of 1,302 patients)" in flowing
        assert UNSUBSCRIBE in part
        assert MEDICAL_DISCLAIMER in " ".join(part.split())
        assert NLM_DISCLAIMER in " ".join(part.split())


def test_sections_follow_the_question_order_and_items_the_level(view: DigestView) -> None:
    text = render(view).text
    titles = [SECTION_TITLES[s.key] for s in view.sections]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert [s.key for s in view.sections] == [
        "long_term_efficacy",
        "patient_selection",
        "safety",
        "other",
    ]
    long_term = view.sections[0]
    assert [i.pmid for i in long_term.items] == ["99000101", "99000104"]  # Level II before IV
    assert text.index("Five-year outcomes") < text.index("Study 99000104")
    assert "Also tagged: comparative" in text  # shown once, other questions as tags


def test_titles_are_escaped_in_html_and_readable_in_text(items: list[DigestItem]) -> None:
    title = "&lt;script&gt;alert(1)&lt;/script&gt; MILD &amp; ESI in <i>vivo</i> Ca<sup>2+</sup>"
    hostile = '<script>alert(2)</script><img src=x onerror=alert(3)> A & B <i onclick="x">ok</i>'
    view = DigestView(
        recipient=Recipient("A & B <surgeons>", "ab@example.org"),
        period=Period.of(date(2026, 11, 1), date(2026, 11, 30)),
        kind="update",
        headline="2 new studies",
        sections=group_sections(
            [
                item("1", title_html=title, snippet="p<0.01 & <b>bold</b> claims"),
                item("2", title_html=hostile, journal="J <Evil> & Co"),
            ]
        ),
    )
    rendered = render(view)
    html, text = rendered.html, rendered.text
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "onclick" not in re.sub(r"&lt;.*?&gt;", "", html)  # no live attribute
    assert "&lt;script&gt;alert(1)&lt;/script&gt; MILD &amp; ESI in <i>vivo</i>" in html
    assert "Ca<sup>2+</sup>" in html and "<i>ok</i>" in html
    assert "p&lt;0.01 &amp; &lt;b&gt;bold&lt;/b&gt; claims" in html  # snippets are plain text
    assert "J &lt;Evil&gt; &amp; Co" in html and "Hello A &amp; B &lt;surgeons&gt;" in html
    assert "<script>alert(1)</script> MILD & ESI in vivo Ca2+" in text
    assert "A & B ok" in text and "J <Evil> & Co" in text and "p<0.01 & <b>bold</b>" in text
    assert "&amp;" not in text and "&lt;" not in text
    assert "November 2026" in rendered.subject


def test_html_is_mail_client_safe(view: DigestView) -> None:
    html = render(view).html
    widths = [int(w) for w in re.findall(r'\bwidth="(\d+)"', html)]
    widths += [int(w) for w in re.findall(r"max-width:\s*(\d+)px", html)]
    assert widths and max(widths) <= 640 and 600 in widths
    assert '<meta name="viewport"' in html
    assert "<script" not in html.lower() and "<style" not in html.lower()
    assert "<link" not in html.lower()
    assert all(src.startswith("cid:") for src in re.findall(r'\bsrc="([^"]*)"', html))
    assert "url(" not in html and "@import" not in html
    assert re.search(r"<span [^>]*>Level II</span>", html)  # a badge that reads as text


def test_unsafe_urls_are_not_linked(view: DigestView) -> None:
    from dataclasses import replace

    rendered = render(replace(view, unsubscribe="javascript:alert(1)", overflow_url="data:x"))
    assert "javascript:" not in rendered.html and "javascript:" not in rendered.text
    assert "data:x" not in rendered.html
    assert "and 3 more, not shown here" in rendered.text


def test_baseline_puts_the_landscape_first(view: DigestView) -> None:
    from dataclasses import replace

    land = view.landscape
    baseline = replace(
        view,
        kind="baseline",
        headline=make_headline("baseline", 5, land),
        updates=(),
        overflow_count=0,
    )
    rendered = render(baseline)
    assert baseline.headline == "Where the evidence stands: 7 studies; longest follow-up 60 months"
    for part in (rendered.text, rendered.html):
        assert "first digest" in part and "up from" not in part
        assert part.lower().index("where the evidence stands") < part.lower().index("key studies")


def test_nothing_new_without_a_chart() -> None:
    view = DigestView(
        recipient=Recipient("", "x@example.org"),
        period=Period.of(date(2026, 11, 16), date(2026, 11, 22)),
        kind="nothing_new",
        headline=make_headline("nothing_new", 0, Landscape(total_studies=0)),
        landscape=Landscape(total_studies=0),
    )
    rendered = render(view)
    assert rendered.images == ()
    assert "cid:" not in rendered.html
    assert "No new studies" in rendered.text and "Hello x@example.org" in rendered.text
    assert "SYNTHETIC" not in rendered.text + rendered.html
    message = reparse(build(rendered))
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]


def test_rendering_is_deterministic(view: DigestView) -> None:
    first, second = render(view), render(view)
    assert first == second
    assert bytes(build(first)) == bytes(build(second))


def test_renderer_draws_one_chart_per_timeline(view: DigestView) -> None:
    from dataclasses import replace

    renderer = Renderer()
    a = renderer.render(view)
    b = renderer.render(replace(view, recipient=Recipient("Other", "o@example.org")))
    assert a.images[0] is b.images[0]


# --- templates: overrides and errors ------------------------------------------------------


def test_override_folder_wins(view: DigestView, tmp_path: Path) -> None:
    (tmp_path / "digest.txt.j2").write_text(
        "Custom digest for {{ recipient.email }}: {{ view.headline }}\n", encoding="utf-8"
    )
    (tmp_path / "_item.html.j2").write_text(
        "<tr><td>CUSTOM {{ item.title_html|inline }}</td></tr>\n", encoding="utf-8"
    )
    rendered = render(view, templates_dir=tmp_path)
    assert rendered.text.startswith("Custom digest for zoe@example.org: 8 new studies")
    assert "<td>CUSTOM [SYNTHETIC] Five-year outcomes" in rendered.html
    assert "Where the evidence stands" in rendered.html  # the rest is still bundled


def test_missing_override_folder(tmp_path: Path, view: DigestView) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        render(view, templates_dir=tmp_path / "nope")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("line one\n{{ view.no_such_thing }}\n", r"digest.txt.j2, line 2: .*no_such_thing.*README"),
        ("{% if %}\n", r"digest.txt.j2, line 1"),
        ("\n\n{{ 'sixty'|months }}\n", r"digest.txt.j2, line 3"),
        ('{% include "_nope.txt.j2" %}\n', r"_nope.txt.j2 not found in .*reinstall"),
    ],
    ids=["undefined", "syntax", "filter", "missing-include"],
)
def test_broken_override_names_the_template(
    tmp_path: Path, view: DigestView, template: str, message: str
) -> None:
    (tmp_path / "digest.txt.j2").write_text(template)
    with pytest.raises(ConfigError, match=message):
        render(view, templates_dir=tmp_path)


def test_bundled_templates_are_documented() -> None:
    folder = bundled_templates_dir()
    names = {p.name for p in folder.iterdir()}
    assert {"digest.html.j2", "digest.txt.j2", "subject.txt.j2", "README.md"} <= names
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for name in sorted(n for n in names if n.endswith(".j2")):
        assert name in readme, f"{name} is not described in templates/README.md"


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "html", "text"),
    [
        ("Plain &amp; simple", "Plain &amp; simple", "Plain & simple"),
        ("<i>open", "<i>open</i>", "open"),
        ("<b><i>nested</b> rest</i>", "<b><i>nested</i></b> rest", "nested rest"),
        ('<i class="x" onclick="y">a</i>', "<i>a</i>", "a"),
        ("<SCRIPT>x</SCRIPT>", "&lt;SCRIPT&gt;x&lt;/script&gt;", "<SCRIPT>x</script>"),
        ("a < b > c", "a &lt; b &gt; c", "a < b > c"),
        ("x<br/>y", "x&lt;br/&gt;y", "x<br/>y"),
        ("", "", ""),
    ],
)
def test_inline_sanitiser(fragment: str, html: str, text: str) -> None:
    assert str(sanitize_inline(fragment)) == html
    assert inline_text(fragment) == text


def test_clip_keeps_snippets_short() -> None:
    long = "word " * 100
    clipped = clip(long)
    assert len(clipped) <= 200 and clipped.endswith("…")
    assert clip("short") == "short"
    assert len(item("1", snippet=long).short_snippet) <= 200


def test_period_labels() -> None:
    assert period_label(date(2026, 11, 16), date(2026, 11, 22)) == "Week of 16 Nov 2026"
    assert period_label(date(2026, 11, 1), date(2026, 11, 30)) == "November 2026"
    assert period_label(date(2026, 11, 16), date(2026, 11, 16)) == "16 Nov 2026"
    assert period_label(date(2026, 12, 20), date(2027, 1, 3)) == "20 Dec 2026 – 3 Jan 2027"


def test_headlines() -> None:
    land = landscape()
    assert make_headline("update", 2, land) == "2 new studies; longest follow-up now 60 months"
    assert make_headline("update", 1, None) == "1 new study"
    assert (
        make_headline("nothing_new", 0, land) == "No new studies; longest follow-up now 60 months"
    )


def test_group_sections_shows_each_item_once(items: list[DigestItem]) -> None:
    sections = group_sections([*items, items[0]])
    pmids = [i.pmid for s in sections for i in s.items]
    assert sorted(pmids) == sorted(i.pmid for i in items)


def test_view_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        DigestView(
            Recipient("a", "a@x"), Period.of(date(2026, 1, 1), date(2026, 1, 7)), "weekly", "x"
        )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        ArticleUpdate("1", "t", "deleted", "x")  # type: ignore[arg-type]
