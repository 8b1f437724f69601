"""Every error mildwatch raises on purpose, one type per layer, all defined here.

Each carries a message written for the person at the terminal: it names the thing that is
wrong and, where there is one, the next step. The CLI prints ``str(error)`` on one line and
exits with ``exit_code``; it never shows a traceback for these.

    MildwatchError              (exit 1)
    ├── ConfigError             (exit 2) the TOML config or profile, a missing setting or
    │                           environment variable; messages start with file:line
    ├── LockedError             (exit 3) another mildwatch run holds the database's run lock
    ├── StoreError              the SQLite database cannot be opened, migrated or written
    ├── EntrezError             PubMed / the E-utilities server: unreachable, HTTP errors,
    │   │                       bad replies
    │   ├── PubMedUnreachable   no connection at all, every try: the poll stops at once
    │   └── QueryError          PubMed rejected or silently changed a search query (ErrorList)
    │       └── QuerySyntaxError  the local PubMed server cannot parse a query (with position)
    ├── RegistryError           ClinicalTrials.gov / the registry server: unreachable, HTTP
    │   │                       errors, replies that are not the API's JSON
    │   └── RegistryQueryError  the registry rejected the saved registry search (HTTP 400)
    ├── ParseError              a PubMed XML or MEDLINE file that cannot be read
    ├── WebInputError           a web page's filter or form holds a value it cannot take
    │                           (the page answers 400 with the message; nothing changes)
    ├── StudyError              a librarian's merge/split/confirm of studies that cannot apply
    └── DeliveryError           a digest could not be delivered (SMTP, files outbox);
        │                       ``permanent`` when retrying cannot help
        ├── ServerUnavailable   the mail server failed before any message was offered
        │                       (connection, TLS, login): the outbox stops for this run
        └── OutcomeUnknown      the whole message was offered but the reply was lost: it may
                                have been delivered, so it is held back, not resent at once

Not in the tree, on purpose: the command line's ``CommandError`` (``watcher/cli/app.py``) is
click's exception that carries one of these to the terminal, and two private signals never
leave their module (``_Retry`` in ``watcher/pubmed/client.py`` and
``watcher/registry/client.py``: try this request again;
``_Unreadable`` in ``watcher/pubmed/parse.py``: Bio.Entrez could not read this document).
"""

from __future__ import annotations


class MildwatchError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code: int = 1


class ConfigError(MildwatchError):
    """The configuration is missing, malformed or inconsistent."""

    exit_code = 2


class LockedError(MildwatchError):
    """Another mildwatch process holds the run lock."""

    exit_code = 3


class StoreError(MildwatchError):
    """The database cannot be opened, migrated or written."""


class EntrezError(MildwatchError):
    """An E-utilities request failed after its retries, or returned something unusable."""


class PubMedUnreachable(EntrezError):
    """No connection could be made to the E-utilities server on any try (refused, no route,
    unknown host): the other searches would fail the same way, so a poll stops trying."""


class QueryError(EntrezError):
    """PubMed reported an error in a search query (ErrorList), or rejected it."""


class QuerySyntaxError(QueryError):
    """The query cannot be parsed; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class RegistryError(MildwatchError):
    """A trial registry request failed after its retries, or returned something unusable."""


class RegistryQueryError(RegistryError):
    """The registry rejected a registry search (malformed query, unknown field)."""


class ParseError(MildwatchError):
    """A PubMed XML or MEDLINE document that cannot be parsed."""


class WebInputError(MildwatchError):
    """A query string or form sent to ``mildwatch web`` is invalid."""


class DeliveryError(MildwatchError):
    """A digest could not be handed to its transport.

    ``permanent`` is true when retrying cannot help (e.g. SMTP 5xx for that recipient).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ServerUnavailable(DeliveryError):
    """The server could not be reached, or refused the session (TLS, login) before any
    message was offered: the outbox stops this run instead of trying every digest."""


class OutcomeUnknown(DeliveryError):
    """The message was offered in full (the final "." went out) but no reply came: the
    server may have kept it. Resending at once risks a duplicate, so the outbox holds it."""


class StudyError(MildwatchError):
    """A study decision that cannot be applied: an unknown PMID or study name, merging a study
    with itself, splitting off every report of a study."""
