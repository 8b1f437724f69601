"""What subscriber S receives for period P, and queuing it (digest row + ledger, one transaction).

The ``deliveries`` ledger decides what is new: a paper is new to S until a digest to S has
covered it, whichever saved search found it. The first digest is a baseline (the landscape
and a selection of the strongest studies); everything it covers enters the ledger, so the
next digest holds only what arrived since. Retracted papers and notices are never presented
as evidence; they are covered silently, and a retraction or erratum of a paper S received
becomes news in S's next digest (once: ``delivered_events``). A study reporting a harm, or a
finding against the procedure, is always shown in an update: neither the item cap nor S's
questions cut it; a baseline (the whole backlog) lists the gravest of them and counts the rest
(digests.selection). The landscape lists a bounded part of its long lists (digests.listing).

Which subscribers are due and which period each digest covers is ``digests.periods``. A
period with nothing to say queues a short "nothing new" note, or nothing, as the subscriber
chose, and is recorded as covered either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address

from digests.landscape import (
    is_synthetic,
)
from digests.model import ArticleUpdate, DigestView, Period, Recipient
from digests.outbox import make_message_id, preferences_link, sender_header, unsubscribe_link
from digests.periods import digest_day, is_due, local_today, natural_period, period_for
from digests.render import RenderedDigest, Renderer, build_message_bytes
from digests.selection import select
from digests.shared import Shared
from digests.trials import headline_note
from digests.wording import make_headline
from watcher.clock import iso
from watcher.collector import frozen_with
from watcher.config import MailSettings, ScheduleSettings
from watcher.errors import MildwatchError
from watcher.store import (
    CoverageSet,
    LandscapeSummary,
    NewDigest,
    PendingNews,
    Store,
    Subscriber,
    check_name,
)

log = logging.getLogger(__name__)

OVERFLOW_LINK_LIMIT = 200  # PMIDs a PubMed link can list; beyond that the rest are only counted
NEWS_KINDS = ("retracted", "erratum", "updated")
COMMIT_EVERY = 50  # digests queued per commit (compose_due)
_SEVERITY = {kind: rank for rank, kind in enumerate(NEWS_KINDS)}
# Article fields a reader sees: an "updated" event naming none of them is not news.
READER_FIELDS = {
    "title": "the title", "abstract": "the abstract", "authors": "the author list",
    "journal": "the journal", "pub_date": "the publication date", "doi": "the DOI",
    "pmcid": "the PMC link",
}  # fmt: skip


# --- what: items, news, the view ------------------------------------------------------------


def _what_changed(news: PendingNews, fields: list[str]) -> str:
    detail = news.event.detail
    if news.event.kind == "retracted":
        where = f" ({detail})" if detail else ""
        return f"This paper has been retracted{where}. Do not rely on its results."
    if news.event.kind == "erratum":
        where = f" ({detail})" if detail else ""
        return f"An erratum was published{where}; check the correction before using its figures."
    words = [READER_FIELDS[f] for f in fields if f != "pmcid"]
    parts = []
    if words:
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        parts.append(f"PubMed updated {listed}.")
    if "pmcid" in fields and news.article.pmcid:
        parts.append("Free full text is now available in PMC.")
    return " ".join(parts)


def _notice_pmid(news: PendingNews) -> str | None:
    wanted = {"retracted": "RetractionIn", "erratum": "ErratumIn"}.get(news.event.kind)
    links = [c for c in news.article.corrections if c.ref_type == wanted and c.pmid]
    exact = [c for c in links if c.source == news.event.detail]
    return (exact or links)[0].pmid if links else None


def article_updates(news: Sequence[PendingNews]) -> tuple[tuple[ArticleUpdate, ...], list[int]]:
    """One update per paper (a retraction outranks an erratum, an erratum an update), and the
    event ids it answers; updates to fields nobody reads (MeSH, dates) are left out."""
    by_pmid: dict[str, list[tuple[PendingNews, list[str]]]] = {}
    for item in news:
        fields = [f.strip() for f in item.event.detail.split(",")]
        visible = [f for f in fields if f in READER_FIELDS]
        if item.event.kind == "updated" and not visible:
            continue
        by_pmid.setdefault(item.article.pmid, []).append((item, visible))
    updates, event_ids = [], []
    for pmid in sorted(by_pmid):
        found = by_pmid[pmid]
        best, fields = min(found, key=lambda pair: _SEVERITY[pair[0].event.kind])
        event_ids.extend(item.event_id for item, _ in found)
        updates.append(
            ArticleUpdate(
                pmid=pmid,
                title_html=best.article.title,
                kind=best.event.kind,  # type: ignore[arg-type]
                what_changed=_what_changed(best, fields),
                notice_pmid=_notice_pmid(best),
                synthetic=is_synthetic(best.article),
            )
        )
    return tuple(updates), event_ids


def overflow_url(pmids: Sequence[str]) -> str | None:
    if not pmids or len(pmids) > OVERFLOW_LINK_LIMIT:
        return None
    return "https://pubmed.ncbi.nlm.nih.gov/?term=" + ",".join(pmids)


@dataclass(frozen=True)
class Plan:
    """A digest decided but not yet written: its view and what it puts in the ledgers."""

    view: DigestView
    shown: tuple[str, ...]
    hidden: CoverageSet
    event_ids: tuple[int, ...]
    landscape: LandscapeSummary  # the summary a digest row keeps (digests.shared)
    trial_event_ids: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing new and no news: only a "nothing new" note (or no mail) to send."""
        trial_news = self.view.trials is not None and bool(self.view.trials.changes)
        return (
            not self.view.item_count
            and not self.view.overflow_count
            and not self.view.updates
            and not trial_news
        )


