"""Run log and daemon job state: what ran, when, how it ended, and what a restart missed.

A poll, an import, a reclassification or a digest round writes a ``runs`` row when it starts
(with its process id) and completes it when it ends, so ``status`` can show recent runs. A run
still 'running' whose process is gone died mid-way: it reads as 'interrupted' at once, and the
next run records it so. A run that failed for any reason (its own error, a locked, full or
damaged database, a crash) is a problem the admin is alerted about once, until a run of the
same kind succeeds. ``job_state`` keeps each scheduler job's last scheduled and last
successful time, which is how the daemon catches up after a restart.
"""

from __future__ import annotations

import json
import logging
import os

from watcher.records import Run
from watcher.store.base import StoreBase

log = logging.getLogger(__name__)

FAILED_STATUSES = ("failed", "interrupted")
INTERRUPTED_ERROR = "the process stopped before the run finished"


def process_alive(pid: int | None) -> bool:
    """Whether a process with this id still runs on this machine."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunQueries(StoreBase):
    def start_run(self, kind: str, *, now: str) -> int:
        with self.write():
            return self.db.execute(
                "INSERT INTO runs (kind, started_at, status, pid) VALUES (?, ?, 'running', ?)",
                (kind, now, os.getpid()),
            ).lastrowid

    def finish_run(
        self, run_id: int, *, status: str, counts: dict[str, int], error: str | None, now: str
    ) -> None:
        with self.write():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                (now, status, json.dumps(counts, sort_keys=True), error, run_id),
            )

    def abandon_run(self, run_id: int, exc: BaseException, *, now: str) -> None:
        """Close the row of a run that stopped on an exception: 'interrupted' for Ctrl-C or
        SIGTERM, else 'failed'. Best effort: the database may be the very thing that failed;
        then the row stays 'running' and reads as interrupted once the process is gone."""
        stopped = isinstance(exc, KeyboardInterrupt | SystemExit)
        try:
            self.finish_run(
                run_id,
                status="interrupted" if stopped else "failed",
                counts={},
                error="interrupted" if stopped else (str(exc) or type(exc).__name__),
                now=now,
            )
        except Exception as second:
            log.debug("could not record the end of run %d: %s", run_id, second)

    def record_failed_run(self, kind: str, *, error: str, now: str) -> int:
        """A run that failed before it could write its own row (e.g. the lock was taken)."""
        with self.write():
            return self.db.execute(
                "INSERT INTO runs (kind, started_at, finished_at, status, counts, error, pid)"
                " VALUES (?, ?, ?, 'failed', '{}', ?, ?)",
                (kind, now, now, error, os.getpid()),
            ).lastrowid

    def mark_interrupted_runs(self, *, now: str) -> int:
        """Runs still 'running' whose process is gone died mid-way."""
        rows = self._all("SELECT id, pid FROM runs WHERE status = 'running'")
        dead = [r["id"] for r in rows if r["pid"] != os.getpid() and not process_alive(r["pid"])]
        with self.write():
            for run_id in dead:
                self.db.execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ?"
                    " WHERE id = ? AND status = 'running'",
                    (now, INTERRUPTED_ERROR, run_id),
                )
        return len(dead)

    def recent_runs(self, limit: int = 10, kind: str | None = None) -> list[Run]:
        where, params = ("WHERE kind = ?", [kind]) if kind else ("", [])
        rows = self._all(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [_run(r) for r in rows]

    def failed_runs(self) -> dict[str, tuple[Run, int]]:
        """kind → (its latest run, how many runs of that kind failed in a row), for every
        kind whose latest finished run failed or was interrupted."""
        failing: dict[str, tuple[Run, int]] = {}
        kinds = [r[0] for r in self.db.execute("SELECT DISTINCT kind FROM runs")]
        for kind in kinds:
            runs = [r for r in self.recent_runs(50, kind) if r.status != "running"]
            streak = 0
            for run in runs:
                if run.status not in FAILED_STATUSES:
                    break
                streak += 1
            if streak:
                failing[kind] = (runs[0], streak)
        return failing

    def job_state(self, job_id: str) -> dict[str, str | None]:
        row = self._one("SELECT * FROM job_state WHERE job_id = ?", (job_id,))
        return row or {
            "job_id": job_id,
            "last_scheduled": None,
            "last_success": None,
            "last_error": None,
        }

    def record_job(
        self, job_id: str, *, scheduled: str, succeeded: bool, error: str | None = None
    ) -> None:
        """Remember a daemon job's run so a restart can tell what it missed."""
        with self.write():
            self.db.execute(
                "INSERT INTO job_state (job_id, last_scheduled, last_success, last_error)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET"
                " last_scheduled = excluded.last_scheduled,"
                " last_success = COALESCE(excluded.last_success, job_state.last_success),"
                " last_error = excluded.last_error",
                (job_id, scheduled, scheduled if succeeded else None, error),
            )


def _run(row: dict) -> Run:
    status, error, finished = row["status"], row["error"], row["finished_at"]
    if status == "running" and row["pid"] != os.getpid() and not process_alive(row["pid"]):
        status, error = "interrupted", INTERRUPTED_ERROR  # its process is gone
    return Run(
        id=row["id"],
        kind=row["kind"],
        started_at=row["started_at"],
        finished_at=finished,
        status=status,
        counts=json.loads(row["counts"]),
        error=error,
    )
