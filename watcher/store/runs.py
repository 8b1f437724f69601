"""Run log and daemon job state: what ran, when, how it ended, and what a restart missed.

A poll, an import or a reclassification writes a ``runs`` row when it starts and completes it
when it ends, so ``status`` can show recent runs, and a run found still 'running' when the next
one starts under the run lock is known to have died mid-way. ``job_state`` keeps each scheduler
job's last scheduled and last successful time, which is how the daemon catches up after a
restart.
"""

from __future__ import annotations

import json

from watcher.records import Run
from watcher.store.base import StoreBase


class RunQueries(StoreBase):
    def start_run(self, kind: str, *, now: str) -> int:
        return self.db.execute(
            "INSERT INTO runs (kind, started_at, status) VALUES (?, ?, 'running')", (kind, now)
        ).lastrowid

    def finish_run(
        self, run_id: int, *, status: str, counts: dict[str, int], error: str | None, now: str
    ) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
            (now, status, json.dumps(counts, sort_keys=True), error, run_id),
        )

    def mark_interrupted_runs(self, *, now: str) -> int:
        """Runs still 'running' when a new one starts under the run lock died mid-way."""
        return self.db.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ?,"
            " error = 'the process stopped before the run finished' WHERE status = 'running'",
            (now,),
        ).rowcount

    def recent_runs(self, limit: int = 10, kind: str | None = None) -> list[Run]:
        where, params = ("WHERE kind = ?", [kind]) if kind else ("", [])
        rows = self._all(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [
            Run(
                id=r["id"],
                kind=r["kind"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                status=r["status"],
                counts=json.loads(r["counts"]),
                error=r["error"],
            )
            for r in rows
        ]

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
        self.db.execute(
            "INSERT INTO job_state (job_id, last_scheduled, last_success, last_error)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET"
            " last_scheduled = excluded.last_scheduled,"
            " last_success = COALESCE(excluded.last_success, job_state.last_success),"
            " last_error = excluded.last_error",
            (job_id, scheduled, scheduled if succeeded else None, error),
        )