def plan_digest(
    store: Store,
    subscriber: Subscriber,
    period: Period,
    *,
    mail: MailSettings,
    shared: Shared | None = None,
) -> Plan:
    """Decide S's digest for ``period`` from the store (reads only; ``shared``: what the
    digests of the caller's run share, digests.shared)."""
    shared = shared or Shared(store)
    last = store.latest_digest(subscriber.id)
    cap = subscriber.max_items or mail.max_items
    pool = shared.candidates(subscriber)
    key = ("selection", pool.key, tuple(sorted(subscriber.questions)), cap, last is None)
    chosen = shared.once(
        key,
        lambda: select(
            pool.candidates, subscriber.questions, cap=cap, baseline=last is None, shared=shared
        ),
    )
    studies, shown, rest = chosen.studies, chosen.shown, chosen.rest
    updates, event_ids = article_updates(store.pending_news(subscriber.id, NEWS_KINDS))
    kind = "baseline" if last is None else ("update" if studies or updates else "nothing_new")
    landscape = shared.landscape(last)
    land = shared.listed(last, () if last is None else (a.pmid for a, _ in studies))
    retracted = sum(u.kind == "retracted" for u in updates)
    trials, trial_event_ids = shared.trials.plan(
        subscriber.id, baseline=last is None, today=period.end
    )
    headline = make_headline(
        kind,  # type: ignore[arg-type]
        len(studies),
        land,
        retracted_count=retracted,
        later_reports=chosen.later_reports,
    )
    view = DigestView(
        recipient=Recipient(subscriber.name, subscriber.email),
        period=period,
        kind=kind,  # type: ignore[arg-type]
        headline="; ".join(part for part in (headline, headline_note(trials)) if part),
        sections=chosen.sections,
        updates=updates,
        overflow_count=len(rest),
        overflow_url=overflow_url(rest),
        flagged_more=chosen.flagged_more,
        evidence_url=mail.evidence_url,
        admin_note=mail.note.strip() or None,
        landscape=land,
        unsubscribe=unsubscribe_link(mail, subscriber.token),
        preferences=preferences_link(mail, subscriber.token),
        synthetic=shared.synthetic,
        trials=trials,
    )
    return Plan(
        view=view,
        shown=tuple(a.pmid for a, _ in shown),
        hidden=chosen.hidden,
        event_ids=tuple(event_ids),
        landscape=landscape.stored,
        trial_event_ids=trial_event_ids,
    )


# --- composing: render, build, queue ------------------------------------------------------


def _compose(
    store: Store,
    subscriber: Subscriber,
    *,
    today: date,
    now: datetime,
    mail: MailSettings,
    renderer: Renderer,
    shared: Shared,
) -> int | None:
    period = period_for(subscriber, today)
    if period is None:
        return None  # this period is already covered: composing twice queues nothing
    check_name(subscriber.name)  # a row stored before names were checked
    plan = plan_digest(store, subscriber, period, mail=mail, shared=shared)
    if plan.empty and not subscriber.send_empty:
        store.mark_covered(subscriber.id, period.end.isoformat())
        log.info("nothing new for %s (%s); no mail, as they chose", subscriber.email, period.label)
        return None
    rendered = renderer.render(plan.view)
    message_id = make_message_id(
        "digest", subscriber.token, period.start, period.end, now.isoformat(), mail=mail
    )
    message = build_message_bytes(
        rendered,
        encoder=renderer.bodies,
        sender=sender_header(mail),
        to=Address(display_name=subscriber.name, addr_spec=subscriber.email),
        message_id=message_id,
        date=now,
        list_unsubscribe=unsubscribe_link(mail, subscriber.token),
        list_unsubscribe_post=True,
        text_only=subscriber.format == "text",
    )
    with store.transaction():  # the trial ledger commits with the digest, or neither does
        digest_id = store.queue_digest(
            NewDigest(
                subscriber_id=subscriber.id,
                recipient=subscriber.email,
                kind=plan.view.kind,
                period_start=period.start.isoformat(),
                period_end=period.end.isoformat(),
                subject=rendered.subject,
                message_id=message_id,
                message=message,
                landscape=plan.landscape,
                shown=plan.shown,
                hidden=plan.hidden,
                event_ids=plan.event_ids,
            ),
            now=iso(now),
        )
        if digest_id is not None:
            store.record_trial_deliveries(subscriber.id, digest_id, plan.trial_event_ids)
    if digest_id is not None:
        log.info("queued %s digest %d for %s", plan.view.kind, digest_id, subscriber.email)
    return digest_id


