"""The fault matrix's fixtures: a mildwatch site as an admin sets it up (config file, database,
saved searches, the local E-utilities server over the synthetic sample, a files outbox and
an admin address), the real CLI to drive it, and a small real filesystem (tmpfs) that can be
filled up or made read-only."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from watcher.cli import cli
from watcher.localpubmed import SAMPLE_DIR, LocalPubMed

ADMIN = "admin@example.org"

CONFIG = """\
[database]
path = "mildwatch.db"

[entrez]
email = "librarian@example.org"
base_url = "{base_url}"
max_tries = 2
backoff_seconds = 0.01
timeout = 5

[mail]
transport = "{transport}"
outbox_dir = "{outbox}"
sender = "mildwatch <mildwatch@example.org>"
admin_email = "{admin}"
{extra}
"""


@dataclass
class Site:
    """One installation: ``folder`` holds the config and the database."""

    folder: Path
    pubmed: LocalPubMed
    outbox: Path

    @property
    def config(self) -> Path:
        return self.folder / "mildwatch.toml"

    @property
    def database(self) -> Path:
        return self.folder / "mildwatch.db"

    def write_config(self, *, transport: str = "files", extra: str = "") -> None:
        self.config.write_text(
            CONFIG.format(
                base_url=self.pubmed.base_url,
                transport=transport,
                outbox=self.outbox,
                admin=ADMIN,
                extra=extra,
            ),
            encoding="utf-8",
        )

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """The real command line, in-process; an escaping exception is a failed test."""
        result = CliRunner().invoke(cli, ["--config", str(self.config), *args], env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"traceback instead of one line: {result.exception!r}")
        return result

    def spawn(self, *args: str, **kwargs) -> subprocess.Popen:
        """The real command line in its own process (for locks held across processes)."""
        return subprocess.Popen(
            [sys.executable, "-m", "watcher", "--config", str(self.config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def messages(self) -> list[bytes]:
        return [p.read_bytes() for p in sorted(self.outbox.glob("*.eml"))]

    def alerts(self) -> list[bytes]:
        return [m for m in self.messages() if f"To: {ADMIN}".encode() in m]


def one_line_error(result: Result, *expected: str) -> str:
    """The command failed with exactly one line on stderr (no traceback) naming ``expected``."""
    assert result.exit_code not in (0, None), result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for word in expected:
        assert word in errors[0], errors[0]
    return errors[0]


def make_site(folder: Path, pubmed: LocalPubMed, **config: str) -> Site:
    folder.mkdir(parents=True, exist_ok=True)
    site = Site(folder, pubmed, folder / "outbox")
    site.write_config(**config)
    result = site.cli("init")
    assert result.exit_code == 0, result.output
    return site


@pytest.fixture
def pubmed() -> Iterator[LocalPubMed]:
    with LocalPubMed(SAMPLE_DIR) as server:
        yield server


@pytest.fixture
def site(tmp_path: Path, pubmed: LocalPubMed) -> Site:
    return make_site(tmp_path / "site", pubmed)


@dataclass
class SmallDisk:
    """A real, tiny filesystem (tmpfs) that can be filled or remounted read-only."""

    path: Path

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)

    def fill(self, leave: int = 0) -> Path:
        """Fill the disk with a file, leaving about ``leave`` bytes free."""
        filler = self.path / "filler"
        free = shutil.disk_usage(self.path).free - leave
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            handle.write(b"\0" * max(free, 0))
        return filler


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 24 MB tmpfs; skipped where the machine does not let us mount one (not root)."""
    mountpoint = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(mountpoint)
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
