"""Registered trials: snapshots, their events, paper ↔ trial links, the saved registry search,
how polling it goes, and the subscriber × trial-event ledger.

The registry poll writes a snapshot and the events that led to it in one transaction, so an
event is recorded once: the next poll compares against the snapshot that already holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from watcher.records import Article
from watcher.store.articles import article_from_row
from watcher.store.base import StoreBase
from watcher.trials import RegistrySearch, Trial, TrialEvent, TrialLink, TrialReference

_JSON_FIELDS = ("phases", "conditions", "interventions", "arms")
_PLAIN_FIELDS = (
    "nct_id", "title", "acronym", "status", "why_stopped", "study_type", "allocation",
    "enrollment", "enrollment_type", "start_date", "start_date_type",
    "primary_completion_date", "primary_completion_type", "completion_date",
    "completion_type", "last_update_posted", "results_first_posted", "sponsor",
    "sponsor_class", "followup_months", "raw",
)  # fmt: skip
# Registry references that report the trial (RESULT, or DERIVED: indexed from PubMed by the
# registry); BACKGROUND references are earlier work, not a report of this trial.
REPORT_KINDS = ("RESULT", "DERIVED")


def _trial_row(trial: Trial, now: str) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(trial, name) for name in _PLAIN_FIELDS}
    row.update({name: json.dumps(list(getattr(trial, name))) for name in _JSON_FIELDS})
    row["has_results"] = int(trial.has_results)
    row["refs"] = json.dumps([[r.pmid, r.kind, r.citation] for r in trial.references])
    row["last_seen"] = now
    return row


def trial_from_row(row: dict[str, Any]) -> Trial:
    values: dict[str, Any] = {name: row[name] for name in _PLAIN_FIELDS}
    values.update({name: tuple(json.loads(row[name])) for name in _JSON_FIELDS})
    return Trial(
        **values,
        has_results=bool(row["has_results"]),
        references=tuple(TrialReference(*ref) for ref in json.loads(row["refs"])),
    )


def _event(row: dict[str, Any]) -> TrialEvent:
    return TrialEvent(
        row["nct_id"], row["kind"], row["at"], row["old"], row["new"], row["detail"],
        row["run_id"], row["id"],
    )  # fmt: skip


class TrialQueries(StoreBase):
    # -- snapshots and events ---------------------------------------------------------------

    def trials(self, *, in_search_only: bool = False) -> list[Trial]:
        where = " WHERE in_search = 1" if in_search_only else ""
        rows = self._all(f"SELECT * FROM trials{where} ORDER BY nct_id")
        return [trial_from_row(r) for r in rows]

    def trial(self, nct_id: str) -> Trial | None:
        row = self._one("SELECT * FROM trials WHERE nct_id = ?", (nct_id.strip().upper(),))
        return trial_from_row(row) if row else None

    def save_trial_snapshot(
        self, trials: Sequence[Trial], events: Sequence[TrialEvent], *, run_id: int | None,
        now: str,
    ) -> list[TrialEvent]:  # fmt: skip
        """Store the search's whole result (trials upserted, the rest marked as no longer
        found) and its events, in one transaction; returns the events with their ids."""
        with self.transaction():
            for trial in trials:
                row = _trial_row(trial, now)
                columns = ", ".join(row)
                updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != "nct_id")
                self.db.execute(
                    f"INSERT INTO trials ({columns}, in_search, first_seen)"
                    f" VALUES ({', '.join('?' * len(row))}, 1, ?)"
                    f" ON CONFLICT(nct_id) DO UPDATE SET {updates}, in_search = 1",
                    [*row.values(), now],
                )
            found = [t.nct_id for t in trials]
            self.db.execute(
                "UPDATE trials SET in_search = 0"
                f" WHERE nct_id NOT IN ({','.join('?' * len(found))})",
                found,
            )
            stored = []
            for e in events:
                event_id = self.db.execute(
                    "INSERT INTO trial_events (nct_id, kind, at, old, new, detail, run_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (e.nct_id, e.kind, e.at, e.old, e.new, e.detail, run_id),
                ).lastrowid
                stored.append(TrialEvent(e.nct_id, e.kind, e.at, e.old, e.new, e.detail,
                                         run_id, event_id))  # fmt: skip
        return stored

    def trial_events(self, nct_id: str | None = None) -> list[TrialEvent]:
        where, params = ("WHERE nct_id = ?", [nct_id]) if nct_id else ("", [])
        rows = self._all(f"SELECT * FROM trial_events {where} ORDER BY id", params)
        return [_event(r) for r in rows]

    # -- links between papers and trials ------------------------------------------------------

    def link_trials(self, links: Iterable[TrialLink], *, now: str) -> int:
        """Record paper ↔ trial links (the first way we learnt of a pair is kept); returns
        how many are new."""
        added = 0
        for link in links:
            added += self.db.execute(
                "INSERT INTO trial_links (nct_id, pmid, source, found_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(nct_id, pmid) DO NOTHING",
                (link.nct_id, link.pmid, link.source, now),
            ).rowcount
        return added

    def trial_links(
        self, *, nct_ids: Sequence[str] | None = None, pmids: Sequence[str] | None = None
    ) -> list[TrialLink]:
        clauses, params = [], []
        for column, values in (("nct_id", nct_ids), ("pmid", pmids)):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(f"SELECT * FROM trial_links{where} ORDER BY nct_id, pmid", params)
        return [TrialLink(r["nct_id"], r["pmid"], r["source"]) for r in rows]

    def articles_naming_trials(self) -> list[Article]:
        """Articles that may name a registered trial: a DataBankList entry, or "NCT" in the
        title or abstract (``Article.trial_registrations`` says which trials exactly)."""
        rows = self._all(
            "SELECT * FROM articles WHERE databanks != '[]' OR title LIKE '%NCT%'"
            " OR abstract LIKE '%NCT%' ORDER BY pmid"
        )
        return [article_from_row(r) for r in rows]

    def stored_pmids(self, pmids: Iterable[str]) -> set[str]:
        wanted = sorted(set(pmids))
        if not wanted:
            return set()
        rows = self.db.execute(
            f"SELECT pmid FROM articles WHERE pmid IN ({','.join('?' * len(wanted))})", wanted
        )
        return {r[0] for r in rows}

    # -- the saved registry search and its polling state ---------------------------------------

    def registry_search(self) -> RegistrySearch | None:
        row = self._one("SELECT * FROM registry_searches ORDER BY revision DESC LIMIT 1")
        return RegistrySearch(**row) if row else None

    def registry_search_history(self) -> list[RegistrySearch]:
        rows = self._all("SELECT * FROM registry_searches ORDER BY revision")
        return [RegistrySearch(**r) for r in rows]

    def save_registry_search(
        self, search: RegistrySearch, *, author: str, reason: str, now: str
    ) -> RegistrySearch:
        """A new revision of the registry search (the old ones are kept)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO registry_searches (term, intr, cond, changed_at, author, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (search.term.strip(), search.intr.strip(), search.cond.strip(), now, author,
                 reason),
            )  # fmt: skip
        saved = self.registry_search()
        assert saved is not None
        return saved

    def registry_state(self) -> dict[str, Any]:
        row = self._one("SELECT * FROM registry_state WHERE id = 1")
        return row or {
            "last_attempt_at": None, "last_success_at": None, "last_count": None,
            "last_error": None, "consecutive_failures": 0,
        }  # fmt: skip

    def record_registry_poll(self, *, error: str | None, count: int | None, now: str) -> None:
        """A registry poll's outcome: success resets the failure count, failure adds one."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO registry_state (id, consecutive_failures) VALUES (1, 0)"
                " ON CONFLICT(id) DO NOTHING"
            )
            if error is None:
                self.db.execute(
                    "UPDATE registry_state SET last_attempt_at = ?, last_success_at = ?,"
                    " last_count = ?, last_error = NULL, consecutive_failures = 0 WHERE id = 1",
                    (now, now, count),
                )
            else:
                self.db.execute(
                    "UPDATE registry_state SET last_attempt_at = ?, last_error = ?,"
                    " consecutive_failures = consecutive_failures + 1 WHERE id = 1",
                    (now, error),
                )

    # -- what a subscriber has been told ----------------------------------------------------

    def pending_trial_events(self, subscriber_id: int) -> list[TrialEvent]:
        """Trial events no live digest has told the subscriber (a digest given up on does not
        count), oldest first."""
        rows = self._all(
            "SELECT e.* FROM trial_events e WHERE NOT EXISTS (SELECT 1 FROM"
            " delivered_trial_events x JOIN digests g ON g.id = x.digest_id"
            " WHERE x.subscriber_id = ? AND x.event_id = e.id AND g.status != 'failed')"
            " ORDER BY e.id",
            (subscriber_id,),
        )
        return [_event(r) for r in rows]

    def record_trial_deliveries(
        self, subscriber_id: int, digest_id: int, event_ids: Iterable[int]
    ) -> None:
        """Put trial events in the subscriber's ledger (call in the digest's transaction)."""
        for event_id in event_ids:
            self.db.execute(
                "INSERT INTO delivered_trial_events (subscriber_id, event_id, digest_id)"
                " VALUES (?, ?, ?) ON CONFLICT(subscriber_id, event_id)"
                " DO UPDATE SET digest_id = excluded.digest_id",
                (subscriber_id, event_id, digest_id),
            )
