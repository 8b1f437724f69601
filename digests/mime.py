"""A digest's bytes, as the email package writes them, without it building every message.

The digests of one run differ in little: the recipient, the Message-ID (and the boundaries
made from it), the unsubscribe link, the subject, the bodies. Everything else (the part
headers, the chart, the fixed headers) is the same in mail after mail. So a
:class:`MessageEncoder`, one per run, keeps:

- each distinct body line, quoted-printable encoded once (``BodyEncoder``): quoted-printable
  encodes each line on its own (a line's soft breaks depend on that line only), as
  ``email.contentmanager`` does it (UTF-8, ``\\n`` line ends, ``quoprimime.body_encode`` with
  the policy's 78-character lines);
- each header value shared by the run's mail (From, Date, ...), parsed and folded once;
- for each shape of message, a :class:`Skeleton`: the bytes the email package wrote after
  the top-level headers (part headers, the chart in base64) for a message built with a
  placeholder for each body, the stem of its boundaries left open.

A message is then its top-level headers, each folded as the package folds it, and its
skeleton with its boundaries' stem and the encoded bodies put in: the bytes the package
would have written (tests/test_mime_bytes.py and tests/test_golden.py compare them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from email import headerregistry, quoprimime
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any


class OneLineHeader(headerregistry.UnstructuredHeader):
    """A header that must reach the mail client as written: List-Unsubscribe (RFC 2369) is
    URLs in angle brackets. The email package folds a longer value than fits a line (a web
    address and a 32-character token do not) into RFC 2047 encoded words, which a client does
    not read as a URL: one-click unsubscribe silently lost. So it is written on one line
    (RFC 5322 allows 998 characters), unless it is not ASCII (a URL is)."""

    def fold(self, *, policy: email_policy.Policy) -> str:
        text = str(self)
        if not text.isascii():
            return super().fold(policy=policy)  # type: ignore[misc]
        return f"{self.name}: {text}{policy.linesep}"  # type: ignore[attr-defined]


def _header_registry() -> headerregistry.HeaderRegistry:
    registry = headerregistry.HeaderRegistry()
    registry.map_to_type("list-unsubscribe", OneLineHeader)
    return registry


# Digests are built with this policy (the default, and OneLineHeader for List-Unsubscribe)
# and written with policy.SMTP (CRLF): a header is folded by its own class either way.
BUILD_POLICY = email_policy.default.clone(header_factory=_header_registry())
MAX_LINE_LENGTH = BUILD_POLICY.max_line_length  # what EmailMessage.set_content uses
_PLACEHOLDER = "mildwatch-body-{}-placeholder"
_WRITE_POLICY = email_policy.SMTP
PER_RECIPIENT = frozenset({"To", "Message-ID", "List-Unsubscribe"})  # the rest: run-wide


class BodyEncoder:
    """Quoted-printable bodies, each distinct line encoded once (one encoder per run)."""

    def __init__(self) -> None:
        self._lines: dict[bytes, str] = {}

    def encode(self, text: str) -> str:
        """``text`` as ``set_content(text, charset="utf-8", cte="quoted-printable")`` puts it
        in the message (``\\n`` line ends)."""
        lines = self._lines
        encoded = []
        for line in text.encode("utf-8").splitlines() or [b""]:  # "" is written as one line
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


def boundary_stem(message_id: str) -> str:
    """What every boundary of a message starts with: derived from its Message-ID (the same
    digest gives the same bytes), always as long (the header carrying it folds the same).

    "=_" cannot occur in quoted-printable or base64 bodies, so the boundary cannot clash.
    """
    return f"=_mildwatch_{hashlib.sha256(message_id.encode()).hexdigest()[:20]}"


def _placeholder_line(number: int) -> bytes:
    return f"{_PLACEHOLDER.format(number)}\r\n".encode("ascii")


@dataclass(frozen=True)
class Header:
    """One top-level header as the message stores it (``text``: its value, as
    ``message[name]`` reads) and as the generator writes it (``folded``, CRLF included)."""

    text: str
    folded: bytes


def fold_header(name: str, value: Any) -> Header:
    """``message[name] = value`` then ``as_bytes(policy=SMTP)``, for this one header: the
    value parsed by the policy's header registry, then folded and encoded as the generator
    does (a value with a line break is refused, as ``message[name] = value`` refuses it)."""
    stored_name, stored = BUILD_POLICY.header_store_parse(name, value)
    return Header(str(stored), _WRITE_POLICY.fold_binary(stored_name, stored))


@dataclass(frozen=True)
class Skeleton:
    """A message's bytes after its top-level headers, cut where each body goes
    (``segments``: one more than the bodies) and where its boundaries' stem is in a segment
    (each segment's pieces are joined by another message's stem)."""

    segments: tuple[tuple[bytes, ...], ...]

    @classmethod
    def of(cls, message: EmailMessage, top: tuple[str, ...], stem: str, bodies: int) -> Skeleton:
        """The skeleton of ``message``, built with ``placeholder(i)`` for its bodies and with
        the headers named ``top`` first; ``stem`` starts each of its boundaries, and no other
        text of the message (its length must be the same in every message, so that the
        header carrying it folds the same)."""
        items = list(message.raw_items())
        names = tuple(name for name, _ in items[: len(top)])
        if names != top:
            raise ValueError(f"the message's first headers are {names}, not {top}")
        head = b"".join(_WRITE_POLICY.fold_binary(name, value) for name, value in items[: len(top)])
        rest = message.as_bytes(policy=_WRITE_POLICY)
        if not rest.startswith(head):
            raise ValueError("the email package wrote the top-level headers otherwise")
        rest = rest[len(head) :]
        cut = stem.encode("ascii")
        segments = []
        for number in range(bodies):  # the bodies come in order: text, then HTML
            line = _placeholder_line(number)
            if rest.count(line) != 1:
                raise ValueError(f"placeholder {number} not found once in the message")
            before, rest = rest.split(line)
            segments.append(tuple(before.split(cut)))
        segments.append(tuple(rest.split(cut)))
        return cls(tuple(segments))

    def fill(self, stem: str, bodies: list[str]) -> bytes:
        """The bytes for a message whose boundaries start with ``stem``, with ``bodies``
        (encoded, ``\\n`` line ends) where the placeholders were."""
        if len(bodies) != len(self.segments) - 1:
            raise ValueError(f"{len(bodies)} bodies for a message with {len(self.segments) - 1}")
        cut = stem.encode("ascii")
        data = [cut.join(self.segments[0])]
        for body, segment in zip(bodies, self.segments[1:], strict=True):
            data.append(body.replace("\n", "\r\n").encode("ascii"))
            data.append(cut.join(segment))
        return b"".join(data)


class MessageEncoder(BodyEncoder):
    """What a run's messages share, worked out once: body lines, shared header values, a
    skeleton per shape of message. One per run (the ``Renderer`` holds it); it grows with
    the run's distinct lines, subjects and shapes, not with each recipient's headers."""

    def __init__(self) -> None:
        super().__init__()
        self._headers: dict[tuple[str, type, str], Header] = {}
        self._skeletons: dict[Hashable, Skeleton] = {}

    def header(self, name: str, value: Any, *, shared: bool) -> Header:
        """``fold_header(name, value)``; kept for the run when ``shared`` (a value many
        messages of the run carry). The key is the value's type and text: a header parses
        an address object from its text, a string as given."""
        if not shared:
            return fold_header(name, value)
        key = (name, type(value), str(value))
        found = self._headers.get(key)
        if found is None:
            found = self._headers[key] = fold_header(name, value)
        return found

    def message_bytes(
        self,
        top: list[tuple[str, Any]],
        bodies: list[str],
        *,
        shape: Hashable,
        build: Callable[[], EmailMessage],
    ) -> bytes:
        """The bytes of a message whose top-level headers are ``top`` (in order) and whose
        bodies are ``bodies``; ``shape`` is what else decides its structure, and ``build``
        makes such a message, ``placeholder(i)`` for body ``i``, the first time."""
        folded = {
            name: self.header(name, value, shared=name not in PER_RECIPIENT) for name, value in top
        }
        names = tuple(folded)
        key = (shape, names, len(bodies))
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            message = build()
            stem = boundary_stem(str(message["Message-ID"]))
            skeleton = self._skeletons[key] = Skeleton.of(message, names, stem, len(bodies))
        stem = boundary_stem(folded["Message-ID"].text)
        encoded = skeleton.fill(stem, [self.encode(body) for body in bodies])
        return b"".join(header.folded for header in folded.values()) + encoded
