"""``/healthz``: what an admin's monitoring needs, as JSON, and whether it should page them.

Healthy means PubMed was polled successfully not longer ago than ``[web] max_poll_age_hours``
(by any enabled search); otherwise the answer is 503, so a plain HTTP check catches a stopped
daemon or a broken cron line. Failing searches and the outbox backlog are reported for the
admin to read; they do not by themselves fail the check (alerts mail the admin about those).
Search errors are left out: the endpoint may be reachable by anyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from watcher.records import PollState, Search


def health(
    searches: Sequence[tuple[Search, PollState]],
    outbox: Mapping[str, int],
    *,
    now: datetime,
    max_poll_age_hours: float,
) -> tuple[int, dict]:
    """(HTTP status, JSON body) for the enabled ``searches`` and the outbox counts."""
    enabled = [(s, p) for s, p in searches if s.enabled]
    successes = [p.last_success_at for _, p in enabled if p.last_success_at]
    last = max(successes) if successes else None
    age_hours = None
    if last is not None:
        age_hours = round((now - datetime.fromisoformat(last)).total_seconds() / 3600, 2)
    if last is None:
        status = "never_polled"
    elif age_hours is not None and age_hours > max_poll_age_hours:
        status = "stale"
    else:
        status = "ok"
    body = {
        "status": status,
        "last_successful_poll": last,
        "hours_since_last_successful_poll": age_hours,
        "max_poll_age_hours": max_poll_age_hours,
        "failing_searches": [
            {
                "name": s.name,
                "consecutive_failures": p.consecutive_failures,
                "last_attempt": p.last_attempt_at,
            }
            for s, p in enabled
            if p.consecutive_failures
        ],
        "outbox": {
            "queued": outbox.get("queued", 0),
            "failed": outbox.get("failed", 0),
            "sent": outbox.get("sent", 0),
        },
    }
    return (200 if status == "ok" else 503), body
