"""The service's jobs, shared by `mildwatch run` (cron), the daemon and the demo.

This is the composition root's glue (no click here): it is the one place that calls both
``watcher`` (poll, tag, the registry poll) and ``digests`` (compose, alert, deliver). Each job
opens its own database connection and takes the run lock, so jobs can run in the daemon's
worker threads and never overlap a cron run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from digests.alerts import queue_alerts
from digests.compose import compose_due
from digests.outbox import DeliveryReport, deliver, make_transport
from watcher.clock import utc_now
from watcher.config import Config
from watcher.evidence import default_profile_path, load_profile
from watcher.poll import PollReport, poll
from watcher.pubmed import EntrezClient
from watcher.registry import RegistryClient
from watcher.registry.poll import RegistryReport, poll_registry, profile_registry_search
from watcher.runlock import run_lock
from watcher.store import Store
from watcher.tagging import tagger

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def poll_job(
    config: Config,
    *,
    now: datetime | None = None,
    only: Iterable[str] = (),
    progress: Progress | None = None,
) -> PollReport:
    """Poll every enabled saved search (or those named in ``only``) and tag what it stores."""
    config.require_email()
    profile = load_profile(config.poll.profile)
    with run_lock(config.database), Store.open(config.database) as store:
        return poll(
            store,
            EntrezClient(config.entrez),
            now=now,
            overlap_days=config.poll.overlap_days,
            backfill_from=config.poll.backfill_from,
            only=only,
            on_stored=tagger(profile),
            progress=progress,
        )


def registry_job(config: Config, *, now: datetime | None = None) -> RegistryReport | None:
    """Poll the saved registry search (ClinicalTrials.gov), or None when [registry] is off.

    Its failures are in the report (and alerted when they persist), never raised: the PubMed
    side of a run does not depend on the registry.
    """
    if not config.registry.enabled:
        return None
    seed = profile_registry_search(config.poll.profile or default_profile_path())
    with (
        run_lock(config.database),
        Store.open(config.database) as store,
        RegistryClient(config.registry) as client,
    ):
        return poll_registry(store, client, now=now, seed=seed)


def intake_job(config: Config, *, now: datetime | None = None) -> None:
    """The daemon's poll: PubMed, then the trial registry (its failure is logged and alerted
    on, and never undoes the PubMed poll)."""
    poll_job(config, now=now)
    report = registry_job(config, now=now)
    if report is not None and not report.ok:
        log.error("registry poll failed: %s", report.error)


@dataclass
class MailReport:
    queued: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def ok(self) -> bool:
        return self.delivery.ok


def digest_job(
    config: Config, *, now: datetime | None = None, everyone: bool = False
) -> MailReport:
    """Compose the digests that are due (or, with ``everyone``, for every active
    subscriber), queue admin alerts, then deliver the outbox."""
    now = now or utc_now()
    with run_lock(config.database), Store.open(config.database) as store:
        queued = compose_due(
            store, now=now, mail=config.mail, schedule=config.schedule, everyone=everyone
        )
        report = _deliver_and_alert(store, config, now)
    report.queued = queued
    return report


def mail_job(config: Config, *, now: datetime | None = None) -> MailReport:
    """Retry queued mail whose next attempt has come (and alert on what keeps failing)."""
    with run_lock(config.database), Store.open(config.database) as store:
        return _deliver_and_alert(store, config, now or utc_now())


def _deliver_and_alert(store: Store, config: Config, now: datetime) -> MailReport:
    """Deliver the outbox, then tell the admin at once about searches or mail that keep
    failing, including failures this very delivery gave up on."""
    transport = make_transport(config.mail)
    delivery = deliver(store, transport, now=now, mail=config.mail)
    alerts = queue_alerts(store, now=now, mail=config.mail)
    if alerts:
        extra = deliver(store, transport, now=now, mail=config.mail)
        delivery.sent += extra.sent
        delivery.retrying += extra.retrying
        delivery.failed += extra.failed
    return MailReport(alerts=alerts, delivery=delivery)
