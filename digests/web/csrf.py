"""CSRF tokens for the preference forms: an HMAC of the subscriber's token and the time.

Starlette has no CSRF protection of its own. A form token is ``{time}.{hmac}``, where the
HMAC (SHA-256, keyed with the server's secret) covers the subscriber's token and the time it
was issued: another site cannot make one (it lacks the key), one subscriber's token does not
work for another, and an old one expires. Checking compares in constant time. The one-click
unsubscribe POST carries no such token, by design (RFC 8058): there, the secret in the URL
is the proof.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_AGE_SECONDS = 24 * 3600  # a form left open longer must be reloaded


class CsrfSigner:
    def __init__(self, secret: str | None = None) -> None:
        """``secret`` from the environment; without one, a random key for this process."""
        self._key = secret.encode() if secret else secrets.token_bytes(32)

    def _mac(self, subject: str, issued: int) -> str:
        message = f"{issued}|{subject}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def token(self, subject: str, *, now: float) -> str:
        """A form token for ``subject`` (a subscriber's token) issued at ``now`` (epoch s)."""
        issued = int(now)
        return f"{issued}.{self._mac(subject, issued)}"

    def valid(self, token: str | None, subject: str, *, now: float) -> bool:
        """Made by this key for ``subject``, and neither expired nor from the future."""
        issued_text, _, mac = (token or "").partition(".")
        if not issued_text.isdigit() or len(issued_text) > 12 or not mac:
            return False
        issued = int(issued_text)
        if not 0 <= now - issued <= MAX_AGE_SECONDS:
            return False
        return hmac.compare_digest(mac, self._mac(subject, issued))
