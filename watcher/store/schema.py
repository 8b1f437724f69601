"""The database schema as named, recorded migrations (``sqlite_utils.Migrations``).

Each migration runs in its own transaction together with its record in
``_sqlite_migrations``, so a crash mid-migration leaves the database as it was. Never edit a
migration that has shipped: add a new one. Times are UTC ISO-8601 text; lists are JSON text.
"""

from __future__ import annotations

from collections.abc import Callable

from watcher.store.lean import Database, Migrations  # sqlite-utils, without numpy
from watcher.store.schema_features import (
    coverage_sets,
    digest_message_bytes_apart,
    digest_storage,
    outbox_sending_state,
    poll_state_covered_from,
    query_changes_and_citations,
    registry_tables,
    runs_pid,
    study_clues,
    study_groups,
    web_preferences,
)
from watcher.store.schema_features import run_statements as _run

MIGRATION_SET = "mildwatch"


def watcher_tables(db: Database) -> None:
    """Searches and their history, articles, hits, per-search watermarks, runs, events."""
    _run(
        db,
        """CREATE TABLE searches (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            query TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE search_revisions (
            id INTEGER PRIMARY KEY,
            search_id INTEGER NOT NULL REFERENCES searches(id),
            revision INTEGER NOT NULL,
            query TEXT NOT NULL,
            description TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            changed_at TEXT NOT NULL,
            author TEXT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (search_id, revision)
        ) STRICT""",
        """CREATE TABLE articles (
            pmid TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL,
            authors TEXT NOT NULL,
            journal TEXT NOT NULL,
            journal_abbrev TEXT NOT NULL,
            pub_date TEXT,
            pub_year INTEGER,
            pub_date_text TEXT NOT NULL,
            entrez_date TEXT,
            create_date TEXT,
            revised_date TEXT,
            doi TEXT,
            pmcid TEXT,
            publication_types TEXT NOT NULL,
            mesh_terms TEXT NOT NULL,
            keywords TEXT NOT NULL,
            languages TEXT NOT NULL,
            corrections TEXT NOT NULL,
            retracted INTEGER NOT NULL DEFAULT 0,
            source_format TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            raw TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX articles_entrez_date ON articles(entrez_date)",
        "CREATE INDEX articles_first_seen ON articles(first_seen)",
        """CREATE TABLE search_hits (
            search_id INTEGER NOT NULL REFERENCES searches(id),
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            first_hit_at TEXT NOT NULL,
            last_hit_at TEXT NOT NULL,
            PRIMARY KEY (search_id, pmid)
        ) STRICT""",
        "CREATE INDEX search_hits_pmid ON search_hits(pmid)",
        """CREATE TABLE poll_state (
            search_id INTEGER PRIMARY KEY REFERENCES searches(id),
            watermark TEXT,
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_count INTEGER,
            last_translation TEXT,
            last_error TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0
        ) STRICT""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}',
            error TEXT
        ) STRICT""",
        """CREATE TABLE article_events (
            id INTEGER PRIMARY KEY,
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            kind TEXT NOT NULL CHECK (kind IN ('new', 'updated', 'retracted', 'erratum')),
            at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            detail TEXT NOT NULL DEFAULT ''
        ) STRICT""",
        "CREATE INDEX article_events_pmid ON article_events(pmid)",
        "CREATE INDEX article_events_at ON article_events(at)",
    )


def evidence_tables(db: Database) -> None:
    """One evidence row per article (the latest classification) and a log of tag changes."""
    _run(
        db,
        """CREATE TABLE evidence (
            pmid TEXT PRIMARY KEY REFERENCES articles(pmid),
            classifier_version TEXT NOT NULL,
            profile_version TEXT NOT NULL,
            relevance TEXT NOT NULL,
            relevance_score REAL NOT NULL,
            design TEXT NOT NULL,
            level TEXT,
            followup_months REAL,
            sample_size INTEGER,
            questions TEXT NOT NULL,
            data TEXT NOT NULL,
            classified_at TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX evidence_design ON evidence(design)",
        """CREATE TABLE evidence_changes (
            id INTEGER PRIMARY KEY,
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            old_version TEXT NOT NULL,
            new_version TEXT NOT NULL,
            changes TEXT NOT NULL
        ) STRICT""",
    )


def scheduler_tables(db: Database) -> None:
    """Last scheduled/successful run of each daemon job, so a restart can catch up."""
    _run(
        db,
        """CREATE TABLE job_state (
            job_id TEXT PRIMARY KEY,
            last_scheduled TEXT,
            last_success TEXT,
            last_error TEXT
        ) STRICT""",
    )


