"""A digest's bytes, as the email package writes them, without it encoding every body itself.

Quoted-printable encodes each line on its own (a line's soft breaks depend on that line only),
and most lines of a run's digests are the same lines: the same items and landscape, in
mail after mail. So :class:`BodyEncoder` encodes a body as ``email.contentmanager`` does
(UTF-8, line breaks made ``\\n``, ``quoprimime.body_encode`` with the policy's 78-character
lines), one distinct line once. :func:`message_bytes` lets the email package build and write
the message with a short placeholder for each text body (headers, boundaries and the chart are
its own), then puts the encoded bodies in place of the placeholders: the bytes the package
would have written with the bodies in it (tests/test_golden.py compares them).
"""

from __future__ import annotations

from email import policy as email_policy
from email import quoprimime
from email.message import EmailMessage

MAX_LINE_LENGTH = email_policy.default.max_line_length  # what EmailMessage.set_content uses
_PLACEHOLDER = "mildwatch-body-{}-placeholder"


class BodyEncoder:
    """Quoted-printable bodies, each distinct line encoded once (one encoder per run)."""

    def __init__(self) -> None:
        self._lines: dict[bytes, str] = {}

    def encode(self, text: str) -> str:
        """``text`` as ``set_content(text, charset="utf-8", cte="quoted-printable")`` puts it
        in the message (``\\n`` line ends)."""
        lines = self._lines
        encoded = []
        for line in text.encode("utf-8").splitlines():
            found = lines.get(line)
            if found is None:
                found = lines[line] = quoprimime.body_encode(
                    line.decode("latin-1"), MAX_LINE_LENGTH
                )
            encoded.append(found)
        encoded.append("")  # the body ends with a line break, as contentmanager writes it
        return "\n".join(encoded)


def placeholder(number: int) -> str:
    """The text to give the email package for body ``number`` (it encodes as itself)."""
    return _PLACEHOLDER.format(number)


def message_bytes(message: EmailMessage, bodies: list[str]) -> bytes:
    """``message`` as ``as_bytes(policy=SMTP)`` writes it, with placeholder ``i`` replaced by
    the encoded body ``bodies[i]`` (CRLF line ends, as the generator writes every line)."""
    data = message.as_bytes(policy=email_policy.SMTP)
    for number, body in enumerate(bodies):
        placeholder = f"{_PLACEHOLDER.format(number)}\r\n".encode("ascii")
        if data.count(placeholder) != 1:
            raise ValueError(f"placeholder {number} not found once in the message")
        data = data.replace(placeholder, body.replace("\n", "\r\n").encode("ascii"))
    return data
