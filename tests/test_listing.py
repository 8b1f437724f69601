"""A digest stays bounded however large the literature grows (issue 10): each landscape list
shows at most ``LISTED`` entries and says how many more there are and where they all are; the
counts stay complete; a harm report new in this digest is always listed; a baseline lists the
gravest harm reports and findings against up to the cap again and counts the rest. Composed
on a real SQLite file and rendered with the bundled templates, read as a subscriber would."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from digests.compose import compose_due
from digests.listing import LISTED, pick
from tests.digest_factories import (
    NOW,
    SCHEDULE,
    WEEK,
    html_of,
    item_pmids,
    ledger,
    mail_settings,
    seed,
    stored_message,
    subscribe,
    text_of,
)
from tests.factories import record
from watcher.config import MailSettings, parse_config
from watcher.errors import ConfigError
from watcher.store import Store

EVIDENCE_URL = "https://example.org/mw/"
WIDTH = 72


def case_series(pmid: int, year: int, *, serious: bool = False) -> str:
    """A case series (a synthetic record) reporting one epidural hematoma: minor, or serious
    and evacuated by surgery."""
    outcome = (
        "A symptomatic epidural hematoma in one patient required surgical evacuation."
        if serious
        else "One patient developed a small epidural hematoma that resolved without treatment."
    )
    methods = (
        f"A retrospective case series of {30 + pmid % 50} patients who underwent percutaneous "
        "image-guided lumbar decompression (the mild procedure)."
    )
    return record(pmid, date(year, 3, 1), abstract=(("METHODS", methods), ("RESULTS", outcome)))


def due(store: Store, mail: MailSettings, at: object) -> list[int]:
    return compose_due(store, now=at, mail=mail, schedule=SCHEDULE)  # type: ignore[arg-type]


def hematoma_block(text: str) -> str:
    """The "Hematoma or bleeding" group of the text part's "How safe is it?"."""
    start = text.index("  Hematoma or bleeding - ")
    return text[start : text.index("\n\n", start)]


def listed(block: str) -> list[str]:
    return re.findall(r"^    https://pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/$", block, re.M)


@pytest.fixture
def linked(tmp_path: Path) -> MailSettings:
    return mail_settings(tmp_path, evidence_url=EVIDENCE_URL)


# Nine hematoma reports: the serious one is the oldest; the others are minor, 2016 to 2023.
SERIOUS = 99300001
MINOR = {99300002 + i: 2016 + i for i in range(8)}


def nine_reports() -> list[str]:
    return [case_series(SERIOUS, 2012, serious=True)] + [
        case_series(pmid, year) for pmid, year in MINOR.items()
    ]


def test_a_kind_with_more_than_listed_reports_lists_the_gravest_and_counts_the_rest(
    store: Store, linked: MailSettings
) -> None:
    seed(store, nine_reports(), at=NOW - WEEK)
    subscribe(store)
    (digest,) = due(store, linked, NOW)
    message = stored_message(store, digest)
    text, html = text_of(message), html_of(message)

    block = hematoma_block(text)
    assert block.startswith("  Hematoma or bleeding - 9 studies")  # the count is complete
    shown = listed(block)
    # Serious first (however old), then the most recent minor ones: 2023 back to 2019.
    expected = {str(SERIOUS), *(str(p) for p, y in MINOR.items() if y >= 2019)}
    assert len(shown) == LISTED and set(shown) == expected
    more = " ".join(block[block.index("...and") :].split())
    assert more == (
        "...and 3 more hematoma or bleeding reports, counted above and not listed here. "
        f"Every one is on the evidence map: {EVIDENCE_URL}#safety"
    )
    assert "Where there are many, reports new in this digest are listed first" in text
    assert [line for line in block.splitlines() if len(line) > WIDTH and "://" not in line] == []

    safety = html[html.index(">How safe is it?</h3>") :]
    group = safety[safety.index("<b>Hematoma or bleeding</b>") :]
    group = group[: group.index("</p>", group.index("&hellip;and"))]
    assert "9 studies" in group
    assert len(re.findall(r"<li ", group)) == LISTED
    assert (
        "&hellip;and 3 more hematoma or bleeding reports, counted above and not listed here: "
        f'<a href="{EVIDENCE_URL}#safety"'
    ) in group