def digest_tables(db: Database) -> None:
    """Subscribers, the outbox (``digests``) and the ledgers that make "never twice" hold.

    ``deliveries`` has one row per subscriber and paper, ever: its primary key is the rule.
    ``delivered_events`` does the same for news about papers already received
    (retractions, errata). A digest holds its rendered message, so a retry sends the very
    same bytes with the same Message-ID. Alerts to the admin go through the same outbox
    (``subscriber_id`` NULL, kind 'alert'); ``alerts`` keeps one alert per problem.
    ``subscribers.covered_through`` is the last day a digest period covered, also when the
    period had nothing to send, so "is it due?" does not depend on a mail having been sent.
    """
    _run(
        db,
        """CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL DEFAULT '',
            frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
            searches TEXT NOT NULL DEFAULT '[]',
            questions TEXT NOT NULL DEFAULT '[]',
            min_relevance TEXT NOT NULL DEFAULT 'relevant'
                CHECK (min_relevance IN ('relevant', 'uncertain')),
            format TEXT NOT NULL DEFAULT 'html' CHECK (format IN ('html', 'text')),
            send_empty INTEGER NOT NULL DEFAULT 0,
            max_items INTEGER,
            active INTEGER NOT NULL DEFAULT 1,
            token TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            unsubscribed_at TEXT,
            covered_through TEXT
        ) STRICT""",
        """CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
            recipient TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('baseline', 'update', 'nothing_new', 'alert')),
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            message BLOB NOT NULL,
            landscape TEXT NOT NULL DEFAULT '{}',
            items INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        ) STRICT""",
        "CREATE INDEX digests_status ON digests(status, next_attempt_at)",
        "CREATE INDEX digests_subscriber ON digests(subscriber_id, period_end)",
        # One live digest per subscriber and period: composing twice cannot queue twice.
        "CREATE UNIQUE INDEX digests_one_per_period ON digests(subscriber_id, period_start,"
        " period_end) WHERE subscriber_id IS NOT NULL AND status != 'failed'",
        """CREATE TABLE deliveries (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
            shown INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (subscriber_id, pmid)
        ) STRICT""",
        "CREATE INDEX deliveries_digest ON deliveries(digest_id)",
        """CREATE TABLE delivered_events (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            event_id INTEGER NOT NULL REFERENCES article_events(id),
            digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
            PRIMARY KEY (subscriber_id, event_id)
        ) STRICT""",
        """CREATE TABLE alerts (
            key TEXT PRIMARY KEY,
            raised_at TEXT NOT NULL,
            detail TEXT NOT NULL,
            digest_id INTEGER REFERENCES digests(id) ON DELETE SET NULL
        ) STRICT""",
    )


def article_citation_columns(db: Database) -> None:
    """What a reference manager and the evidence engine need beyond the first release: the
    issue and pages, registry numbers (DataBankList), the authors' conflict-of-interest
    statement and the grants. Rows stored before stay as they were (empty values) until
    PubMed sends the record again."""
    _run(
        db,
        "ALTER TABLE articles ADD COLUMN volume TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE articles ADD COLUMN issue TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE articles ADD COLUMN pages TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE articles ADD COLUMN databanks TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE articles ADD COLUMN coi_statement TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE articles ADD COLUMN grants TEXT NOT NULL DEFAULT '[]'",
    )


MIGRATIONS: tuple[tuple[str, Callable[[Database], None]], ...] = (
    ("0001_watcher_tables", watcher_tables),
    ("0002_evidence_tables", evidence_tables),
    ("0003_scheduler_tables", scheduler_tables),
    ("0004_digest_tables", digest_tables),
    ("0005_article_citation_columns", article_citation_columns),
    ("0006_registry_tables", registry_tables),
    ("0007_web_preferences", web_preferences),
    ("0008_query_changes_and_citations", query_changes_and_citations),
    ("0009_outbox_sending_state", outbox_sending_state),
    ("0010_runs_pid", runs_pid),
    ("0011_poll_state_covered_from", poll_state_covered_from),
    ("0012_study_groups", study_groups),
    ("0013_digest_storage", digest_storage),
    ("0014_digest_message_bytes_apart", digest_message_bytes_apart),
    ("0015_coverage_sets", coverage_sets),
    ("0016_study_clues", study_clues),
)


def migrations() -> Migrations:
    """A fresh migration set (built on demand, not at import time)."""
    migration_set = Migrations(MIGRATION_SET)
    for name, function in MIGRATIONS:
        migration_set(name=name)(function)
    return migration_set
