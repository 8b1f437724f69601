"""Politeness toward a remote service, shared by the PubMed and the registry clients: a rate
limit that spaces requests out, and the exponential back-off between retries (which a server's
Retry-After may lengthen)."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """Spaces request starts at least ``1/rate`` seconds apart (no bursts)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # A little margin: servers count arrivals, and a request's path adds jitter.
        self.interval = 1.0 / rate * 1.05
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            self._sleep(self.interval - (now - self._last))
            now = self._clock()
        self._last = now


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Seconds to wait before try ``attempt + 1``: ``base`` doubled each attempt, at least
    what the server's Retry-After asked, at most ``cap``."""
    delay = base * 2 ** (attempt - 1)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, cap)


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds (the HTTP-date form is not used by our servers)."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
