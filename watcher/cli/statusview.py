"""What `mildwatch status` prints: pure functions from the stored state to lines (or, with
``--json``, to one dictionary for monitoring). Apart from :mod:`watcher.cli.show` because
status is what an admin reads first and it grows with every job the daemon runs."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from watcher.cli.show import clip
from watcher.records import PollState, Run, Search

if TYPE_CHECKING:
    from watcher.config import ScheduleSettings
    from watcher.store import OutboxEntry, Subscriber
    from watcher.trials import RegistrySearch


def status_lines(
    searches: list[tuple[Search, PollState]], runs: list[Run], articles: int
) -> list[str]:
    lines = [f"Articles stored: {articles}", "", "Saved searches:"]
    if not searches:
        lines.append("  (none — run `mildwatch init` or `mildwatch searches add`)")
    for search, state in searches:
        flag = "" if search.enabled else " (disabled)"
        lines.append(f"  {search.name}{flag}")
        count = "-" if state.last_count is None else state.last_count
        lines.append(
            f"    polled through {state.watermark or 'never'}; last success "
            f"{state.last_success_at or 'never'}; last count {count}"
        )
        if state.last_error:
            lines.append(
                f"    FAILING ({state.consecutive_failures} run(s) in a row): {state.last_error}"
            )
    lines.extend(["", f"Recent runs:\n  {'run':<6} {'kind':<10} {'status':<11} started"])
    if not runs:
        lines.append("  (none yet)")
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
        lines.append(
            f"  #{run.id:<5} {run.kind:<10} {run.status:<11} {run.started_at}"
            + (f"  ({counts})" if counts else "")
        )
        if run.error:
            lines.append(f"      {clip(run.error, 200)}")
    return lines


def registry_lines(search: RegistrySearch | None, state: dict[str, Any], trials: int) -> list[str]:
    """The trial registry's polling, as the saved searches' is shown; nothing when no registry
    search is saved (the registry is optional)."""
    if search is None:
        return []
    count = "-" if state["last_count"] is None else state["last_count"]
    lines = [
        "",
        f"Trial registry (ClinicalTrials.gov): {trials} trial(s) stored",
        f"    last poll {state['last_attempt_at'] or 'never'}; last success "
        f"{state['last_success_at'] or 'never'}; last count {count}",
    ]
    if state["last_error"]:
        lines.append(
            f"    FAILING ({state['consecutive_failures']} run(s) in a row): "
            f"{clip(state['last_error'], 200)}"
        )
    return lines


def outbox_status(
    counts: dict[str, int], troubled: list[OutboxEntry], subscribers: list[Subscriber]
) -> list[str]:
    active = sum(s.active for s in subscribers)
    lines = [
        "",
        f"Subscribers: {active} active, {len(subscribers) - active} inactive",
        "Outbox: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("queued", "sent", "failed")),
    ]
    for entry in troubled:
        lines.append(
            f"  PROBLEM #{entry.id} to {entry.recipient}: {entry.status} after "
            f"{entry.attempts} attempt(s): {clip(entry.last_error or '', 160)}"
        )
    return lines


def job_lines(states: list[dict]) -> list[str]:
    if not any(s["last_scheduled"] for s in states):
        return []
    lines = ["", "Daemon jobs:"]
    for state in states:
        lines.append(
            f"  {state['job_id']:<10} last run {state['last_scheduled'] or 'never'}; "
            f"last success {state['last_success'] or 'never'}"
            + (f"; FAILED: {clip(state['last_error'], 160)}" if state["last_error"] else "")
        )
    return lines


def next_fire_times(schedule: ScheduleSettings, now: datetime) -> dict[str, str]:
    """When each daemon job fires next, in the configured zone (ISO-8601)."""
    from watcher.scheduler import standard_triggers

    tz = ZoneInfo(schedule.timezone)
    moment = now.astimezone(tz)
    return {
        job: trigger.get_next_fire_time(None, moment).isoformat(timespec="minutes")
        for job, trigger in standard_triggers(schedule).items()
    }


def daemon_line(daemon_pid: int | None, running_pid: int | None, nxt: dict[str, str]) -> str:
    if daemon_pid is None:
        state = "Daemon: not running"
    else:
        times = ", ".join(f"{job} {at}" for job, at in nxt.items())
        state = f"Daemon: running (pid {daemon_pid}); next: {times}"
    if running_pid is not None:
        state += f"; a run is working now (pid {running_pid})"
    return state


def status_json(
    searches: list[tuple[Search, PollState]],
    runs: list[Run],
    articles: int,
    outbox: dict[str, int],
    jobs: list[dict],
    registry: dict[str, Any],
) -> dict[str, Any]:
    """What `status --json` prints, for monitoring (Nagios, Prometheus textfile, …)."""
    return {
        "articles": articles,
        "searches": [
            {
                "name": search.name,
                "enabled": search.enabled,
                "watermark": state.watermark,
                "last_success_at": state.last_success_at,
                "last_count": state.last_count,
                "consecutive_failures": state.consecutive_failures,
                "last_error": state.last_error,
            }
            for search, state in searches
        ],
        "runs": [dataclasses.asdict(run) for run in runs],
        "outbox": {status: outbox.get(status, 0) for status in ("queued", "sent", "failed")},
        "jobs": jobs,
        "registry": registry,
        "ok": not any(state.last_error for _, state in searches)
        and not (runs and runs[0].status in ("failed", "interrupted"))
        and not registry.get("last_error"),
    }
