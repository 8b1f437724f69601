"""What each configuration value may be: the rules :func:`watcher.config.parse_config` checks
after reading the file, each broken one a :class:`ConfigError` naming file, line and key.

Apart from the reading (``watcher.config``) because the rules grow with every setting and
say the most about the program's behaviour: a start date in the future would skip history,
an address the relay cannot take would bounce every digest.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError

from watcher.addresses import normalize_address
from watcher.tomlfile import TomlFile

if TYPE_CHECKING:
    from watcher.config import Config, RegistrySettings, WebSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate(config: Config, where: TomlFile) -> None:
    """Every value's rule; the first broken one is a ConfigError naming file, line and key."""
    e, m, s = config.entrez, config.mail, config.schedule
    if e.email:
        _check_email(e.email, "entrez.email", where)
    if not re.match(r"https?://", e.base_url):
        raise where.error("entrez.base_url", "entrez.base_url must start with https:// or http://")
    _check_range(e.batch_size, 1, 10000, "entrez.batch_size", where)
    _check_range(e.max_tries, 1, 20, "entrez.max_tries", where)
    _check_positive(e.timeout, "entrez.timeout", where)
    _check_positive(e.backoff_seconds, "entrez.backoff_seconds", where)
    if e.requests_per_second is not None:
        _check_positive(e.requests_per_second, "entrez.requests_per_second", where)
    _validate_registry(config.registry, where)
    _check_range(config.poll.overlap_days, 0, 365, "poll.overlap_days", where)
    _check_backfill(config.poll.backfill_from, where)
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.error(
            "schedule.timezone", f"unknown time zone {s.timezone!r}; use e.g. 'Europe/Berlin'"
        ) from None
    changes = _clock_change_days(s.timezone)
    for key in ("poll_time", "digest_time"):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", getattr(s, key)):
            raise where.error(f"schedule.{key}", f"schedule.{key} must be HH:MM (24-hour)")
        _check_clock_change(getattr(s, key), s.timezone, changes, f"schedule.{key}", where)
    if s.weekly_day not in WEEKDAYS:
        raise where.error(
            "schedule.weekly_day",
            f"schedule.weekly_day must be one of {', '.join(WEEKDAYS)} (names, not numbers)",
        )
    _check_range(s.monthly_day, 1, 28, "schedule.monthly_day", where)
    if m.transport not in ("files", "smtp"):
        raise where.error("mail.transport", "mail.transport must be 'files' or 'smtp'")
    if m.smtp.security not in ("starttls", "ssl", "none"):
        raise where.error("mail.smtp.security", "mail.smtp.security must be starttls, ssl or none")
    _check_range(m.smtp.port, 1, 65535, "mail.smtp.port", where)
    _check_positive(m.smtp.timeout, "mail.smtp.timeout", where)
    _check_range(m.max_items, 1, 1000, "mail.max_items", where)
    _check_range(m.max_attempts, 1, 100, "mail.max_attempts", where)
    _check_range(m.retry_base_seconds, 1, 86400, "mail.retry_base_seconds", where)
    _check_range(m.retention_days, 0, 3650, "mail.retention_days", where)
    if m.admin_email:
        _check_email(m.admin_email, "mail.admin_email", where, m.allow_internal_domains)
    _check_sender(m.sender, where)
    if m.unsubscribe_url and "{token}" not in m.unsubscribe_url:
        raise where.error(
            "mail.unsubscribe_url",
            "mail.unsubscribe_url must contain {token}, e.g. "
            "https://example.org/unsubscribe?token={token}",
        )
    if m.preferences_url and "{token}" not in m.preferences_url:
        raise where.error(
            "mail.preferences_url",
            "mail.preferences_url must contain {token}, e.g. "
            "https://example.org/mildwatch/subscriber/{token}",
        )
    if m.evidence_url is not None and not re.fullmatch(r"https?://[^?#\s]+", m.evidence_url):
        raise where.error(
            "mail.evidence_url",
            "mail.evidence_url must be an http(s) address with no query string, e.g. "
            "https://example.org/mildwatch/ (the page listing every study)",
        )
    _validate_web(config.web, where)


