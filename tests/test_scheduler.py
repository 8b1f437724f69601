import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from watcher.config import ScheduleSettings
from watcher.scheduler import Job, build_scheduler, catch_up, standard_triggers
from watcher.store import Store

BERLIN = ZoneInfo("Europe/Berlin")


def test_daily_triggers_fire_at_local_time_in_the_configured_zone() -> None:
    triggers = standard_triggers(
        ScheduleSettings(timezone="Europe/Berlin", poll_time="06:15", digest_time="07:30")
    )
    now = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)
    assert triggers["poll"].get_next_fire_time(None, now) == datetime(
        2026, 11, 26, 6, 15, tzinfo=BERLIN
    )
    assert triggers["digests"].get_next_fire_time(None, now) == datetime(
        2026, 11, 26, 7, 30, tzinfo=BERLIN
    )
    # Summer time: still 06:15 on the wall clock.
    july = datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN)
    assert triggers["poll"].get_next_fire_time(None, july).hour == 6


def test_catch_up_runs_once_what_was_missed_while_down() -> None:
    trigger = standard_triggers(ScheduleSettings(timezone="Europe/Berlin"))["poll"]
    last = datetime(2026, 11, 23, 6, 0, tzinfo=BERLIN)
    assert catch_up(trigger, last, datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)) == datetime(
        2026, 11, 25, 9, 0, tzinfo=BERLIN
    )
    assert catch_up(trigger, last, datetime(2026, 11, 24, 5, 0, tzinfo=BERLIN)) is None
    assert catch_up(trigger, None, datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)) is None


def _run_once(db: Path, func, now: datetime) -> None:
    done = threading.Event()
    trigger = standard_triggers(ScheduleSettings(timezone="Europe/Berlin"))["poll"]
    scheduler = build_scheduler(db, [Job("poll", func, trigger)], BERLIN, now=now, executor="debug")
    scheduler.add_listener(lambda event: done.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    try:
        scheduler.get_job("poll").modify(next_run_time=datetime.now(BERLIN))
        scheduler.resume()
        assert done.wait(10)
    finally:
        scheduler.shutdown(wait=True)


def test_job_runs_are_remembered_in_the_database(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    Store.open(db).close()
    calls: list[int] = []
    _run_once(db, lambda: calls.append(1), datetime.now(BERLIN))
    assert calls == [1]
    with Store.open(db) as store:
        state = store.job_state("poll")
    assert state["last_success"] is not None and state["last_error"] is None

    def broken() -> None:
        raise RuntimeError("PubMed unreachable")

    _run_once(db, broken, datetime.now(BERLIN))
    with Store.open(db) as store:
        state = store.job_state("poll")
    assert state["last_error"] == "RuntimeError: PubMed unreachable"
    assert state["last_success"] is not None  # the earlier success is kept


def test_restart_after_downtime_schedules_the_missed_run_now(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with Store.open(db) as store:
        store.record_job("poll", scheduled="2026-11-20T05:00:00+00:00", succeeded=True)
    now = datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    trigger = standard_triggers(ScheduleSettings(timezone="Europe/Berlin"))["poll"]
    scheduler = build_scheduler(db, [Job("poll", lambda: None, trigger)], BERLIN, now=now)
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job("poll").next_run_time == now
    finally:
        scheduler.shutdown(wait=False)
