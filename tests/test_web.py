"""The web app over HTTP: the real uvicorn server on loopback, httpx as the client, a real
SQLite file, and the digests composed by the real ``digests.compose`` afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from digests.compose import compose_due, compose_for
from tests.digest_factories import NOW, SCHEDULE, html_of, stored_message, text_of
from tests.websites import BASE_URL, RETRACTED, Site, csrf_of, serve_site
from watcher.clock import iso
from watcher.errors import StoreError
from watcher.store import Store


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with serve_site(tmp_path) as served:
        yield served


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=10) as http:
        yield http


def one_click(client: httpx.Client, token: str) -> httpx.Response:
    """What a mail client sends for RFC 8058 one-click unsubscribe."""
    return client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})


# --- unsubscribe ----------------------------------------------------------------------------


def test_one_click_post_unsubscribes_at_once_and_no_digest_follows(
    site: Site, client: httpx.Client
) -> None:
    with site.store() as store:  # a digest is waiting in the outbox when they leave
        queued = compose_for(store, site.surgeon, now=NOW, mail=site.config.mail)
        assert queued is not None

    reply = one_click(client, site.surgeon.token)

    assert reply.status_code == 200 and "You are unsubscribed" in reply.text
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon is not None and not surgeon.active and surgeon.unsubscribed_at
        assert store.digest(queued) is None  # the queued digest will not go out
        assert [c.changes for c in store.subscriber_changes(surgeon.id)] == [
            {"active": [True, False]}
        ]
        later = compose_due(
            store, now=NOW + timedelta(days=8), mail=site.config.mail, schedule=SCHEDULE
        )
        recipients = {store.digest(i).recipient for i in later}  # type: ignore[union-attr]
        assert recipients == {"colleague@example.org"}  # the other subscriber still gets one
    again = one_click(client, site.surgeon.token)  # a second click is harmless
    assert again.status_code == 200
    with site.store() as store:
        assert len(store.subscriber_changes(site.surgeon.id)) == 1


def test_get_shows_one_button_and_changes_nothing(site: Site, client: httpx.Client) -> None:
    for _ in range(3):  # a mail scanner may fetch the link several times
        page = client.get(f"/unsubscribe/{site.surgeon.token}")
        assert page.status_code == 200
    assert page.text.count("<button") == 1
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert "surgeon@example.org" not in page.text and "colleague" not in page.text
    assert page.headers["cache-control"] == "no-store"
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon == site.surgeon
        assert store.subscriber_changes(site.surgeon.id) == []


def test_a_post_without_the_one_click_body_is_refused(site: Site, client: httpx.Client) -> None:
    reply = client.post(f"/unsubscribe/{site.surgeon.token}", data={"List-Unsubscribe": "yes"})
    assert reply.status_code == 400 and "List-Unsubscribe=One-Click" in reply.text
    with site.store() as store:
        assert store.subscriber_by_id(site.surgeon.id).active  # type: ignore[union-attr]


def test_bad_tokens_all_get_the_same_404(site: Site, client: httpx.Client) -> None:
    good = site.surgeon.token
    unknown = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    bodies = set()
    for token in (unknown, "short", good + "x" * 200, "a" * 31 + "!", "%2e%2e", good.upper()):
        if token == good:
            continue
        for path in (f"/unsubscribe/{token}", f"/subscriber/{token}"):
            for reply in (
                client.get(path),
                client.post(path, data={"List-Unsubscribe": "One-Click", "action": "pause"}),
            ):
                assert reply.status_code == 404, (path, reply.status_code)
                bodies.add(reply.text)
    assert len(bodies) == 1 and "Page not found" in bodies.pop()
    with site.store() as store:
        assert all(s.active and not s.paused_at for s in store.subscribers())


def test_tokens_are_unguessable_and_never_logged(
    site: Site, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(site.surgeon.token) >= 22  # URL-safe base64: ≥ 22 characters hold ≥ 128 bits
    assert site.surgeon.token != site.colleague.token
    with caplog.at_level(logging.DEBUG):
        client.get(f"/subscriber/{site.surgeon.token}")
        client.get(f"/unsubscribe/{site.colleague.token}")
        one_click(client, site.colleague.token)
    logged = "\n".join(  # the server's lines (the test's own HTTP client logs its URLs)
        r.getMessage() for r in caplog.records if r.name.startswith(("uvicorn", "digests"))
    )
    assert "GET /subscriber/*** 200" in logged and "POST /unsubscribe/*** 200" in logged
    assert site.surgeon.token not in logged and site.colleague.token not in logged


# --- preferences ----------------------------------------------------------------------------


def test_preference_changes_alter_the_next_composed_digest(
    site: Site, client: httpx.Client
) -> None:
    page = client.get(f"/subscriber/{site.surgeon.token}")
    assert page.status_code == 200 and "surgeon@example.org" in page.text
    assert "colleague@example.org" not in page.text

    saved = client.post(
        f"/subscriber/{site.surgeon.token}",
        data={
            "csrf": csrf_of(page.text),
            "action": "save",
            "frequency": "monthly",
            "scope": "some",
            "questions": ["cost_coverage"],
            "max_items": "1",
            "format": "text",
        },
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == f"/mildwatch/subscriber/{site.surgeon.token}?saved=1"
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon is not None
        assert (surgeon.frequency, surgeon.questions, surgeon.max_items, surgeon.format) == (
            "monthly",
            ("cost_coverage",),
            1,
            "text",
        )
        (change,) = store.subscriber_changes(surgeon.id)
        assert change.at == iso(NOW) and change.source == "web"
        assert change.changes["frequency"] == ["weekly", "monthly"]
        digest_id = compose_for(store, surgeon, now=NOW, mail=site.config.mail)
        message = stored_message(store, digest_id)  # type: ignore[arg-type]
        other = stored_message(
            store,
            compose_for(store, site.colleague, now=NOW, mail=site.config.mail),  # type: ignore[arg-type]
        )
    assert not message.is_multipart()  # text only, as chosen
    text = text_of(message)
    assert "Cost to Medicare" in text
    assert "Trial of decompression" not in text and "Two-year cohort" not in text
    assert "Trial of decompression" in html_of(other)  # the colleague's digest is unchanged
    assert f"{BASE_URL}/subscriber/{site.surgeon.token}" in text
    assert message["List-Unsubscribe"] == f"<{BASE_URL}/unsubscribe/{site.surgeon.token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    shown = client.get(saved.headers["location"].removeprefix("/mildwatch"))
    assert "Saved." in shown.text and "frequency weekly &rarr; monthly" in shown.text


def test_pause_is_not_unsubscribe_and_resume_catches_up(site: Site, client: httpx.Client) -> None:
    prefs = f"/subscriber/{site.surgeon.token}"
    token = csrf_of(client.get(prefs).text)
    assert client.post(prefs, data={"csrf": token, "action": "pause"}).status_code == 303
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon is not None and surgeon.active and surgeon.paused_at == iso(NOW)
        queued = compose_due(store, now=NOW, mail=site.config.mail, schedule=SCHEDULE)
        assert {store.digest(i).recipient for i in queued} == {"colleague@example.org"}  # type: ignore[union-attr]
    assert "Resume digests" in client.get(prefs).text
    assert client.post(prefs, data={"csrf": token, "action": "resume"}).status_code == 303
    with site.store() as store:
        queued = compose_due(store, now=NOW, mail=site.config.mail, schedule=SCHEDULE)
        assert {store.digest(i).recipient for i in queued} == {"surgeon@example.org"}  # type: ignore[union-attr]
        changes = [c.changes for c in store.subscriber_changes(site.surgeon.id)]
    assert changes == [{"paused": [False, True]}, {"paused": [True, False]}]


@pytest.mark.parametrize(
    "how",
    ["no token", "forged token", "another subscriber's token", "another site's origin"],
)
def test_form_posts_without_a_valid_csrf_token_are_refused(
    site: Site, client: httpx.Client, how: str
) -> None:
    mine = csrf_of(client.get(f"/subscriber/{site.surgeon.token}").text)
    theirs = csrf_of(client.get(f"/subscriber/{site.colleague.token}").text)
    data = {"action": "save", "frequency": "daily", "scope": "all", "format": "html"}
    headers = {}
    if how == "forged token":
        data["csrf"] = mine.split(".")[0] + "." + "0" * 64
    elif how == "another subscriber's token":
        data["csrf"] = theirs
    elif how == "another site's origin":
        data["csrf"] = mine
        headers = {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}
    reply = client.post(f"/subscriber/{site.surgeon.token}", data=data, headers=headers)
    assert reply.status_code == 403 and "Nothing was changed" in reply.text
    with site.store() as store:
        assert store.subscriber_by_id(site.surgeon.id) == site.surgeon
        assert store.subscriber_changes(site.surgeon.id) == []


def test_invalid_preferences_change_nothing_and_say_why(site: Site, client: httpx.Client) -> None:
    prefs = f"/subscriber/{site.surgeon.token}"
    token = csrf_of(client.get(prefs).text)
    base = {"csrf": token, "action": "save", "frequency": "daily", "format": "html"}
    for extra, words in (
        ({"scope": "all", "max_items": "0"}, "from 1 to 1000"),
        ({"scope": "some"}, "tick at least one question"),
        ({"scope": "all", "frequency": "hourly"}, "frequency must be one of"),
        ({"scope": "some", "questions": "astrology"}, "unknown question"),
    ):
        reply = client.post(prefs, data={**base, **extra})
        assert reply.status_code == 400 and words in reply.text, extra
    with site.store() as store:
        assert store.subscriber_by_id(site.surgeon.id) == site.surgeon


def test_an_unsubscribed_subscriber_can_subscribe_again(site: Site, client: httpx.Client) -> None:
    one_click(client, site.surgeon.token)
    page = client.get(f"/subscriber/{site.surgeon.token}").text
    assert "You are unsubscribed" in page and 'value="resubscribe"' in page
    reply = client.post(
        f"/subscriber/{site.surgeon.token}", data={"csrf": csrf_of(page), "action": "resubscribe"}
    )
    assert reply.status_code == 303
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon is not None and surgeon.active and surgeon.unsubscribed_at is None


# --- the evidence map, a study, health --------------------------------------------------------


def test_map_filters_on_the_server_and_keeps_uncertain_records_apart(client: httpx.Client) -> None:
    everything = client.get("/")
    assert everything.status_code == 200
    assert "Where the evidence stands" in everything.text and "/chart.png" in everything.text
    assert "Billing trends" not in everything.text  # the uncertain record has its own tab
    assert "RETRACTED" in everything.text and "A withdrawn trial" in everything.text
    assert "SYNTHETIC SAMPLE DATA" in everything.text

    rcts = client.get("/", params={"design": "rct", "followup": "24"}).text
    assert "Trial of decompression" in rcts and "Two-year cohort" not in rcts
    assert "A small series" not in rcts and "Cost to Medicare" not in rcts
    long = client.get("/", params={"followup": "24", "sort": "year"}).text
    assert "Two-year cohort" in long and "A small series" not in long
    assert "Cost to Medicare" in client.get("/", params={"question": "cost_coverage"}).text
    assert "Two-year cohort" in client.get("/", params={"text": "TWO-YEAR"}).text

    uncertain = client.get("/", params={"tab": "uncertain"}).text
    assert "Billing trends" in uncertain and "Trial of decompression" not in uncertain

    bad = client.get("/", params={"design": "horoscope"})
    assert bad.status_code == 400 and "unknown design &#39;horoscope&#39;" in bad.text


def test_a_row_shows_each_tag_with_its_snippet_and_links(client: httpx.Client) -> None:
    page = client.get("/", params={"design": "rct"}).text
    assert "Why tagged" in page and "At 60 months, walking tolerance remained improved" in page
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/9001/"' in page
    assert 'href="https://doi.org/10.99999/synthetic.test.9001"' in page


def test_a_study_page_shows_all_tags_snippets_events_and_source(client: httpx.Client) -> None:
    page = client.get("/articles/9001")
    assert page.status_code == 200
    for words in ("Evidence tags", "Randomized controlled trial", "Level I", "Follow-up",
                  "60 months", "walking tolerance remained improved", "first stored",
                  "saved search <b>mild</b>", "METHODS"):  # fmt: skip
        assert words in page.text, words
    retracted = client.get(f"/articles/{RETRACTED}").text
    assert "This paper has been retracted" in retracted
    assert client.get("/articles/12345").status_code == 404
    assert client.get("/articles/not-a-pmid").status_code == 404


def test_pages_forbid_inline_script_and_escape_what_they_show(client: httpx.Client) -> None:
    for path in ("/", "/articles/9001", "/healthz", "/nowhere", "/static/web.css"):
        reply = client.get(path)
        policy = reply.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert "<script>" not in reply.text and " style=" not in reply.text
    echoed = client.get("/", params={"text": "<script>alert(1)</script>"}).text
    assert "<script>alert" not in echoed and "&lt;script&gt;alert(1)" in echoed


def test_chart_is_the_digest_timeline_png(client: httpx.Client) -> None:
    chart = client.get("/chart.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")


def test_healthz_reports_polls_failures_and_backlog(site: Site, client: httpx.Client) -> None:
    never = client.get("/healthz")
    assert never.status_code == 503 and never.json()["status"] == "never_polled"
    with site.store() as store:
        search = store.search("mild")
        assert search is not None
        store.record_poll_success(
            search.id, watermark="2026/11/23", count=5, translation="", now=iso(NOW)
        )
        store.add_search("broken", "x[tiab]", author="t", reason="t", now=iso(NOW))
        store.record_poll_failure(store.search("broken").id, error="HTTP 500", now=iso(NOW))  # type: ignore[union-attr]
        compose_for(store, site.surgeon, now=NOW, mail=site.config.mail)
    ok = client.get("/healthz")
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "ok" and body["last_successful_poll"] == iso(NOW)
    assert body["failing_searches"] == [
        {"name": "broken", "consecutive_failures": 1, "last_attempt": iso(NOW)}
    ]
    assert body["outbox"]["queued"] == 1
    assert "HTTP 500" not in ok.text  # errors stay private
    with site.store() as store:
        store.record_poll_success(
            search.id,
            watermark="2026/11/20",
            count=5,
            translation="",
            now=iso(NOW - timedelta(days=3)),
        )
    stale = client.get("/healthz")
    assert stale.status_code == 503 and stale.json()["status"] == "stale"


def test_a_read_only_store_cannot_write(site: Site) -> None:
    with Store.open_readonly(site.config.database) as store:
        assert store.subscriber_for_token(site.surgeon.token) == site.surgeon
        with pytest.raises(StoreError, match="attempt to write a readonly database"):
            store.unsubscribe_subscriber(site.surgeon, now=iso(NOW), source="test")
    with site.store() as store:
        assert store.subscriber_by_id(site.surgeon.id).active  # type: ignore[union-attr]