def compose_for(
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    mail: MailSettings,
    renderer: Renderer | None = None,
    schedule: ScheduleSettings | None = None,
) -> int | None:
    """Queue S's digest for the period ending yesterday (in the schedule's time zone); the
    queued digest id, or None when the period is covered or S skips empty periods."""
    schedule = schedule or ScheduleSettings()
    return _compose(
        store,
        subscriber,
        today=local_today(now, schedule),
        now=now,
        mail=mail,
        renderer=renderer or Renderer(mail.templates_dir),
        shared=Shared(store),
    )


def compose_due(
    store: Store,
    *,
    now: datetime,
    mail: MailSettings,
    schedule: ScheduleSettings,
    everyone: bool = False,
    on_skip: Callable[[Subscriber, str], None] | None = None,
) -> list[int]:
    """Queue a digest for every active subscriber who is due (``everyone``: every active
    subscriber whose period up to yesterday is not yet covered).

    Each subscriber is composed on their own: one whose digest cannot be made (a bad name
    stored long ago, a template failing on their data) is logged, passed to ``on_skip`` and
    skipped (its savepoint rolled back), and everyone else's digest is still queued. Digests
    are committed ``COMMIT_EVERY`` at a time: each commit waits for the disk, and a crash
    before one only leaves those subscribers' periods uncovered, composed again next run."""
    renderer = Renderer(mail.templates_dir)
    today = local_today(now, schedule) if everyone else digest_day(now, schedule)
    due = [
        subscriber
        for subscriber in store.subscribers(active_only=True)
        if everyone or is_due(subscriber, _covered_through(subscriber), today, schedule)
    ]
    queued = []
    # The papers, studies, landscapes and items every digest draws on: no collection walks them
    with frozen_with(lambda: Shared(store)) as shared:
        for start in range(0, len(due), COMMIT_EVERY):
            queued += _compose_batch(
                store, due[start : start + COMMIT_EVERY], today=today, now=now, mail=mail,
                renderer=renderer, shared=shared, on_skip=on_skip,
            )  # fmt: skip
    return queued


def _compose_batch(
    store: Store,
    batch: Sequence[Subscriber],
    *,
    today: date,
    now: datetime,
    mail: MailSettings,
    renderer: Renderer,
    shared: Shared,
    on_skip: Callable[[Subscriber, str], None] | None,
) -> list[int]:
    """``compose_due`` for ``batch``, committed together (see there)."""
    queued = []
    with store.write():  # each digest's own transaction is a savepoint within it
        for subscriber in batch:
            try:
                digest_id = _compose(
                    store,
                    subscriber,
                    today=today,
                    now=now,
                    mail=mail,
                    renderer=renderer,
                    shared=shared,
                )
            except (MildwatchError, ValueError) as error:
                log.error("digest for %s skipped: %s", subscriber.email, error)
                if on_skip is not None:
                    on_skip(subscriber, str(error))
                continue
            if digest_id is not None:
                queued.append(digest_id)
    return queued


def _covered_through(subscriber: Subscriber) -> date | None:
    covered = subscriber.covered_through
    return date.fromisoformat(covered) if covered else None


def preview(
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    mail: MailSettings,
    schedule: ScheduleSettings | None = None,
) -> RenderedDigest:
    """What ``compose_for`` would send now, rendered, without writing anything (a period
    with nothing new shows the "nothing new" note even if S would get no mail)."""
    schedule = schedule or ScheduleSettings()
    today = local_today(now, schedule)
    period = period_for(subscriber, today) or natural_period(subscriber, today)
    plan = plan_digest(store, subscriber, period, mail=mail)
    return Renderer(mail.templates_dir).render(plan.view)
