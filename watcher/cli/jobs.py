"""The service's jobs, shared by `mildwatch run` (cron), the daemon and the demo.

This is the composition root's glue (no click here): it is the one place that calls both
``watcher`` (poll, tag, the registry poll) and ``digests`` (compose, alert, deliver). Each
job opens its own database connection and takes the run lock (waiting politely for another
run to finish), so jobs can run in the daemon's worker threads and never overlap a cron run.

Every job runs guarded (:func:`_guarded`): when it fails for any reason (the lock stayed
taken, the database is read-only, full or damaged, a search or a send failed, a bug) the
failure is recorded as a failed run and the admin is alerted once per problem, through the
outbox when the database can be written, else straight through the transport.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from digests.alerts import alert_message, queue_alerts
from digests.outbox import DeliveryReport, deliver, make_transport
from digests.retention import PruneReport, prune_messages
from watcher.clock import iso, utc_now
from watcher.config import Config
from watcher.errors import LockedError, MildwatchError
from watcher.evidence import default_profile_path, load_profile
from watcher.poll import PollReport, poll
from watcher.pubmed import EntrezClient
from watcher.redact import redact
from watcher.regroup import regroup
from watcher.runlock import LOCK_WAIT_SECONDS, run_lock
from watcher.store import Store, Subscriber, database_error
from watcher.tagging import tagger

# The registry client (httpx) and the composer (Jinja2) are imported by the jobs that use them:
# `mildwatch poll` starts without either.
if TYPE_CHECKING:
    from watcher.registry.poll import RegistryReport

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
R = TypeVar("R")


def poll_job(
    config: Config,
    *,
    now: datetime | None = None,
    only: Iterable[str] = (),
    progress: Progress | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> PollReport:
    """Poll every enabled saved search (or those named in ``only``), tag what it stores and
    regroup the reports into studies."""
    config.require_email()
    profile = load_profile(config.poll.profile)

    def work(store: Store) -> PollReport:
        report = poll(
            store,
            EntrezClient(config.entrez),
            now=now,
            overlap_days=config.poll.overlap_days,
            backfill_from=config.poll.backfill_from,
            only=only,
            on_stored=tagger(profile),
            progress=progress,
        )
        regroup(store, now=iso(now or utc_now()))
        return report

    report = _guarded(config, "poll", work, lock_wait=lock_wait, check=True)
    if not report.ok:
        raise_alerts(config, now=now)
    return report


def registry_job(
    config: Config, *, now: datetime | None = None, lock_wait: float = LOCK_WAIT_SECONDS
) -> RegistryReport | None:
    """Poll the saved registry search (ClinicalTrials.gov), or None when [registry] is off.

    Its failures are in the report (and alerted when they persist), never raised: the PubMed
    side of a run does not depend on the registry.
    """
    if not config.registry.enabled:
        return None
    from watcher.registry import RegistryClient
    from watcher.registry.poll import poll_registry, profile_registry_search

    seed = profile_registry_search(config.poll.profile or default_profile_path())
    with (
        run_lock(config.database, wait=lock_wait),
        Store.open(config.database) as store,
        RegistryClient(config.registry) as client,
    ):
        return poll_registry(store, client, now=now, seed=seed)


def intake_job(config: Config, *, now: datetime | None = None) -> PollReport:
    """The daemon's poll: PubMed, then the trial registry (its failure is logged and alerted
    on, and never undoes the PubMed poll)."""
    report = poll_job(config, now=now)
    registry = registry_job(config, now=now)
    if registry is not None and not registry.ok:
        log.error("registry poll failed: %s", registry.error)
    return report


@dataclass
class MailReport:
    queued: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (subscriber, why)
    pruned: PruneReport | None = None  # sent messages' bytes dropped after the retention

    @property
    def ok(self) -> bool:
        return self.delivery.ok and not self.skipped

    @property
    def problem(self) -> str | None:
        """One line saying what went wrong, for the run log and the daemon's job state."""
        parts = [f"digest for {who} skipped: {why}" for who, why in self.skipped]
        parts += [f"#{i} to {to}: {error}" for i, to, error in self.delivery.failed]
        parts += [f"#{i} to {to} waits for a retry: {e}" for i, to, e in self.delivery.retrying]
        parts += [f"#{i} to {to} held back: {e}" for i, to, e in self.delivery.uncertain]
        return "; ".join(parts) or None


