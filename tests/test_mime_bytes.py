"""A digest's bytes made from what the run's messages share (``build_message_bytes``, one
``MessageEncoder`` a run) are exactly the bytes the email package writes for the reference
``build_message(...).as_bytes(policy=SMTP)``, over odd inputs: names and subjects outside
ASCII, subjects and links long enough to fold, addresses that need quoting, text only, no
image or several, http, https and mailto unsubscribe links. All data here is synthetic.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from typing import Any

import pytest

from digests.mime import MessageEncoder, Skeleton, placeholder
from digests.render import InlineImage, RenderedDigest, build_message, build_message_bytes

SENT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TEXT = (
    "[SYNTHETIC] Weekly evidence digest for Zoë Müller\n"
    "\n"
    "* A prospective cohort of 80 patients (24 months) – pain scores ≥ 30 % lower\n"
    "From the results: a line that starts with From and one that ends with spaces   \n"
    ".a line that starts with a dot, and = signs = everywhere =\n"
    + "a line far longer than seventy-six characters, so that quoted-printable must break "
    "it with soft line breaks, twice or more, " * 3 + "\n\n\n"
    "mildwatch-body-1-placeholder\n"  # the placeholder's own text, in a body, stays text
    "\tTabbed, then ü at the very end ü\n"
)
HTML = (
    "<!doctype html><html><body><p>[SYNTHETIC] Zoë &amp; Müller — 3 studies</p>\n"
    '<img src="cid:timeline.0123456789abcdef@mildwatch" alt="chart">\n'
    + "<p>" + "long paragraph without a break " * 12 + "</p>\n"
    "=_ in the HTML, and =3D too\n</body></html>\n"
)  # fmt: skip


def image(number: int, size: int = 700) -> InlineImage:
    data = b"\x89PNG\r\n\x1a\n" + bytes((number * 7 + i) % 256 for i in range(size))
    return InlineImage(
        cid=f"timeline.{number:016x}@mildwatch",
        data=data,
        subtype="png",
        filename=f"evidence-timeline-{number}.png",
        alt="A synthetic chart",
        width=600,
        height=260,
    )


SUBJECTS = (
    "[SYNTHETIC] MILD evidence: 3 new studies",
    "[SYNTHETIC] Évidence — 3 nouvelles études für Zoë, 12 % mehr",
    "[SYNTHETIC] MILD evidence, week of 16 November 2026: 14 new studies, 2 randomized trials, "
    "1 retraction and 3 changed papers since your last digest",
    "[SYNTHETIC] Überblick über die Evidenz zur perkutanen Dekompression: 14 neue Studien, "
    "darunter 2 randomisierte Studien und eine Rücknahme — Woche 47",
    "[SYNTHETIC]  =?utf-8?q?looks=20encoded?=  and =_mildwatch_ text,\n\tover two lines",
)
RECIPIENTS: tuple[str | Address, ...] = (
    Address("Dr Zoë Müller", addr_spec="zoe.mueller@example.org"),
    Address('Smith, John "JJ" (Dr.)', addr_spec="john.smith@example.org"),
    Address("", addr_spec="plain@example.org"),
    "Zoë Müller <zoe@example.org>",
    Address(
        "Prof. Dr. med. " + "Aleksandra-Małgorzata " * 4 + "Wiśniewska-Kowalczyk",
        addr_spec="a.wisniewska@example.org",
    ),
    Address("Quoted Local", username="first last", domain="example.org"),
    Address("Team; On Call", addr_spec="oncall+mild@example.org"),
)
UNSUBSCRIBE: tuple[tuple[str | None, bool], ...] = (
    ("https://digest.example.org/unsubscribe/tok123", True),
    ("http://digest.example.org/unsubscribe/tok123", True),  # no one-click over http
    ("mailto:digest@example.org?subject=unsubscribe%20tok123", True),
    (None, True),
    ("<https://digest.example.org/u/tok123>", False),
    ("https://digest.example.org/unsubscribe?token=" + "x" * 90 + "&list=mild-weekly", True),
)
SHAPES = (
    (False, ()),
    (False, (image(1),)),
    (False, (image(1), image(2, size=3000))),
    (True, ()),
    (True, (image(1),)),  # text only: the chart is not carried
)


def reference(rendered: RenderedDigest, **headers: Any) -> bytes:
    return build_message(rendered, **headers).as_bytes(policy=policy.SMTP)


def headers(number: int, **changes: Any) -> dict[str, Any]:
    """A subscriber's headers, each message its own Message-ID and recipient."""
    found: dict[str, Any] = {
        "sender": Address("mildwatch", addr_spec="digest@example.org"),
        "to": RECIPIENTS[number % len(RECIPIENTS)],
        "message_id": f"<digest.{number:020x}@example.org>",
        "date": SENT,
        "list_unsubscribe": f"https://digest.example.org/unsubscribe/token{number:04d}",
        "list_unsubscribe_post": True,
    }
    found.update(changes)
    return found


