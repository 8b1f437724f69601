"""Composing digests on a real SQLite file: schedule, baseline then update, the ledger across
periods and changed searches, caps, nothing-new notes, news about received papers, escaping.

The records are synthetic PubMed XML (tests/factories.py), stored and tagged by the real
store and classifier; the builders are in tests/digest_factories.py, shared with the other
digest test files, and the ``store`` and ``mail`` fixtures in tests/conftest.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from digests.compose import compose_due, compose_for, preview
from digests.periods import digest_day, is_due, latest_slot, period_for
from tests.digest_factories import (
    DAY,
    NOW,
    SCHEDULE,
    WEEK,
    count,
    html_of,
    item_pmids,
    ledger,
    mail_settings,
    seed,
    stored_message,
    study,
    subscribe,
    text_of,
)
from watcher.clock import iso
from watcher.config import MailSettings, ScheduleSettings
from watcher.records import Correction
from watcher.store import Store, Subscriber


def due(store: Store, mail: MailSettings, at: datetime, **kwargs: object) -> list[int]:
    return compose_due(store, now=at, mail=mail, schedule=SCHEDULE, **kwargs)  # type: ignore[arg-type]


# --- when a digest is due ---------------------------------------------------------------------


def _subscriber(frequency: str = "weekly", active: bool = True) -> Subscriber:
    return Subscriber(
        1, "a@example.org", "", frequency, (), (), "relevant", "html", False, None, active,
        "token", "", "",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("frequency", "covered", "today", "expected"),
    [
        ("weekly", None, date(2026, 11, 25), True),  # never served: the baseline goes now
        ("weekly", date(2026, 11, 15), date(2026, 11, 23), True),  # Monday: last week is due
        ("weekly", date(2026, 11, 22), date(2026, 11, 23), False),  # sent this morning
        ("weekly", date(2026, 11, 22), date(2026, 11, 26), False),  # mid-week
        ("weekly", date(2026, 11, 15), date(2026, 11, 25), True),  # Monday was missed
        ("daily", date(2026, 11, 22), date(2026, 11, 23), False),
        ("daily", date(2026, 11, 21), date(2026, 11, 23), True),
        ("monthly", date(2026, 10, 31), date(2026, 12, 1), True),
        ("monthly", date(2026, 11, 30), date(2026, 12, 15), False),
        ("monthly", date(2026, 10, 31), date(2026, 11, 20), False),
    ],
)
def test_is_due(frequency: str, covered: date | None, today: date, expected: bool) -> None:
    assert is_due(_subscriber(frequency), covered, today, SCHEDULE) is expected


def test_inactive_subscribers_are_never_due() -> None:
    assert not is_due(_subscriber(active=False), None, date(2026, 11, 23), SCHEDULE)


def test_slots_and_digest_day_follow_the_schedule() -> None:
    berlin = ScheduleSettings(timezone="Europe/Berlin", digest_time="07:00", weekly_day="wed")
    assert latest_slot("weekly", date(2026, 11, 23), berlin) == date(2026, 11, 18)
    assert latest_slot("monthly", date(2026, 11, 1), ScheduleSettings(monthly_day=15)) == date(
        2026, 10, 15
    )
    # 05:59 UTC is 06:59 in Berlin: before the digest time, so still "yesterday's" digests.
    assert digest_day(datetime(2026, 11, 23, 5, 59, tzinfo=UTC), berlin) == date(2026, 11, 22)
    assert digest_day(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), berlin) == date(2026, 11, 23)


def test_periods_end_yesterday_and_continue_where_the_last_one_ended() -> None:
    weekly = _subscriber("weekly")
    assert period_for(weekly, date(2026, 11, 23)).label == "Week of 16 Nov 2026"  # type: ignore[union-attr]
    monthly = _subscriber("monthly")
    assert period_for(monthly, date(2026, 12, 1)).label == "November 2026"  # type: ignore[union-attr]
    missed = replace(weekly, covered_through="2026-11-15")
    late = period_for(missed, date(2026, 11, 25))
    assert late is not None and (late.start, late.end) == (date(2026, 11, 16), date(2026, 11, 24))
    assert period_for(replace(weekly, covered_through="2026-11-22"), date(2026, 11, 23)) is None


# --- baseline, then updates -------------------------------------------------------------------


def test_baseline_then_update_never_repeats_a_paper(store: Store, mail: MailSettings) -> None:
    kinds = ["rct", "cohort", "cost"] + ["series"] * 12
    seed(store, [study(99000100 + i, kind) for i, kind in enumerate(kinds)], at=NOW - WEEK)
    seed(store, [study(99000190, "off")], at=NOW - WEEK)
    surgeon = subscribe(store)

    [baseline_id] = due(store, mail, NOW)
    baseline = store.digest(baseline_id)
    assert baseline is not None and baseline.kind == "baseline"
    assert (baseline.period_start, baseline.period_end) == ("2026-11-16", "2026-11-22")
    assert baseline.items == 10  # a selection, not everything
    covered = ledger(store, surgeon)
    assert len(covered) == 15 and sum(covered.values()) == 10 and "99000190" not in covered
    text = text_of(stored_message(store, baseline_id))
    assert "Where the evidence stands: 15 studies" in baseline.subject
    assert "first digest" in text and "KEY STUDIES" in text
    assert text.index("Does the benefit last?") < text.index("Cost and coverage")
    assert "...and 5 more" in text

    assert due(store, mail, NOW + timedelta(hours=1)) == []  # composing again queues nothing
    seed(store, [study(99000201, "cohort"), study(99000202, "series")], at=NOW + 2 * DAY)
    assert due(store, mail, NOW + 3 * DAY) == []  # not Monday yet
    [update_id] = due(store, mail, NOW + WEEK)
    update = store.digest(update_id)
    assert update is not None and update.kind == "update" and update.items == 2
    assert update.period_start == "2026-11-23" and update.period_end == "2026-11-29"
    text = text_of(stored_message(store, update_id))
    assert "2 new studies" in update.subject
    assert item_pmids(text) == ["99000201", "99000202"]  # Level II first, nothing old
    assert set(ledger(store, surgeon)) >= {"99000201", "99000202"}


def test_a_changed_search_does_not_resend_what_was_received(
    store: Store, mail: MailSettings
) -> None:
    seed(store, [study(99000301, "rct")], at=NOW - WEEK, search="first")
    surgeon = subscribe(store, searches=["first"])
    [baseline_id] = due(store, mail, NOW)
    assert store.digest(baseline_id).items == 1  # type: ignore[union-attr]

    # The librarian rewrites the query, and the surgeon moves to another search that also
    # finds the paper they already have.
    store.update_search("first", query="new[tiab]", author="t", reason="broader")
    found = [study(99000301, "rct"), study(99000302, "cohort")]
    seed(store, found, at=NOW + DAY, search="second")
    store.update_subscriber(surgeon.email, now=iso(NOW), searches=["first", "second"])
    [update_id] = due(store, mail, NOW + WEEK)
    text = text_of(stored_message(store, update_id))
    assert item_pmids(text) == ["99000302"]
    assert store.digest(update_id).items == 1  # type: ignore[union-attr]


def test_question_and_relevance_filters(store: Store, mail: MailSettings) -> None:
    kinds = {99000401: "cost", 99000402: "cohort", 99000403: "uncertain"}
    seed(store, [study(pmid, kind) for pmid, kind in kinds.items()], at=NOW - WEEK)
    cost = subscribe(store, "cost@example.org", questions=["cost_coverage"])
    broad = subscribe(store, "broad@example.org", min_relevance="uncertain")
    strict = subscribe(store, "strict@example.org")
    due(store, mail, NOW)
    assert set(ledger(store, cost)) == {"99000401"}
    assert set(ledger(store, broad)) == {"99000401", "99000402", "99000403"}
    assert set(ledger(store, strict)) == {"99000401", "99000402"}


def test_cap_counts_the_rest_and_links_to_them(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99000500, "series")], at=NOW - WEEK)
    surgeon = subscribe(store, max_items=2)
    due(store, mail, NOW)
    batch = [study(99000501, "series"), study(99000502, "rct"), study(99000503, "series"),
             study(99000504, "cohort"), study(99000505, "series")]  # fmt: skip
    seed(store, batch, at=NOW + DAY)
    [digest_id] = due(store, mail, NOW + WEEK)
    message = stored_message(store, digest_id)
    text = text_of(message)
    assert "5 new studies" in str(message["Subject"])
    assert item_pmids(text) == ["99000502", "99000504"]  # the strongest two
    assert "...and 3 more" in text
    assert "https://pubmed.ncbi.nlm.nih.gov/?term=99000501,99000503,99000505" in text
    covered = ledger(store, surgeon)
    assert {p: covered[p] for p in ("99000501", "99000502", "99000503")} == {
        "99000501": 0,
        "99000502": 1,
        "99000503": 0,
    }
    seed(store, [study(99000506, "series")], at=NOW + WEEK + DAY)
    [next_id] = due(store, mail, NOW + 2 * WEEK)
    assert item_pmids(text_of(stored_message(store, next_id))) == ["99000506"]


@pytest.mark.parametrize("send_empty", [True, False])
def test_nothing_new(store: Store, mail: MailSettings, send_empty: bool) -> None:
    seed(store, [study(99000601, "rct")], at=NOW - WEEK)
    surgeon = subscribe(store, send_empty=send_empty)
    due(store, mail, NOW)
    queued = due(store, mail, NOW + WEEK)
    if send_empty:
        [digest_id] = queued
        entry = store.digest(digest_id)
        assert entry is not None and entry.kind == "nothing_new" and entry.items == 0
        assert "No new studies" in entry.subject
        assert "No new studies this period" in text_of(stored_message(store, digest_id))
    else:
        assert queued == []
    covered = store.subscriber_by_id(surgeon.id)
    assert covered is not None and covered.covered_through == "2026-11-29"
    assert due(store, mail, NOW + WEEK + timedelta(days=2)) == []  # not due again mid-week


def test_retraction_of_a_received_paper_is_reported_once(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99000701, "rct"), study(99000702, "cohort")], at=NOW - WEEK)
    subscribe(store, send_empty=True)
    due(store, mail, NOW)

    retraction = Correction("RetractionIn", "Synth J Spine. 2026;9:1", "99000799")
    erratum = Correction("ErratumIn", "Synth J Spine. 2026;9:2", "99000798")
    seed(
        store,
        [
            study(
                99000701,
                "rct",
                publication_types=("Randomized Controlled Trial", "Retracted Publication"),
                corrections=(retraction,),
            ),
            study(99000702, "cohort", corrections=(erratum,)),
            study(
                99000703,
                "rct",
                publication_types=("Randomized Controlled Trial", "Retracted Publication"),
                corrections=(retraction,),
            ),
        ],
        at=NOW + timedelta(days=2),
    )
    [digest_id] = due(store, mail, NOW + WEEK)
    entry = store.digest(digest_id)
    text = text_of(stored_message(store, digest_id))
    assert entry is not None and entry.kind == "update" and entry.items == 0
    assert "1 retraction" in entry.subject and "No new studies" in entry.subject
    assert "RETRACTED: [SYNTHETIC] Minimally invasive" in text
    assert "https://pubmed.ncbi.nlm.nih.gov/99000799/" in text  # the notice
    assert "ERRATUM" in text and "99000798" in text
    assert item_pmids(text) == []  # a paper retracted before anyone got it is not evidence
    land = text[text.index("WHERE THE EVIDENCE STANDS") :]
    assert "Randomized trials:        0" in land  # the retracted trials no longer count

    [quiet_id] = due(store, mail, NOW + 2 * WEEK)
    assert "RETRACTED" not in text_of(stored_message(store, quiet_id))


def test_only_updates_a_reader_sees_are_news(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99000801, "rct"), study(99000802, "cohort")], at=NOW - WEEK)
    subscribe(store)
    due(store, mail, NOW)
    changed = [
        study(99000801, "rct", title="A corrected title"),
        study(99000802, "cohort", revised=date(2026, 11, 24)),
    ]
    seed(store, changed, at=NOW + DAY)
    assert {e.kind for e in store.events(since=iso(NOW))} == {"updated"}
    [digest_id] = due(store, mail, NOW + WEEK)
    text = text_of(stored_message(store, digest_id))
    assert "UPDATED: [SYNTHETIC] A corrected title" in text
    assert "PubMed updated the title" in text
    assert "99000802" not in text  # only its revision date changed


def test_titles_are_escaped_in_html_and_readable_in_text(store: Store, mail: MailSettings) -> None:
    hostile = escape('<script>alert("x")</script> MILD & ESI')
    seed(store, [study(99000901, "rct", title=hostile)], at=NOW - WEEK)
    subscribe(store)
    [digest_id] = due(store, mail, NOW)
    message = stored_message(store, digest_id)
    html, text = html_of(message), text_of(message)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; MILD &amp; ESI" in html or (
        '&lt;script&gt;alert("x")&lt;/script&gt; MILD &amp; ESI' in html
    )
    assert '<script>alert("x")</script> MILD & ESI' in text
    assert "&amp;" not in text and "&lt;" not in text


def test_headers_formats_and_synthetic_banner(store: Store, tmp_path: Path) -> None:
    mail = mail_settings(
        tmp_path,
        unsubscribe_url="https://mild.example.org/unsubscribe?t={token}",
        note="Digests move to Mondays.",
    )
    seed(store, [study(99001001, "rct"), study(99001002, "cohort")], at=NOW - WEEK)
    html_reader = subscribe(store, "html@example.org", name="Dr Zoë Müller")
    text_reader = subscribe(store, "text@example.org", format="text")
    html_id, text_id = due(store, mail, NOW)

    message = stored_message(store, html_id)
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"].addresses[0].display_name == "Dr Zoë Müller"  # type: ignore[attr-defined]
    assert message["From"].addresses[0].addr_spec == "digest@mildwatch.example.org"  # type: ignore[attr-defined]
    assert str(message["Message-ID"]).endswith("@mildwatch.example.org>")
    assert message["Message-ID"] == store.digest(html_id).message_id  # type: ignore[union-attr]
    assert message["Date"].datetime == NOW  # type: ignore[attr-defined]
    assert str(message["List-Unsubscribe"]).strip() == (
        f"<https://mild.example.org/unsubscribe?t={html_reader.token}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["Subject"]).startswith("[SYNTHETIC] Week of 16 Nov 2026: ")
    assert "SYNTHETIC SAMPLE DATA" in html_of(message)
    assert "Digests move to Mondays." in html_of(message)
    assert "not medical advice" in text_of(message).lower()
    related = message.get_body(("html",))
    assert any(p.get_content_type() == "image/png" for p in message.walk())
    assert related is not None

    plain = stored_message(store, text_id)
    assert plain.get_content_type() == "text/plain"
    assert "Digests move to Mondays." in plain.get_content()
    assert not any(p.get_content_type() == "image/png" for p in plain.walk())
    assert plain["To"].addresses[0].addr_spec == text_reader.email  # type: ignore[attr-defined]


def test_mailto_unsubscribe_without_a_url(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99001101, "rct")], at=NOW - WEEK)
    surgeon = subscribe(store)
    [digest_id] = due(store, mail, NOW)
    message = stored_message(store, digest_id)
    assert str(message["List-Unsubscribe"]).strip() == (
        f"<mailto:digest@mildwatch.example.org?subject=unsubscribe%20{surgeon.token}>"
    )
    assert message["List-Unsubscribe-Post"] is None


def test_compose_for_is_idempotent_and_preview_writes_nothing(
    store: Store, mail: MailSettings
) -> None:
    seed(store, [study(99001201, "rct")], at=NOW - WEEK)
    surgeon = subscribe(store)
    rendered = preview(store, surgeon, now=NOW, mail=mail)
    assert "Where the evidence stands" in rendered.subject
    assert item_pmids(rendered.text) == ["99001201"]
    assert count(store, "digests") == count(store, "deliveries") == 0
    assert store.subscriber(surgeon.email).covered_through is None  # type: ignore[union-attr]

    first = compose_for(store, surgeon, now=NOW, mail=mail)
    again = compose_for(store, store.subscriber(surgeon.email), now=NOW, mail=mail)  # type: ignore[arg-type]
    assert first is not None and again is None
    assert count(store, "digests") == 1

    after = preview(store, store.subscriber(surgeon.email), now=NOW, mail=mail)  # type: ignore[arg-type]
    assert "No new studies" in after.subject  # what they would get next: nothing new yet


def test_inactive_and_unsubscribed_get_nothing(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99001301, "rct")], at=NOW - WEEK)
    paused = subscribe(store, "paused@example.org")
    store.update_subscriber(paused.email, now=iso(NOW), active=False)
    gone = subscribe(store, "gone@example.org")
    store.unsubscribe(gone.token, now=iso(NOW))
    assert due(store, mail, NOW, everyone=True) == []


def test_a_plain_http_unsubscribe_url_falls_back_to_mailto(store: Store, tmp_path: Path) -> None:
    mail = mail_settings(tmp_path, unsubscribe_url="http://mild.example.org/u/{token}")
    seed(store, [study(99001401, "rct")], at=NOW - WEEK)
    surgeon = subscribe(store)
    [digest_id] = due(store, mail, NOW)
    message = stored_message(store, digest_id)
    assert str(message["List-Unsubscribe"]).strip().startswith("<mailto:")
    assert message["List-Unsubscribe-Post"] is None
    assert f"unsubscribe%20{surgeon.token}" in text_of(message)
