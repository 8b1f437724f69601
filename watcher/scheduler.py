"""The daemon: APScheduler 3 running the jobs the CLI hands it, at times people understand.

Choices, each against a verified APScheduler trap (docs/tech-notes.md §3):

* Triggers always get the configured time zone explicitly (a trigger built without one
  uses the machine's zone, not the scheduler's).
* Schedules are "HH:MM" plus day names, never crontab weekday numbers (APScheduler counts
  Monday as 0, crontab Sunday).
* ``misfire_grace_time`` of an hour, ``coalesce`` and one instance per job: a late or
  overlapping run happens once, not never and not twice.
* The job store is in memory, so each job's last scheduled run is kept in SQLite
  (``job_state``) and a restart runs once what it missed while down.
* Each job opens its own database connection (listeners and jobs run in worker threads)
  and takes the run lock, so a cron ``mildwatch run`` and the daemon never overlap.

This module knows nothing about digests: the composition root passes the job functions.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.clock import iso
from watcher.config import ScheduleSettings
from watcher.errors import MildwatchError
from watcher.store import Store

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
RETRY_MINUTES = 15


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], object]
    trigger: BaseTrigger


def daily_at(hhmm: str, timezone: ZoneInfo) -> CronTrigger:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=timezone)


def standard_triggers(schedule: ScheduleSettings) -> dict[str, BaseTrigger]:
    """poll daily; compose and send due digests daily (weekly/monthly subscribers are due on
    their day); retry queued mail every 15 minutes."""
    tz = ZoneInfo(schedule.timezone)
    return {
        "poll": daily_at(schedule.poll_time, tz),
        "digests": daily_at(schedule.digest_time, tz),
        "retry-mail": IntervalTrigger(minutes=RETRY_MINUTES, timezone=tz),
    }


def catch_up(
    trigger: BaseTrigger, last_scheduled: datetime | None, now: datetime
) -> datetime | None:
    """``now`` if a run fell due between the last scheduled run and now (we were down)."""
    if last_scheduled is None:
        return None
    following = trigger.get_next_fire_time(last_scheduled, last_scheduled)
    return now if following is not None and following <= now else None


def build_scheduler(
    database: Path,
    jobs: Iterable[Job],
    timezone: ZoneInfo,
    *,
    now: datetime,
    executor: str = "threadpool",
) -> BackgroundScheduler:
    """A scheduler with ``jobs`` added (and missed runs queued for ``now``); not started."""
    scheduler = BackgroundScheduler(
        timezone=timezone,
        job_defaults=JOB_DEFAULTS,
        executors={"default": {"type": executor}},
    )
    with Store.open(database) as store:
        for job in jobs:
            state = store.job_state(job.id)
            last = (
                datetime.fromisoformat(state["last_scheduled"]) if state["last_scheduled"] else None
            )
            missed = catch_up(job.trigger, last, now)
            extra = {"next_run_time": missed} if missed else {}
            if missed:
                log.info("job %s missed a run while the daemon was down; running it now", job.id)
            scheduler.add_job(_guard(job), job.trigger, id=job.id, replace_existing=True, **extra)

    def remember(event: JobExecutionEvent) -> None:
        error = event.retval if event.exception is None else f"{event.exception}"
        with Store.open(database) as store:
            store.record_job(
                event.job_id,
                scheduled=iso(event.scheduled_run_time),
                succeeded=error is None,
                error=error,
            )

    scheduler.add_listener(remember, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return scheduler


def _guard(job: Job) -> Callable[[], str | None]:
    """Run a job so that no failure escapes into the scheduler: an expected failure is one
    log line, a bug a logged traceback; either way the error is returned for job_state. A
    job that returns a report with a ``problem`` (a poll whose searches failed, a digest
    that could not be sent) failed too."""

    def run() -> str | None:
        try:
            result = job.func()
        except MildwatchError as exc:
            log.error("job %s failed: %s", job.id, exc)
            return str(exc)
        except Exception as exc:
            log.exception("job %s failed", job.id)
            return f"{type(exc).__name__}: {exc}"
        problem = getattr(result, "problem", None)  # e.g. every search failed: not "ok"
        if problem:
            log.error("job %s failed: %s", job.id, problem)
        return problem

    return run


def run_until_signalled(
    scheduler: BackgroundScheduler,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Start, then wait for SIGTERM/SIGINT; shut down letting a running job finish.

    ``on_ready`` runs once the signal handlers are in place, so whoever waits for it may
    signal the process at once.
    """
    stop = stop or threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        for job in scheduler.get_jobs():
            log.info("job %s: next run %s", job.id, job.next_run_time)
        if on_ready:
            on_ready()
        stop.wait()
        log.info("stopping: waiting for a running job to finish")
        scheduler.shutdown(wait=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
