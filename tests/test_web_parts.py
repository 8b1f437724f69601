"""The web app's pure parts (the map's filter and sort, the form, CSRF tokens, the health
check, log redaction, the [web] config), and `mildwatch web` from the command line."""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digests.web.app import WebApp, redact
from digests.web.csrf import MAX_AGE_SECONDS, CsrfSigner
from digests.web.evidencemap import MapData, MapQuery, build_map, select
from digests.web.health import health
from digests.web.preferences import form_changes
from tests.digest_factories import NOW, seed, study
from tests.websites import build
from watcher.cli import cli
from watcher.clock import iso
from watcher.config import parse_config
from watcher.errors import ConfigError, WebInputError
from watcher.records import PollState, Search
from watcher.store import Store

# --- the map --------------------------------------------------------------------------------


@pytest.fixture
def rows(tmp_path: Path):
    config, _, _ = build(tmp_path)
    with Store.open_readonly(config.database) as store:
        return build_map(store.classified(("relevant",)), store.classified(("uncertain",)))


def titles(page) -> list[str]:
    return [row.item.title_text.split("] ")[1].split(" (")[0] for row in page.rows]


def test_select_filters_sorts_and_pages(rows) -> None:
    studies = rows.rows["studies"]
    assert titles(select(studies, MapQuery(design="rct", followup=24))) == [
        "Trial of decompression against injection",
        "A withdrawn trial",
    ]
    by_strength = titles(select(studies, MapQuery()))
    assert by_strength[:2] == ["Trial of decompression against injection", "A withdrawn trial"]
    assert titles(select(studies, MapQuery(sort="title")))[0] == "A small series"
    assert titles(select(studies, MapQuery(level="II"))) == ["Two-year cohort"]
    assert titles(select(studies, MapQuery(text="medicare cost"))) == ["Cost to Medicare"]
    assert select(studies, MapQuery(year=2027)).matched == 0
    paged = select(studies, MapQuery(page=2), page_size=2)
    assert (paged.page, paged.pages, len(paged.rows), paged.matched) == (2, 3, 2, 5)
    assert select(studies, MapQuery(page=99), page_size=2).page == 3  # past the end: the last
    assert titles(select(rows.rows["uncertain"], MapQuery())) == ["Billing trends"]
    assert rows.landscape.total_studies == 4  # the retracted trial is not counted


def test_every_row_tag_carries_its_snippet(rows) -> None:
    for row in rows.rows["studies"]:
        assert row.tags and all(tag.snippet for tag in row.tags), row.pmid
    trial = next(r for r in rows.rows["studies"] if r.pmid == "9001")
    assert ("Follow-up", "60 months") in [(t.label, t.value) for t in trial.tags]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"design": "rct; drop table"}, "unknown design"),
        ({"followup": "36"}, "followup must be one of 12, 24, 60"),
        ({"year": "twenty"}, "year must be a whole number"),
        ({"sort": "random"}, "unknown sort"),
        ({"tab": "secret"}, "unknown tab"),
    ],
)
def test_query_values_the_page_never_offers_are_refused(params: dict, words: str) -> None:
    with pytest.raises(WebInputError, match=words):
        MapQuery.parse(params)


def test_query_round_trips_through_its_query_string() -> None:
    query = MapQuery.parse(
        {"design": "rct", "followup": "24", "text": "  two   words ", "page": "3"}
    )
    assert query.text == "two words" and query.filtered
    assert MapQuery.parse(query.params()) == query
    assert query.params(page=1) == {"design": "rct", "followup": "24", "text": "two words"}
    assert not MapQuery().filtered and MapQuery().params() == {}


# --- forms and tokens -----------------------------------------------------------------------


def test_csrf_tokens_are_bound_to_subscriber_key_and_time() -> None:
    signer = CsrfSigner("k")
    token = signer.token("alice", now=1000)
    assert signer.valid(token, "alice", now=1000 + MAX_AGE_SECONDS)
    assert not signer.valid(token, "alice", now=1001 + MAX_AGE_SECONDS)  # expired
    assert not signer.valid(token, "alice", now=999)  # from the future
    assert not signer.valid(token, "bob", now=1000)  # another subscriber's
    assert not CsrfSigner("other key").valid(token, "alice", now=1000)
    assert not CsrfSigner().valid(token, "alice", now=1000)  # a restart without a secret
    for broken in (None, "", "1000", "x.y", "1000.", token + "0", "-5." + token.split(".")[1]):
        assert not signer.valid(broken, "alice", now=1000), broken


def test_form_changes_read_the_form_and_the_button() -> None:
    form = {"frequency": ["daily"], "format": ["text"], "scope": ["some"],
            "questions": ["safety", "reoperation"], "max_items": ["7"]}  # fmt: skip
    assert form_changes("save", form) == {
        "frequency": "daily",
        "format": "text",
        "questions": ["safety", "reoperation"],
        "max_items": 7,
    }
    everything = form_changes("save", {**form, "scope": ["all"], "max_items": [""]})
    assert everything["questions"] == [] and everything["max_items"] is None
    assert form_changes("pause", {}) == {"paused": True}
    assert form_changes("resubscribe", {}) == {"active": True, "paused": False}
    with pytest.raises(WebInputError, match="unknown action"):
        form_changes("delete", form)