def test_without_a_web_address_the_line_names_the_command_that_lists_them(
    store: Store, mail: MailSettings
) -> None:
    seed(store, [case_series(pmid, year) for pmid, year in MINOR.items()], at=NOW - WEEK)
    subscribe(store)
    (digest,) = due(store, mail, NOW)
    block = hematoma_block(text_of(stored_message(store, digest)))
    assert block.startswith("  Hematoma or bleeding - 8 studies") and len(listed(block)) == LISTED
    assert "...and 2 more hematoma or bleeding reports" in block
    assert "`mildwatch evidence`" in " ".join(block.split()) and "#safety" not in block


def test_a_new_harm_report_is_always_listed_however_many_older_ones_there_are(
    store: Store, linked: MailSettings
) -> None:
    seed(store, nine_reports(), at=NOW - WEEK)
    subscriber = subscribe(store, max_items=1)
    due(store, linked, NOW)  # the baseline
    # This week: eight more minor reports, each older than every one already known, so that by
    # seriousness and recency none of them would make the list.
    new = [99300101 + i for i in range(LISTED + 2)]
    seed(store, [case_series(pmid, 2005) for pmid in new], at=NOW + WEEK / 7)
    (update,) = due(store, linked, NOW + WEEK)
    text = text_of(stored_message(store, update))
    block = hematoma_block(text)
    assert block.startswith(f"  Hematoma or bleeding - {9 + len(new)} studies")
    assert set(map(str, new)) <= set(listed(block))  # all new ones, past the bound
    assert len(listed(block)) == len(new) and "...and 9 more hematoma" in block
    # An update lists every new harm report as an item too, whatever the cap of 1.
    assert sorted(item_pmids(text)) == sorted(map(str, new))
    assert all(ledger(store, subscriber)[str(pmid)] == 1 for pmid in new)


def test_a_baseline_over_many_harm_studies_lists_the_gravest_up_to_the_cap_again(
    store: Store, linked: MailSettings
) -> None:
    minor = {99300200 + i: 2000 + i for i in range(30)}
    serious = [99300300, 99300301]
    records = [case_series(pmid, year) for pmid, year in minor.items()]
    records += [case_series(pmid, 1999, serious=True) for pmid in serious]
    seed(store, records, at=NOW - WEEK)
    subscriber = subscribe(store, max_items=4)
    (digest,) = due(store, linked, NOW)
    text = text_of(stored_message(store, digest))
    items = item_pmids(text)
    # Four strongest studies (the cap), then the gravest four again: the two serious ones and
    # the two most recent minor ones; the other 24 are counted, not listed.
    assert len(items) == 8
    assert {str(p) for p in serious} <= set(items)
    assert {"99300229", "99300228"} <= set(items)
    assert "...and 24 more" in text
    line = " ".join(text[text.index("Of these, ") :].split("\n\n")[0].split())
    assert line == (
        "Of these, 24 studies report a harm or a finding against the procedure; the most "
        "serious and most recent are listed above. Every harm they report is counted under "
        f'"How safe is it?", and every study is on the evidence map: {EVIDENCE_URL}'
    )
    assert hematoma_block(text).startswith("  Hematoma or bleeding - 32 studies")
    # Nothing is lost: every study is covered, listed or not, and none comes again next week.
    assert set(ledger(store, subscriber)) == {str(p) for p in [*minor, *serious]}


def test_pick_keeps_order_lists_the_always_ones_and_leaves_small_lists_alone() -> None:
    assert pick([3, 1, 2], 3) is None  # nothing cut: the caller keeps its own list
    assert pick([5, 4, 3, 2, 1], 3, rank=lambda n: n) == (3, 2, 1)  # chosen by rank, in order
    assert pick([5, 4, 3, 2, 1], 2, rank=lambda n: n, always=lambda n: n >= 4) == (5, 4)
    assert pick([5, 4, 3], 1, always=lambda n: n < 5) == (4, 3)  # "always" passes the bound
    assert pick([1, 2], 5, always=lambda n: False) is None


def test_the_evidence_map_address_comes_from_the_web_address_or_the_setting() -> None:
    web = parse_config('[web]\nbase_url = "https://example.org/mw"\n', path=Path("m"), env={})
    assert web.mail.evidence_url == "https://example.org/mw/"
    setting = '[mail]\nevidence_url = "https://example.org/list/"\n'
    own = parse_config(setting, path=Path("m"), env={})
    assert own.mail.evidence_url == "https://example.org/list/"
    assert parse_config("", path=Path("m"), env={}).mail.evidence_url is None
    with pytest.raises(ConfigError, match=r"mail\.evidence_url must be an http"):
        parse_config('[mail]\nevidence_url = "example.org/?q=1"\n', path=Path("m"), env={})
