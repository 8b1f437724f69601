"""The files outbox (the default transport): each message an ``.eml`` file named by its
Message-ID, written atomically, readable by the service's user only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar

from watcher.errors import DeliveryError

log = logging.getLogger(__name__)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@+=-]")


def eml_filename(message_id: str) -> str:
    """A file name from a Message-ID: readable, safe on any filesystem, stable across re-sends.

    Characters outside a safe set are replaced; when anything had to change (or the name is
    long) a short hash of the full ID keeps two different IDs from sharing a file.
    """
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    safe = _UNSAFE_FILENAME.sub("_", bare).lstrip(".")[:120]
    if safe != bare or not safe:
        safe = f"{safe}-{hashlib.sha256(bare.encode()).hexdigest()[:12]}"
    return f"{safe}.eml"


@dataclass(frozen=True)
class FilesTransport:
    """Writes each message to ``folder/<Message-ID>.eml``; a re-send replaces the same file.

    The write is atomic (a temporary file in the same folder, flushed, then renamed), so a
    reader never sees half a message and a crash leaves either the old file or the new one.
    Files are readable by the service's user only (mode 0600): they hold subscribers' addresses.
    """

    folder: Path
    keeps_copy: ClassVar[bool] = True  # the .eml is the message's one lasting copy

    def batch(self) -> AbstractContextManager[FilesTransport]:
        """Nothing to open or close: each message is a file of its own."""
        return nullcontext(self)

    def send(self, message: EmailMessage) -> None:
        message_id = message.get("Message-ID")
        if not message_id:
            raise DeliveryError(
                "the message has no Message-ID, so the files outbox cannot name it; "
                "build it with digests.render.build_message",
                permanent=True,
            )
        try:
            data = message.as_bytes(policy=policy.SMTP)
        except (ValueError, LookupError) as error:
            raise self._error(error) from error
        self.send_raw(data, message_id=str(message_id), sender="", recipients=())

    def send_raw(
        self, data: bytes, *, message_id: str, sender: str, recipients: Sequence[str]
    ) -> None:
        """Write ``data`` as it is; the envelope is in its headers, so it is not needed."""
        folder = Path(self.folder)
        target = folder / eml_filename(message_id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".eml")
        except OSError as error:
            raise self._error(error) from error
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise self._error(error) from error
        _fsync_dir(folder)
        log.info("wrote %s", target)

    def _error(self, error: Exception) -> DeliveryError:
        return DeliveryError(
            f"cannot write the digest to the outbox folder {self.folder}: {error}; check that "
            "the folder exists, is writable and the disk is not full"
        )


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; not every platform can open a directory, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