def test_redact_hides_tokens_in_any_path() -> None:
    assert redact("/subscriber/abc_DEF-123?saved=1") == "/subscriber/***?saved=1"
    assert redact('"POST /mildwatch/unsubscribe/tok HTTP/1.1"') == (
        '"POST /mildwatch/unsubscribe/*** HTTP/1.1"'
    )
    assert redact("/articles/123") == "/articles/123"


# --- health ---------------------------------------------------------------------------------


def _search(name: str, enabled: bool = True) -> Search:
    return Search(id=len(name), name=name, query="q", enabled=enabled)


def test_health_is_503_until_a_recent_successful_poll() -> None:
    recent = PollState(1, last_success_at=iso(NOW - timedelta(hours=47)))
    old = PollState(2, last_success_at=iso(NOW - timedelta(hours=49)), consecutive_failures=4)
    check = {"now": NOW, "max_poll_age_hours": 48}
    assert health([], {}, **check)[0] == 503
    status, body = health([(_search("a"), recent), (_search("bb"), old)], {"queued": 3}, **check)
    assert status == 200 and body["last_successful_poll"] == recent.last_success_at
    assert [s["name"] for s in body["failing_searches"]] == ["bb"]
    assert body["outbox"] == {"queued": 3, "failed": 0, "sent": 0}
    assert health([(_search("bb"), old)], {}, **check)[1]["status"] == "stale"
    assert health([(_search("a", enabled=False), recent)], {}, **check)[0] == 503


# --- configuration --------------------------------------------------------------------------


def test_web_config_and_the_links_digests_build_from_it() -> None:
    text = '[web]\nbase_url = "https://example.org/mw/"\nport = 9000\n'
    config = parse_config(text, path=Path("m.toml"), env={"MILDWATCH_WEB_SECRET": "s3cret"})
    assert (config.web.port, config.web.host, config.web.secret) == (9000, "127.0.0.1", "s3cret")
    assert "s3cret" not in repr(config)
    assert config.mail.unsubscribe_url == "https://example.org/mw/unsubscribe/{token}"
    assert config.mail.preferences_url == "https://example.org/mw/subscriber/{token}"
    plain = parse_config("", path=Path("m.toml"), env={})
    assert plain.mail.unsubscribe_url is None and plain.mail.preferences_url is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[web]\nbase_url = "example.org"\n', "web.base_url must be the public address"),
        ('[web]\nbase_url = "https://e.org/?x=1"\n', "no query string"),
        ("[web]\nport = 70000\n", "web.port must be between 1 and 65535"),
        ('[web]\nsecret = "x"\n', "secrets do not belong in the config file"),
        ("[web]\nmax_poll_age_hours = 0\n", "must be greater than 0"),
        (
            '[mail]\nunsubscribe_url = "https://e.org/u/{token}"\n[web]\nbase_url = "https://e.org"\n',
            "set either mail.unsubscribe_url or web.base_url",
        ),
    ],
)
def test_web_config_mistakes_name_the_key(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_config(text, path=Path("m.toml"), env={})


# --- the command ----------------------------------------------------------------------------


def test_static_export_writes_map_and_study_pages(tmp_path: Path) -> None:
    config, surgeon, _ = build(tmp_path)
    out = tmp_path / "site"
    result = CliRunner().invoke(
        cli, ["--config", str(config.path), "web", "--static", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 8 pages (5 studies, 1 uncertain)" in result.output
    index = (out / "index.html").read_text()
    assert 'href="articles/9001.html"' in index and "static/filter.js" in index
    assert 'src="static/timeline.png"' in index and (out / "static" / "timeline.png").exists()
    assert "Billing trends" in (out / "uncertain.html").read_text()
    study = (out / "articles" / "9001.html").read_text()
    assert 'href="../static/web.css"' in study and "walking tolerance" in study
    everything = "".join(p.read_text() for p in out.rglob("*.html"))
    assert surgeon.token not in everything and "surgeon@example.org" not in everything


def test_web_refuses_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    config, _, _ = build(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["--config", str(config.path), "web", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_after_a_poll_readers_get_the_previous_map_while_the_new_one_builds(
    tmp_path: Path,
) -> None:
    config, _, _ = build(tmp_path)
    web = WebApp(config)

    def served() -> MapData:
        with Store.open_readonly(config.database) as store:
            return web.served_map(store)

    first = served()  # the very first map: built while its reader waits
    assert served() is first
    with Store.open(config.database) as store:  # a poll stores a new trial
        seed(store, [study(99990777, "rct")], at=NOW)
    assert served() is first  # not waited for: the rebuild runs in the background
    deadline = time.monotonic() + 60
    while (latest := served()) is first:
        assert time.monotonic() < deadline, "the map was never rebuilt"
        time.sleep(0.05)
    assert "99990777" in {row.pmid for rows in latest.rows.values() for row in rows}
    assert "99990777" not in {row.pmid for rows in first.rows.values() for row in rows}
    with Store.open_readonly(config.database) as store:
        assert web.map_data(store) is latest  # what export reads: current, nothing to build
