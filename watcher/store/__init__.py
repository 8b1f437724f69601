"""SQLite storage: the only package that speaks SQL.

``Store`` is one class put together from query mixins, one module per concern: ``base``
(connection, migrations, transactions), ``schema`` (the shipped migrations), ``articles``,
``searches``, ``evidence``, ``runs``, ``subscribers``, ``preferences``, ``undelivered``,
``outbox`` (with ``coverage``), ``trials``, ``citations`` and ``studies``. One class, so a
single connection serves the watcher and the digests: ``watcher`` code simply never calls the
mail queries, which ``digests`` and the CLI use. Methods take and return the dataclasses in
``watcher.records`` and the ones re-exported here; import them from ``watcher.store``, not from
the modules, which may move.
"""

from __future__ import annotations

from watcher.store.articles import ArticleFilter, ArticleQueries, ArticleSummary
from watcher.store.base import BUSY_TIMEOUT_SECONDS, database_error
from watcher.store.citations import CitationQueries, KeyPaper, RecallGap
from watcher.store.coverage import CoverageSet
from watcher.store.evidence import EvidenceQueries
from watcher.store.outbox import (
    STATUSES,
    LandscapeSummary,
    NewDigest,
    OutboxEntry,
    OutboxQueries,
)
from watcher.store.preferences import PREFERENCE_FIELDS, PreferenceQueries, SubscriberChange
from watcher.store.runs import RunQueries
from watcher.store.searches import SearchQueries
from watcher.store.studies import StudyQueries
from watcher.store.subscribers import (
    FORMATS,
    FREQUENCIES,
    RELEVANCE_LEVELS,
    SUBSCRIBER_FIELDS,
    Subscriber,
    SubscriberQueries,
    check_name,
    normalize_address,
)
from watcher.store.trials import TrialQueries
from watcher.store.undelivered import Candidate, PendingNews, Received, UndeliveredQueries

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "FORMATS",
    "FREQUENCIES",
    "PREFERENCE_FIELDS",
    "RELEVANCE_LEVELS",
    "STATUSES",
    "SUBSCRIBER_FIELDS",
    "ArticleFilter",
    "ArticleSummary",
    "Candidate",
    "CoverageSet",
    "KeyPaper",
    "LandscapeSummary",
    "NewDigest",
    "OutboxEntry",
    "PendingNews",
    "RecallGap",
    "Received",
    "Store",
    "Subscriber",
    "SubscriberChange",
    "check_name",
    "database_error",
    "normalize_address",
]


class Store(
    ArticleQueries,
    SearchQueries,
    EvidenceQueries,
    RunQueries,
    SubscriberQueries,
    UndeliveredQueries,
    OutboxQueries,
    TrialQueries,
    PreferenceQueries,
    CitationQueries,
    StudyQueries,
):
    """An open mildwatch database; ``Store.open(path)`` connects and migrates."""