def digest_job(
    config: Config,
    *,
    now: datetime | None = None,
    everyone: bool = False,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> MailReport:
    """Compose the digests that are due (or, with ``everyone``, for every active
    subscriber), queue admin alerts, then deliver the outbox. One subscriber whose digest
    cannot be made is skipped and alerted about; the others' digests go out."""
    from digests.compose import compose_due

    now = now or utc_now()

    def work(store: Store) -> MailReport:
        skipped: list[tuple[str, str]] = []

        def skip(subscriber: Subscriber, why: str) -> None:
            skipped.append((subscriber.email, why))

        queued = compose_due(
            store,
            now=now,
            mail=config.mail,
            schedule=config.schedule,
            everyone=everyone,
            on_skip=skip,
        )
        report = _deliver_and_alert(store, config, now)
        report.queued, report.skipped = queued, skipped
        return report

    return _guarded(config, "digests", work, lock_wait=lock_wait, check=True, own_run=True)


def mail_job(
    config: Config, *, now: datetime | None = None, lock_wait: float = LOCK_WAIT_SECONDS
) -> MailReport:
    """Retry queued mail whose next attempt has come (and alert on what keeps failing)."""

    def work(store: Store) -> MailReport:
        return _deliver_and_alert(store, config, now or utc_now())

    return _guarded(config, "mail", work, lock_wait=lock_wait)


def check_database(config: Config) -> None:
    """``PRAGMA quick_check`` on the configured database (read-only; refuses damage)."""
    with Store.open(config.database) as store:
        store.check_integrity()


def raise_alerts(config: Config, *, now: datetime | None = None) -> list[int]:
    """Queue alerts for problems not reported yet and, if no other run is working, send
    them at once (under the run lock, so nothing is delivered twice)."""
    now = now or utc_now()
    with Store.open(config.database) as store:
        try:
            with run_lock(config.database):
                return _deliver_and_alert(store, config, now).alerts
        except LockedError:
            return queue_alerts(store, now=now, mail=config.mail)  # the holder sends it


def _deliver_and_alert(store: Store, config: Config, now: datetime) -> MailReport:
    """Deliver the outbox, then tell the admin at once about searches, mail or runs that
    keep failing, including failures this very delivery gave up on; last, drop the bytes
    of messages sent longer ago than ``[mail] retention_days``."""
    transport = make_transport(config.mail)
    delivery = deliver(store, transport, now=now, mail=config.mail)
    alerts = queue_alerts(store, now=now, mail=config.mail)
    if alerts:
        extra = deliver(store, transport, now=now, mail=config.mail)
        delivery.sent += extra.sent
        delivery.retrying += extra.retrying
        delivery.failed += extra.failed
        delivery.uncertain += extra.uncertain
    pruned = prune_messages(store, now=now, mail=config.mail)
    return MailReport(alerts=alerts, delivery=delivery, pruned=pruned)


# --- every job, guarded ------------------------------------------------------------------


def _guarded(
    config: Config,
    kind: str,
    work: Callable[[Store], R],
    *,
    lock_wait: float,
    check: bool = False,
    own_run: bool = False,
) -> R:
    """Lock, open (and with ``check``, quick_check) the database, run ``work``; with
    ``own_run`` keep a ``runs`` row for it. A failure of any kind is recorded and alerted
    (:func:`_report_failure`) before it goes on to the caller."""
    began = iso(utc_now())
    try:
        with run_lock(config.database, wait=lock_wait), Store.open(config.database) as store:
            if check:
                store.check_integrity()
            if store.mark_interrupted_runs(now=began):
                queue_alerts(store, now=utc_now(), mail=config.mail)  # sent by this run
            run_id = store.start_run(kind, now=began) if own_run else None
            try:
                result = work(store)
            except BaseException as exc:
                if run_id is not None:
                    store.abandon_run(run_id, exc, now=iso(utc_now()))
                raise
            if run_id is not None:
                # Per-message trouble (a skipped subscriber, a bounce) has its own alert.
                problem = getattr(result, "problem", None)
                store.finish_run(
                    run_id,
                    status="partial" if problem else "ok",
                    counts={},
                    error=problem,
                    now=iso(utc_now()),
                )
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        _report_failure(config, kind, _describe(exc, config), began)
        raise
    _forget_outside_alert(config)
    return result


def _describe(exc: BaseException, config: Config) -> str:
    if isinstance(exc, MildwatchError):
        text = str(exc)
    elif type(exc).__name__ in ("OperationalError", "DatabaseError"):
        text = str(database_error(exc, config.database))
    else:
        text = f"{type(exc).__name__}: {exc}"
    secrets = [config.entrez.api_key, config.mail.smtp.password, config.web.secret]
    return redact(text, secrets)


def _report_failure(config: Config, kind: str, text: str, began: str) -> None:
    """Count the failed run and alert the admin; if the database cannot take it, alert
    through the transport directly."""
    try:
        with Store.open(config.database) as store:
            store.check_integrity()  # never write into a damaged file
            latest = store.recent_runs(1, kind)
            recorded = latest and latest[0].started_at >= began and latest[0].status != "ok"
            if not recorded:
                store.record_failed_run(kind, error=text, now=iso(utc_now()))
        raise_alerts(config)
        return
    except Exception as second:
        log.warning("cannot record the failed %s run in the database: %s", kind, second)
    _alert_outside(config, kind, text)


def _outside_marker(config: Config) -> Path:
    return config.database.with_name(config.database.name + ".alerted")


def _alert_outside(config: Config, kind: str, text: str) -> None:
    """The database cannot hold the alert: send it straight through the transport, once per
    problem (a marker file next to the database remembers it until a run succeeds)."""
    key = f"run:{kind}: {text}"
    marker = _outside_marker(config)
    try:
        if marker.read_text(encoding="utf-8") == key:
            return  # already told
    except OSError:
        pass
    if not config.mail.admin_email:
        log.warning("a %s run failed and no admin_email is set under [mail]: %s", kind, text)
        return
    problem = {f"run:{kind}": f"The {kind} run failed and could not be recorded: {text}"}
    now = utc_now()
    message = alert_message(problem, to=config.mail.admin_email, now=now, mail=config.mail)
    try:
        make_transport(config.mail).send(message)
    except MildwatchError as error:
        log.error("could not alert %s: %s", config.mail.admin_email, error)
        return
    with contextlib.suppress(OSError):  # a full or read-only disk: told again next run
        marker.write_text(key, encoding="utf-8")
    log.info("alerted %s directly about the failed %s run", config.mail.admin_email, kind)


def _forget_outside_alert(config: Config) -> None:
    with contextlib.suppress(OSError):
        _outside_marker(config).unlink(missing_ok=True)
