"""Email addresses as mildwatch accepts them: the config's and the subscribers' alike.

ASCII form (mail relays without SMTPUTF8 take nothing else), domain lower-cased. Public
domains only by default; ``internal=True`` (``[mail] allow_internal_domains``) also takes
hosts that are not on the public internet, such as ``x@hospital.local`` or ``x@intranet``,
which a hospital's own relay delivers.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

INTERNAL_SUFFIXES = (".local", ".internal", ".lan", ".corp", ".home.arpa")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def is_internal_domain(domain: str) -> bool:
    domain = domain.lower()
    return "." not in domain or domain.endswith(INTERNAL_SUFFIXES)


def normalize_address(address: str, *, internal: bool = False) -> str:
    """The address in its normal ASCII form, or ``EmailNotValidError`` saying why."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if internal and at and is_internal_domain(domain):
        domain = domain.lower()
        if not _HOST.fullmatch(domain):
            raise EmailNotValidError(f"the domain {domain!r} is not a valid host name")
        checked = validate_email(f"{local}@example.org", check_deliverability=False,
                                 allow_smtputf8=False)  # fmt: skip
        return f"{checked.local_part}@{domain}"
    valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    return valid.ascii_email or valid.normalized
