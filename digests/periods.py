"""When a subscriber is due, and which period a digest covers.

Periods end the day before the digest day, in the schedule's time zone; each starts the day
after the previous one ended (``subscribers.covered_through``), so a missed slot is caught up
by a longer period instead of a second mail, and never leaves a gap.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digests.model import Period
from watcher.config import WEEKDAYS, ScheduleSettings
from watcher.store import Subscriber


def local_today(now: datetime, schedule: ScheduleSettings) -> date:
    return now.astimezone(ZoneInfo(schedule.timezone)).date()


def digest_day(now: datetime, schedule: ScheduleSettings) -> date:
    """The day whose digests are due: today from ``digest_time`` on, else yesterday (a cron
    run at dawn does not send today's digests early)."""
    local = now.astimezone(ZoneInfo(schedule.timezone))
    hour, minute = (int(p) for p in schedule.digest_time.split(":"))
    before = (local.hour, local.minute) < (hour, minute)
    return local.date() - timedelta(days=1) if before else local.date()


def _month_back(day: date) -> date:
    """The same day a month earlier (clamped to the month's length)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_slot(frequency: str, today: date, schedule: ScheduleSettings) -> date:
    """The most recent day (≤ today) a digest of this frequency is scheduled."""
    if frequency == "daily":
        return today
    if frequency == "weekly":
        return today - timedelta(days=(today.weekday() - WEEKDAYS.index(schedule.weekly_day)) % 7)
    slot = today.replace(day=schedule.monthly_day)
    return slot if slot <= today else _month_back(slot)


def is_due(
    subscriber: Subscriber, last_period_end: date | None, today: date, schedule: ScheduleSettings
) -> bool:
    """Receiving (subscribed, not paused), and either never served (the baseline goes out at
    once) or the period ending the day before the latest scheduled slot is not yet covered
    (this covers missed slots)."""
    if not subscriber.receiving:
        return False
    if last_period_end is None:
        return True
    slot = latest_slot(subscriber.frequency, today, schedule)
    return last_period_end < slot - timedelta(days=1)


def natural_period(subscriber: Subscriber, today: date) -> Period:
    """The period a digest on ``today`` covers by frequency alone, ending yesterday."""
    end = today - timedelta(days=1)
    start = {
        "daily": end,
        "weekly": today - timedelta(days=7),
        "monthly": _month_back(today),
    }[subscriber.frequency]
    return Period.of(start, end)


def period_for(subscriber: Subscriber, today: date) -> Period | None:
    """The period a digest on ``today`` covers: from the day after the last covered one (so a
    missed slot makes it longer, never a gap), to yesterday; None when already covered."""
    natural = natural_period(subscriber, today)
    if not subscriber.covered_through:
        return natural
    after = date.fromisoformat(subscriber.covered_through) + timedelta(days=1)
    if after > natural.end:
        return None
    return Period.of(after, natural.end)
