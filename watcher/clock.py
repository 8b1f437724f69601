"""Time, in one place: stored times are UTC ISO-8601; PubMed speaks YYYY/MM/DD."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with seconds, the form every stored time uses."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def pubmed_date(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def parse_pubmed_date(text: str) -> date:
    """ "2024", "2024/03" or "2024/03/31" → the first day it names."""
    parts = [int(p) for p in text.split("/")]
    while len(parts) < 3:
        parts.append(1)
    return date(*parts)


def days_before(day: date, days: int) -> date:
    return day - timedelta(days=days)