def test_a_run_of_odd_messages_is_byte_identical() -> None:
    encoder = MessageEncoder()  # one run: every shape, header and line shared where it can be
    cases = itertools.product(SHAPES, SUBJECTS, UNSUBSCRIBE)  # and each recipient in turn
    for number, ((text_only, images), subject, (link, post)) in enumerate(cases):
        rendered = RenderedDigest(subject, TEXT, HTML, images)
        arguments = headers(
            number, list_unsubscribe=link, list_unsubscribe_post=post, text_only=text_only
        )
        to = arguments["to"]
        got = build_message_bytes(rendered, encoder=encoder, **arguments)
        assert got == reference(rendered, **arguments), (number, subject, to, link, text_only)


@pytest.mark.parametrize(
    "changes",
    [
        {"message_id": "digest.7.20261116@example.org"},  # brackets added
        {"sender": "mildwatch <digest@example.org>"},
        {"sender": Address("mildwatch — Zoë's evidence desk", addr_spec="digest@example.org")},
        {"date": datetime(2026, 3, 29, 1, 59, tzinfo=timezone(timedelta(hours=5, minutes=30)))},
        {"date": datetime(2026, 11, 23, 7, 0, 0, 123456, tzinfo=UTC)},
        {"to": Address("Zoë", addr_spec="zoe@exämple.org")},  # a domain outside ASCII
        {"text_only": True, "list_unsubscribe": None},
    ],
)
def test_one_odd_header_is_byte_identical(changes: dict[str, Any]) -> None:
    rendered = RenderedDigest(SUBJECTS[1], TEXT, HTML, (image(3),))
    encoder = MessageEncoder()
    for number in range(3):  # the first builds the skeleton, the others fill it
        arguments = headers(number, **changes)
        assert build_message_bytes(rendered, encoder=encoder, **arguments) == reference(
            rendered, **arguments
        )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("", ""),
        ("one line without a break", "<p>no break</p>"),
        ("windows\r\nline ends\r\n", "<p>a</p>\r\n<p>b</p>\r\n"),
        ("\n\n\n", "\n"),
        ("ü" * 200 + "\n", "<p>" + "€" * 100 + "</p>"),
        ("trailing space \ntrailing tab\t\n", "x" * 76 + "\n" + "y" * 77 + "\n"),
    ],
)
def test_odd_bodies_are_byte_identical(text: str, html: str) -> None:
    encoder = MessageEncoder()
    for number, text_only in enumerate((False, True, False)):
        rendered = RenderedDigest(SUBJECTS[0], text, html, (image(1),))
        arguments = headers(number, text_only=text_only)
        assert build_message_bytes(rendered, encoder=encoder, **arguments) == reference(
            rendered, **arguments
        )


def test_bad_headers_fail_as_the_reference_does() -> None:
    rendered = RenderedDigest(SUBJECTS[0], TEXT, HTML, ())
    for changes, error in (
        ({"date": datetime(2026, 11, 23, 7, 0)}, "timezone-aware"),
        ({"to": "Zoë <zoe@example.org>\nBcc: everyone@example.org"}, "linefeed"),
    ):
        with pytest.raises(ValueError, match=error):
            reference(rendered, **headers(0, **changes))
        with pytest.raises(ValueError, match=error):
            build_message_bytes(rendered, encoder=MessageEncoder(), **headers(0, **changes))


def test_a_run_keeps_a_skeleton_a_shape_and_nothing_per_recipient() -> None:
    encoder = MessageEncoder()
    rendered = RenderedDigest(SUBJECTS[2], TEXT, HTML, (image(1),))
    for number in range(40):
        arguments = headers(number, text_only=bool(number % 2))
        build_message_bytes(rendered, encoder=encoder, **arguments)
    assert len(encoder._skeletons) == 2  # HTML and text only
    assert {name for name, _, _ in encoder._headers} == {
        "From", "Subject", "Date", "List-Unsubscribe-Post", "Auto-Submitted",
        "X-Auto-Response-Suppress",
    }  # fmt: skip
    assert len(encoder._headers) == 6


def test_a_message_built_otherwise_is_refused() -> None:
    rendered = RenderedDigest(SUBJECTS[0], TEXT, HTML, ())
    arguments = headers(0)
    message = build_message(rendered, bodies=(placeholder(0), placeholder(1)), **arguments)
    top = [("To", arguments["to"]), ("From", arguments["sender"])]  # not the message's order
    with pytest.raises(ValueError, match="first headers"):
        MessageEncoder().message_bytes(top, [TEXT, HTML], shape="x", build=lambda: message)


def test_a_skeleton_needs_each_placeholder_once() -> None:
    rendered = RenderedDigest(SUBJECTS[0], TEXT, HTML, ())
    message = build_message(rendered, **headers(0))  # the real bodies: no placeholders
    names = tuple(name for name, _ in list(message.raw_items())[:9])
    with pytest.raises(ValueError, match="placeholder 0 not found once"):
        Skeleton.of(message, names, "=_mildwatch_", 2)
