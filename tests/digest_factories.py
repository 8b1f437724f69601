"""Builders and readers for the digest tests (compose, outbox, SMTP end to end, the mail CLI,
the mail store): a fixed clock and schedule, synthetic records whose abstracts the real classifier
tags predictably, seeding them into a real Store as a poll would, subscribers, mail settings, and
reading a stored digest back."""

from __future__ import annotations

import email
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

from tests.factories import record, xml
from watcher.clock import iso
from watcher.config import MailSettings, ScheduleSettings
from watcher.evidence import load_profile
from watcher.pubmed import parse_pubmed_xml
from watcher.records import Article
from watcher.store import Store, Subscriber
from watcher.tagging import tag_articles

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday, after the 07:00 digest time
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
SCHEDULE = ScheduleSettings()  # UTC, digests at 07:00, weekly on Mondays, monthly on the 1st

RCT = (
    ("METHODS", "Patients with lumbar spinal stenosis and neurogenic claudication were "
     "randomized to percutaneous image-guided lumbar decompression (the mild procedure) or "
     "epidural steroid injection (n = 200)."),
    ("RESULTS", "At 60 months, walking tolerance remained improved. Subsequent lumbar surgery "
     "was performed in 5 of 100 patients. There were no device-related complications."),
)  # fmt: skip
COHORT = (
    ("METHODS", "Prospective cohort study. Eighty patients with lumbar spinal stenosis "
     "underwent percutaneous image-guided lumbar decompression (the mild procedure)."),
    ("RESULTS", "At 24 months, pain scores remained lower than at baseline."),
)  # fmt: skip
COST = (
    ("METHODS", "We estimated the cost of percutaneous image-guided lumbar decompression (the "
     "mild procedure) for Medicare beneficiaries."),
    ("RESULTS", "Reimbursement covered the procedure cost in most hospitals."),
)  # fmt: skip
UNCERTAIN = (
    ("", "We reviewed Medicare claims for minimally invasive lumbar decompression procedures "
     "billed by physicians."),
)  # fmt: skip
OFF_TOPIC = (("", "Mild cognitive impairment in older adults: a memory clinic cohort."),)


def study(pmid: int, kind: str = "series", *, title: str | None = None, **changes: object) -> str:
    """One synthetic record; ``kind`` picks an abstract the classifier tags predictably:
    rct (Level I, 60 months), cohort (Level II, 24 months), cost, series (untagged design,
    12 months), uncertain (relevance "uncertain"), off (not relevant)."""
    abstract, types = {
        "rct": (RCT, ("Randomized Controlled Trial",)),
        "cohort": (COHORT, ("Journal Article",)),
        "cost": (COST, ("Journal Article",)),
        "series": (None, ("Journal Article",)),
        "uncertain": (UNCERTAIN, ("Journal Article",)),
        "off": (OFF_TOPIC, ("Journal Article",)),
    }[kind]
    arguments: dict[str, object] = {"publication_types": types}
    if abstract is not None:
        arguments["abstract"] = abstract
    if title is not None:
        arguments["title"] = title
    elif kind in ("uncertain", "off"):
        arguments["title"] = "Billing trends" if kind == "uncertain" else "Memory clinic"
    arguments.update(changes)
    return record(pmid, date(2026, 1, 1), **arguments)  # type: ignore[arg-type]


def seed(
    store: Store, records: Sequence[str], *, at: datetime, search: str = "mild"
) -> list[Article]:
    """Store and tag records as a poll at ``at`` would, found by saved search ``search``."""
    articles = parse_pubmed_xml(xml(records))
    with store.transaction():
        if store.search(search) is None:
            store.add_search(search, f"{search}[tiab]", author="test", reason="test", now=iso(at))
        store.save_articles(articles, run_id=None, now=iso(at))
        tag_articles(store, articles, None, load_profile())
        store.record_hits(store.search(search).id, [a.pmid for a in articles], now=iso(at))  # type: ignore[union-attr]
    return articles


def mail_settings(tmp_path: Path, **changes: object) -> MailSettings:
    values: dict[str, object] = {
        "outbox_dir": tmp_path / "outbox",
        "sender": "mildwatch <digest@mildwatch.example.org>",
        "admin_email": "admin@example.org",
        "retry_base_seconds": 60,
        "max_attempts": 3,
    }
    values.update(changes)
    return MailSettings(**values)  # type: ignore[arg-type]


def subscribe(store: Store, address: str = "surgeon@example.org", **settings: object) -> Subscriber:
    settings.setdefault("frequency", "weekly")
    return store.add_subscriber(address, now=iso(NOW - 30 * WEEK), **settings)


def stored_message(store: Store, digest_id: int) -> EmailMessage:
    raw = store.message(digest_id)
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def text_of(message: EmailMessage) -> str:
    """The plain part, with the wire's CRLF line endings made "\n"."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def item_pmids(text: str) -> list[str]:
    """The PMIDs of the studies a text part presents, in order (each has a "PubMed:" link)."""
    return re.findall(r"^ +PubMed: https://pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/$", text, re.M)


def ledger(store: Store, subscriber: Subscriber) -> dict[str, int]:
    """PMID → 1 (a digest showed it to S) or 0 (a digest covered it without showing it)."""
    received = store.received(subscriber.id)
    covered = {pmid: 0 for set_id in received.sets for pmid in store.coverage_set(set_id)}
    return covered | dict.fromkeys(received.shown, 1)


def count(store: Store, table: str) -> int:
    return store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
