"""What a digest says about each study: why it is there (the words behind the tag of the
question it is listed under), where each tag came from, "not stated" where the classifier has
nothing, quotes marked where they were cut, papers the classifier is unsure of kept apart, and
a text part that reads at 72 columns. Records are synthetic, tagged by the real classifier and
composed from a real SQLite store."""

from __future__ import annotations

import pytest

from digests.compose import compose_due
from digests.landscape import group_sections, make_item
from digests.model import DigestItem, Quote
from digests.provenance import shown_quote
from digests.wording import SECTION_TITLES, UNCERTAIN_SECTION
from tests.digest_factories import NOW, SCHEDULE, WEEK, seed, stored_message, study, subscribe
from tests.digest_factories import text_of as text_part
from tests.factories import text_article as article
from watcher.config import MailSettings
from watcher.evidence import classify, load_profile
from watcher.store import Store

SAFETY_AND_SIZE = article(
    "Outcomes of the mild® procedure at one centre",
    ("METHODS", "We reviewed the records of 84 patients treated between 2019 and 2022."),
    ("RESULTS", "At 12 months walking time had doubled. No dural tears or infections occurred."),
)


@pytest.fixture(scope="module")
def safety_item() -> DigestItem:
    return make_item(SAFETY_AND_SIZE, classify(SAFETY_AND_SIZE, load_profile()))


def test_why_included_quotes_the_tag_of_the_section_it_is_listed_under(
    safety_item: DigestItem,
) -> None:
    assert safety_item.why("safety") == '"No dural tears or infections occurred." (abstract)'
    other = safety_item.why("other")  # listed for no question: the words naming the procedure
    assert other == "it names the procedure: its title, above"


def test_each_tag_says_where_it_came_from(safety_item: DigestItem) -> None:
    assert safety_item.sources == "Design, follow-up and n from the abstract's words."
    typed = article("The mild® procedure versus injections", types=("Randomized Controlled Trial",))
    item = make_item(typed, classify(typed, load_profile()))
    assert item.sources == "Design from PubMed's publication type."
    assert item.facts[:2] == ("Level I", "Randomized controlled trial")


def test_what_is_not_stated_says_so() -> None:
    bare = article("Thoughts on the mild® procedure")
    item = make_item(bare, classify(bare, load_profile()))
    assert item.design_label == "Design not stated"
    series = article("The mild® procedure", ("", "A case series from one practice."))
    facts = make_item(series, classify(series, load_profile())).facts
    assert facts == ("Level IV", "Case series", "follow-up not stated", "n not stated")


@pytest.mark.parametrize(
    ("snippet", "shown"),
    [
        ("No dural tears occurred.", "No dural tears occurred."),
        ("dural tears occurred.", "…dural tears occurred."),
        ("Pain fell at one year in", "Pain fell at one year in…"),
        ("fell at one year", "…fell at one year…"),
    ],
)
def test_quotes_show_an_ellipsis_where_they_were_cut(snippet: str, shown: str) -> None:
    texts = ["A title", "Pain fell at one year in most. No dural tears occurred."]
    assert shown_quote(snippet, texts) == shown


def test_a_quote_not_found_is_judged_by_its_own_ends() -> None:
    assert shown_quote("and then it stopped", []) == "…and then it stopped…"
    assert shown_quote("It stopped.", []) == "It stopped."


def test_papers_the_classifier_is_unsure_of_come_last_in_their_own_section(
    safety_item: DigestItem,
) -> None:
    unsure = DigestItem(
        pmid="9", title_html="Billing trends", journal="J", year=2026, authors="", design="other",
        level=None, snippet="", relevance="uncertain",
        quotes=(Quote("relevance", "minimally invasive lumbar decompression", "abstract"),),
    )  # fmt: skip
    sections = group_sections([unsure, safety_item])
    assert [s.key for s in sections] == ["safety", UNCERTAIN_SECTION]
    assert [i.pmid for i in sections[-1].items] == ["9"]
    assert sections[-1].note and "not sure" in sections[-1].note
    assert unsure.why(UNCERTAIN_SECTION) == (
        'it says: "minimally invasive lumbar decompression" (abstract)'
    )


def test_a_subscriber_who_takes_uncertain_papers_gets_them_apart(
    store: Store, mail: MailSettings
) -> None:
    seed(store, [study(99000901, "cohort"), study(99000902, "uncertain")], at=NOW - WEEK)
    subscribe(store, "broad@example.org", min_relevance="uncertain")
    [digest_id] = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    text = text_part(stored_message(store, digest_id))
    title = SECTION_TITLES[UNCERTAIN_SECTION]
    assert title in text
    main, apart = text.split(title, 1)
    assert "99000901" in main and "99000902" not in main
    assert "99000902" in apart
    assert "Why included: it says:" in apart
    items = [line for line in text.splitlines() if line.startswith("   ") and "://" not in line]
    assert items and max(len(line) for line in items) <= 72