def _validate_web(w: WebSettings, where: TomlFile) -> None:
    _check_range(w.port, 1, 65535, "web.port", where)
    _check_positive(w.max_poll_age_hours, "web.max_poll_age_hours", where)
    if w.base_url is not None and (not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", w.base_url)):
        raise where.error(
            "web.base_url",
            "web.base_url must be the public address of `mildwatch web`, e.g. "
            "https://example.org/mildwatch (no query string)",
        )


def _validate_registry(r: RegistrySettings, where: TomlFile) -> None:
    if not re.match(r"https?://", r.base_url):
        raise where.error(
            "registry.base_url", "registry.base_url must start with https:// or http://"
        )
    _check_range(r.page_size, 1, 1000, "registry.page_size", where)
    _check_range(r.max_tries, 1, 20, "registry.max_tries", where)
    _check_positive(r.timeout, "registry.timeout", where)
    _check_positive(r.requests_per_second, "registry.requests_per_second", where)
    _check_positive(r.backoff_seconds, "registry.backoff_seconds", where)


def _check_email(value: str, dotted: str, where: TomlFile, internal: bool = False) -> None:
    try:
        normalize_address(value, internal=internal)
    except EmailNotValidError as exc:
        hint = "" if internal else " (an internal domain needs allow_internal_domains = true)"
        raise where.error(dotted, f"{dotted} is not a valid email address: {exc}{hint}") from None


def _check_sender(value: str, where: TomlFile) -> None:
    """``[mail] sender``: an address, optionally with a name ("mildwatch <a@b>"), one line.
    Its domain may be a local host name (the default is mildwatch@localhost): it is our own
    identity, which the relay judges."""
    _, address = parseaddr(value)
    if not address or any(c in value for c in "\r\n") or "@" not in address:
        raise where.error(
            "mail.sender",
            f'mail.sender {value!r} is not an address; write e.g. "mildwatch <digest@example.org>"',
        )
    _check_email(address, "mail.sender", where, internal=True)


def _check_backfill(value: str, where: TomlFile) -> None:
    """A real date, not in the future: a future start would make the first poll cover
    nothing and mark the past as done, so it would never be backfilled."""
    shape = re.fullmatch(r"(\d{4})(?:/(\d{2})(?:/(\d{2}))?)?", value)
    problem = None if shape else "must look like 2000/01/01"
    if shape:
        year, month, day = (int(part) if part else 1 for part in shape.groups())
        try:
            start = date(year, month, day)
        except ValueError:
            problem = f"is not a real date ({value!r})"
        else:
            if start > date.today():
                problem = (
                    f"is in the future ({value}); the first poll would cover nothing and the "
                    "past would never be backfilled"
                )
    if problem:
        raise where.error("poll.backfill_from", f"poll.backfill_from {problem}")


def _clock_change_days(timezone: str) -> tuple[date, ...]:
    """The days of the next two years on which the zone's clocks change (the offset at the
    start of the day differs from the next day's): the only days a daily time can fall in an
    hour the clocks skip or repeat. Found once for both scheduled times."""
    zone, start = ZoneInfo(timezone), date.today()
    days = [start + timedelta(days=d) for d in range(2 * 366 + 1)]
    offsets = [datetime.combine(day, time(), zone).utcoffset() for day in days]
    return tuple(day for day, a, b in zip(days[:-1], offsets, offsets[1:], strict=False) if a != b)


def _check_clock_change(
    hhmm: str, timezone: str, changes: tuple[date, ...], key: str, where: TomlFile
) -> None:
    """A daily time the clocks skip or repeat on some day fires late or twice that day
    (APScheduler 3, docs/tech-notes.md): refuse it, naming the first such day."""
    zone = ZoneInfo(timezone)
    hour, minute = (int(part) for part in hhmm.split(":"))
    for day in sorted({d + timedelta(days=later) for d in changes for later in (0, 1)}):
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        wall = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        skipped = wall != local.replace(tzinfo=None)
        if skipped or local.utcoffset() != local.replace(fold=1).utcoffset():
            what = "skip" if skipped else "repeat"
            effect = "an hour late" if skipped else "twice"
            raise where.error(
                key,
                f"{key} {hhmm} is in the hour the clocks {what} in {timezone} on {day}, so the "
                f"job would run {effect} that day; choose a time outside it (e.g. 04:00)",
            )


def _check_range(value: int, low: int, high: int, dotted: str, where: TomlFile) -> None:
    if not low <= value <= high:
        raise where.error(dotted, f"{dotted} must be between {low} and {high}, not {value}")


def _check_positive(value: float, dotted: str, where: TomlFile) -> None:
    if value <= 0:
        raise where.error(dotted, f"{dotted} must be greater than 0, not {value}")
