"""Secrets out of every text that may leave the process: messages, the database, logs.

An E-utilities error page may echo the request URL, ``api_key=…`` included; an SMTP server
may echo a login. Every error text that may carry a URL goes through :func:`redact` where it
is made (the Entrez client, the local server's request log), and again at the edges (the
CLI's log handler and error line), so a key reaches neither stdout, ``poll_state``, ``runs``
nor ``status``. Known secret values are replaced wherever they appear, and any URL parameter
named like a secret is blanked even when its value is not known here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
SECRET_PARAMETERS = ("api_key", "apikey", "password", "passwd", "access_token")
_PARAMETER = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMETERS) + r")(=|%3D)([^&\s\"'<>;]+)")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret (also URL-encoded) and every secret-named URL
    parameter's value replaced by ``***``."""
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return _PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def redact_exception(exc: BaseException, secrets: Iterable[str | None] = ()) -> BaseException:
    """Redact an exception's message in place (its type and attributes stay) and return it."""
    wanted = list(secrets)
    exc.args = tuple(redact(a, wanted) if isinstance(a, str) else a for a in exc.args)
    return exc
