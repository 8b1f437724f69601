"""The errors mildwatch raises on purpose, one type per layer.

Each carries a message written for the person at the terminal: it names the thing that is
wrong and, where there is one, the next step. The CLI prints ``str(error)`` on one line and
exits non-zero; it never shows a traceback for these.

    MildwatchError
    ├── ConfigError      the TOML file, a missing setting or environment variable
    ├── StoreError       the SQLite database cannot be opened, migrated or written
    ├── EntrezError      PubMed / the E-utilities server: unreachable, HTTP errors, bad replies
    │   └── QueryError   PubMed rejected or silently changed a search query (ErrorList)
    ├── ParseError       a PubMed XML or MEDLINE file that cannot be read
    └── DeliveryError    a digest could not be delivered (SMTP, files outbox)
"""

from __future__ import annotations


class MildwatchError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code: int = 1


class ConfigError(MildwatchError):
    """The configuration is missing, malformed or inconsistent."""

    exit_code = 2


class StoreError(MildwatchError):
    """The database cannot be opened, migrated or written."""


class EntrezError(MildwatchError):
    """An E-utilities request failed after its retries, or returned something unusable."""


class QueryError(EntrezError):
    """PubMed reported an error in a search query (ErrorList), or rejected it."""


class ParseError(MildwatchError):
    """A PubMed XML or MEDLINE document that cannot be parsed."""


class DeliveryError(MildwatchError):
    """A digest could not be handed to its transport.

    ``permanent`` is true when retrying cannot help (e.g. SMTP 5xx for that recipient).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
