"""Migrations 0006 onwards: each adds the tables or columns of one feature that came after the
pipeline's core tables (``schema.py`` holds those, the ordered list and the runner). The same
rules hold: never edit a migration that has shipped; add a new one here and name it in
``schema.MIGRATIONS``.
"""

from __future__ import annotations

from watcher.store.coverage import store_coverage_set
from watcher.store.lean import Database


def run_statements(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


_run = run_statements


def registry_tables(db: Database) -> None:
    """Registered trials (ClinicalTrials.gov) and what happened to them.

    ``trials`` keeps the latest snapshot of each study (``raw`` is the registry's JSON);
    ``trial_events`` every change the registry watcher saw, recorded once (the snapshot and
    its events are written in one transaction); ``trial_links`` a paper ↔ trial pair and how
    we know (no foreign keys: either side may not be stored yet). ``registry_searches`` keeps
    every revision of the saved registry search, ``registry_state`` how polling it goes.
    ``delivered_trial_events`` is the subscriber × event ledger: a row tied to a digest that
    was given up on does not count, so the news goes out with the next digest instead.
    """
    _run(
        db,
        """CREATE TABLE trials (
            nct_id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            acronym TEXT NOT NULL,
            status TEXT NOT NULL,
            why_stopped TEXT NOT NULL,
            study_type TEXT NOT NULL,
            phases TEXT NOT NULL,
            allocation TEXT NOT NULL,
            enrollment INTEGER,
            enrollment_type TEXT NOT NULL,
            start_date TEXT NOT NULL,
            start_date_type TEXT NOT NULL,
            primary_completion_date TEXT NOT NULL,
            primary_completion_type TEXT NOT NULL,
            completion_date TEXT NOT NULL,
            completion_type TEXT NOT NULL,
            last_update_posted TEXT NOT NULL,
            has_results INTEGER NOT NULL,
            results_first_posted TEXT NOT NULL,
            sponsor TEXT NOT NULL,
            sponsor_class TEXT NOT NULL,
            conditions TEXT NOT NULL,
            interventions TEXT NOT NULL,
            arms TEXT NOT NULL,
            followup_months REAL,
            refs TEXT NOT NULL,
            raw TEXT NOT NULL,
            in_search INTEGER NOT NULL DEFAULT 1,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE trial_events (
            id INTEGER PRIMARY KEY,
            nct_id TEXT NOT NULL REFERENCES trials(nct_id),
            kind TEXT NOT NULL CHECK (kind IN ('registered', 'status', 'completed',
                'terminated', 'withdrawn', 'suspended', 'date_moved', 'results_posted')),
            at TEXT NOT NULL,
            old TEXT NOT NULL DEFAULT '',
            new TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            run_id INTEGER REFERENCES runs(id)
        ) STRICT""",
        "CREATE INDEX trial_events_nct ON trial_events(nct_id)",
        """CREATE TABLE trial_links (
            nct_id TEXT NOT NULL,
            pmid TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('registry', 'databank', 'title', 'abstract')),
            found_at TEXT NOT NULL,
            PRIMARY KEY (nct_id, pmid)
        ) STRICT""",
        "CREATE INDEX trial_links_pmid ON trial_links(pmid)",
        """CREATE TABLE registry_searches (
            revision INTEGER PRIMARY KEY,
            term TEXT NOT NULL,
            intr TEXT NOT NULL,
            cond TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            author TEXT NOT NULL,
            reason TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE registry_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_count INTEGER,
            last_error TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0
        ) STRICT""",
        """CREATE TABLE delivered_trial_events (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            event_id INTEGER NOT NULL REFERENCES trial_events(id),
            digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
            PRIMARY KEY (subscriber_id, event_id)
        ) STRICT""",
    )


def web_preferences(db: Database) -> None:
    """What the web preferences page needs: a pause that is not an unsubscribe
    (``subscribers.paused_at``), and a log of every preference change with its time and
    where it came from, so an admin can see who changed what."""
    _run(
        db,
        "ALTER TABLE subscribers ADD COLUMN paused_at TEXT",
        """CREATE TABLE subscriber_changes (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            changes TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX subscriber_changes_subscriber ON subscriber_changes(subscriber_id, id)",
    )


def query_changes_and_citations(db: Database) -> None:
    """What a librarian's query change and citation tracking leave behind.

    ``search_hits.unmatched_at``: when a search's current query stopped matching a paper its
    earlier query found (NULL while it matches); the paper stays stored. ``key_papers``: the
    papers whose citing papers each poll asks PubMed about. ``citations``: which stored paper
    cites which key paper, found when; a paper with a citation row and no matching search is a
    recall gap of the saved searches.
    """
    _run(
        db,
        "ALTER TABLE search_hits ADD COLUMN unmatched_at TEXT",
        """CREATE TABLE key_papers (
            pmid TEXT PRIMARY KEY REFERENCES articles(pmid),
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        ) STRICT""",
        """CREATE TABLE citations (
            cited_pmid TEXT NOT NULL REFERENCES articles(pmid),
            citing_pmid TEXT NOT NULL REFERENCES articles(pmid),
            found_at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            PRIMARY KEY (cited_pmid, citing_pmid)
        ) STRICT""",
        "CREATE INDEX citations_citing ON citations(citing_pmid)",
    )


def outbox_sending_state(db: Database) -> None:
    """The "sending" mark of a digest (``sending_at``: set and committed right before the
    message is offered to the server, cleared when the outcome is known) and an outcome that
    stayed unknown (``uncertain_at``: the reply to the final "." was lost, or the process
    died while sending), which holds the digest back from an immediate resend and alerts
    the admin."""
    _run(
        db,
        "ALTER TABLE digests ADD COLUMN sending_at TEXT",
        "ALTER TABLE digests ADD COLUMN uncertain_at TEXT",
    )


def runs_pid(db: Database) -> None:
    """The process that ran each run, so a run whose process is gone shows as interrupted
    at once instead of "running" until the next run."""
    _run(db, "ALTER TABLE runs ADD COLUMN pid INTEGER")


def poll_state_covered_from(db: Database) -> None:
    """The first day a search's polls have covered, so a ``backfill_from`` moved earlier in
    the config backfills the days before it instead of leaving them unpolled. NULL for
    searches polled before: their next successful poll records the current setting."""
    _run(db, "ALTER TABLE poll_state ADD COLUMN covered_from TEXT")


def study_groups(db: Database) -> None:
    """Which papers report one study (``studies`` + ``study_reports``, rewritten whenever the
    papers, their tags or the decisions change) and the librarians' decisions behind them
    (``study_decisions``: kept for good, by PMID, so they outlive re-tagging and re-grouping).
    A study's ``key`` is its lowest PMID; ``links`` holds why its papers were joined."""
    _run(
        db,
        """CREATE TABLE study_decisions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('merge', 'split', 'confirm')),
            pmids TEXT NOT NULL,
            others TEXT NOT NULL DEFAULT '[]',
            author TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE studies (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('single', 'linked', 'probable', 'confirmed')),
            design TEXT NOT NULL,
            level TEXT,
            main_pmid TEXT NOT NULL,
            sample_size INTEGER,
            longest_pmid TEXT,
            followup_months REAL,
            names TEXT NOT NULL DEFAULT '[]',
            registrations TEXT NOT NULL DEFAULT '[]',
            links TEXT NOT NULL DEFAULT '[]',
            grouped_at TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE study_reports (
            pmid TEXT PRIMARY KEY REFERENCES articles(pmid),
            study_key TEXT NOT NULL REFERENCES studies(key) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('protocol', 'results')),
            position INTEGER NOT NULL
        ) STRICT""",
        "CREATE INDEX study_reports_study ON study_reports(study_key, position)",
    )


def digest_storage(db: Database) -> None:
    """Each thing a digest row holds stored once. ``landscapes``: the landscape summary a
    digest keeps for the next one to compare against, by its SHA-256 (every digest of a run
    shares one; ``digests.landscape`` stays for rows written before). ``message_kept``: where
    the message bytes are now: in ``message`` ('database', until sent and for
    ``[mail] retention_days`` after), in the files transport's .eml only ('files': the
    database copy is dropped once that file is written), or nowhere ('pruned', at
    ``pruned_at``); the row and its ledger stay either way."""
    _run(
        db,
        """CREATE TABLE landscapes (
            hash TEXT PRIMARY KEY,
            data TEXT NOT NULL
        ) STRICT""",
        "ALTER TABLE digests ADD COLUMN landscape_hash TEXT REFERENCES landscapes(hash)",
        "ALTER TABLE digests ADD COLUMN message_kept TEXT NOT NULL DEFAULT 'database'"
        " CHECK (message_kept IN ('database', 'files', 'pruned'))",
        "ALTER TABLE digests ADD COLUMN pruned_at TEXT",
        "CREATE INDEX digests_kept ON digests(message_kept, sent_at)",
    )


def digest_message_bytes_apart(db: Database) -> None:
    """A digest's message bytes in a row of their own (``digest_messages``), apart from its
    delivery state. SQLite rewrites a whole row, overflow pages and all, whenever one of its
    columns changes size: with the bytes inside ``digests``, marking a message "sending" and
    then "sent" wrote it twice more (~200 kB of WAL per 100 kB message, and the checkpoints
    after), at every send. A row here exists while the bytes are kept in the database
    (``digests.message_kept = 'database'``); pruning or handing them to the files outbox
    deletes it."""
    _run(
        db,
        """CREATE TABLE digest_messages (
            digest_id INTEGER PRIMARY KEY REFERENCES digests(id) ON DELETE CASCADE,
            message BLOB NOT NULL
        ) STRICT""",
        "INSERT INTO digest_messages (digest_id, message)"
        " SELECT id, message FROM digests WHERE message_kept = 'database'",
        "ALTER TABLE digests DROP COLUMN message",
    )


def coverage_sets(db: Database) -> None:
    """The papers a digest covers without showing them (the rest of a baseline, items beyond
    the cap, notices) stored once per distinct set, not once per subscriber.

    A first digest covers the whole backlog: as ``deliveries`` rows, a thousand surgeons'
    baselines over 10,000 papers wrote 8.5 million rows, most of the run's time and a third of
    its disk. Everyone with the same searches and questions is covered by the same set, so
    ``coverage_sets`` keeps each distinct set once (by the SHA-256 of its sorted PMIDs),
    ``coverage_pmids`` its papers, and ``covered`` which digest covered a subscriber with it
    (one row a digest; it goes with the digest if that is given up on, as ledger rows do).
    ``deliveries`` keeps the papers a digest showed. Covered rows written before move into
    sets here. ``article_events_kind``: a retraction of a covered paper is found from the
    (few) retractions, not from every paper a subscriber was covered for."""
    _run(
        db,
        """CREATE TABLE coverage_sets (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL
        ) STRICT""",
        """CREATE TABLE coverage_pmids (
            set_id INTEGER NOT NULL REFERENCES coverage_sets(id) ON DELETE CASCADE,
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            PRIMARY KEY (set_id, pmid)
        ) STRICT, WITHOUT ROWID""",
        "CREATE INDEX coverage_pmids_pmid ON coverage_pmids(pmid)",
        """CREATE TABLE covered (
            digest_id INTEGER PRIMARY KEY REFERENCES digests(id) ON DELETE CASCADE,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            set_id INTEGER NOT NULL REFERENCES coverage_sets(id)
        ) STRICT""",
        "CREATE INDEX covered_subscriber ON covered(subscriber_id, set_id)",
        "CREATE INDEX covered_set ON covered(set_id)",
        "CREATE INDEX article_events_kind ON article_events(kind, pmid)",
    )
    digests = [
        r[0] for r in db.execute("SELECT DISTINCT digest_id FROM deliveries WHERE shown = 0")
    ]
    for digest_id in digests:
        rows = db.execute(
            "SELECT subscriber_id, pmid FROM deliveries WHERE digest_id = ? AND shown = 0",
            (digest_id,),
        ).fetchall()
        set_id = store_coverage_set(db, [pmid for _, pmid in rows])
        db.execute(
            "INSERT INTO covered (digest_id, subscriber_id, set_id) VALUES (?, ?, ?)",
            (digest_id, rows[0][0], set_id),
        )
    db.execute("DELETE FROM deliveries WHERE shown = 0")


def study_clues(db: Database) -> None:
    """What study grouping reads of each record itself (``watcher.studypapers.PaperFacts``),
    read when the paper is tagged, so a regroup after every poll reads these few bytes a paper
    instead of every abstract again. ``clues`` is NULL where they were not read (the paper
    cannot be a report, or had a secondary design); a record whose content changes loses its
    row (``Store.save_articles``) and gets a new one when it is tagged again. Rows of databases
    from before are made by the first regroup."""
    _run(
        db,
        """CREATE TABLE study_clues (
            pmid TEXT PRIMARY KEY REFERENCES articles(pmid) ON DELETE CASCADE,
            order_date TEXT NOT NULL,
            order_pmid INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('protocol', 'results')),
            counts INTEGER NOT NULL,
            reportable INTEGER NOT NULL,
            clues TEXT
        ) STRICT""",
    )
