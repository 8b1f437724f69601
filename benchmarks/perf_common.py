"""What every part of ``benchmarks/perf.py`` shares: the table row, the local E-utilities
server in a child process, a fresh site, CPU and memory measurements, the machine's name.

Run by hand only; ``tests/`` imports nothing from ``benchmarks/``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from watcher import searches  # noqa: E402
from watcher.config import Config, load_config, starter_config  # noqa: E402
from watcher.evidence import (  # noqa: E402
    default_profile_path,
    extract,
    phrasefind,
    samplesize,
    textcues,
)
from watcher.localpubmed import LoggedRequest  # noqa: E402
from watcher.store import Store  # noqa: E402

EMAIL = "benchmark@example.org"
DUMMY_KEY = "benchmark-dummy-key"  # the local server ignores it; it only lifts our rate limit
# The synthetic corpus runs from 2015-01-01 to 2026-10-31; the polls come after it.
BACKFILL_AT = datetime(2026, 11, 15, 6, 0, tzinfo=UTC)
VENV_BIN = Path(sys.executable).parent
MEASURED = ("watcher", "digests", "pyproject.toml", "uv.lock")  # what a commit's numbers describe


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the table: what | ours | anchor | ratio | goal | met?

    ``met`` is None for a line without a goal of its own (a detail of another line)."""

    what: str
    ours: str
    anchor: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None

    def cells(self) -> list[str]:
        verdict = {True: "yes", False: "**no**", None: ""}[self.met]
        return [self.what, self.ours, self.anchor, self.ratio, self.goal, verdict]


def ratio_row(
    what: str, ours: float, anchor: float, *, goal: float, unit: str = "s", higher: bool = True
) -> Row:
    """A side-by-side row whose ratio is anchor/ours (``higher``: at least ``goal``)."""
    ratio = anchor / ours if ours else float("inf")
    met = ratio >= goal if higher else ratio <= goal
    return Row(
        what,
        f"{ours:.2f} {unit}",
        f"{anchor:.2f} {unit}",
        f"{ratio:.2f}",
        f"≥ {goal}" if higher else f"≤ {goal}",
        met,
    )


# --- the local E-utilities server, in its own process ---------------------------------------


def _serve(corpus: str, conn: Any) -> None:
    """Child process: serve ``corpus`` and answer commands (log, clear, add, stop)."""
    from watcher.localpubmed import LocalPubMed

    started = time.perf_counter()
    server = LocalPubMed(Path(corpus)).start()
    conn.send((server.base_url, len(server.index), time.perf_counter() - started))
    while True:
        command, argument = conn.recv()
        if command == "log":
            conn.send(server.requests())
        elif command == "clear":
            server.clear_log()
            conn.send(None)
        elif command == "add":
            conn.send(len(server.add_xml(argument)))
        else:
            server.stop()
            conn.send(None)
            return


class ServerProcess:
    """``with ServerProcess(corpus) as server:`` LocalPubMed over ``corpus`` in a child
    process, so that its work is not counted in our process's CPU time."""

    def __init__(self, corpus: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(str(corpus), child), daemon=True)
        self.base_url, self.records, self.index_seconds = "", 0, 0.0

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self.base_url, self.records, self.index_seconds = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, EOFError):
            self._ask("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def log(self) -> list[LoggedRequest]:
        return self._ask("log")

    def clear(self) -> None:
        self._ask("clear")

    def add(self, xml: str) -> int:
        return self._ask("add", xml)


def new_site(folder: Path, base_url: str) -> Config:
    """A config and database as ``mildwatch init`` makes them, pointed at the local server,
    with a (dummy) API key: the rate limit spaces requests in wall time, not CPU time, and a
    50,000-record backfill need not wait 3 requests/s."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mildwatch.toml"
    path.write_text(starter_config(email=EMAIL, base_url=base_url), encoding="utf-8")
    config = load_config(path, env={"NCBI_API_KEY": DUMMY_KEY})
    with Store.open(config.database) as store:
        searches.seed_searches(
            store, searches.profile_searches(default_profile_path()), author="benchmark"
        )
    return config


# --- measuring ------------------------------------------------------------------------------


def cpu_seconds(run: Callable[[], Any]) -> tuple[float, Any]:
    """CPU time of this process (user + system, all threads) spent in ``run()``."""
    started = time.process_time()
    result = run()
    return time.process_time() - started, result


def clear_text_caches() -> None:
    """Empty the classifier's per-text caches, as a fresh process starts: synthetic abstracts
    repeat sentences, so a warm second run would flatter the classifier."""
    for cached in (
        textcues.sentence_spans,
        textcues._mostly_upper,
        textcues._found,
        textcues._scanned,
        phrasefind.starts_in,
        phrasefind._in_order,
        samplesize.sentence_counts,
        extract.sentence_followups,
        extract.number_starts,
    ):
        cached.cache_clear()


def best_cpu(run: Callable[[], Any], repeat: int) -> float:
    """The least CPU time of ``repeat`` runs (the least disturbed by the machine's other
    users), each started with the classifier's caches empty."""
    best = float("inf")
    for _ in range(repeat):
        clear_text_caches()
        best = min(best, cpu_seconds(run)[0])
    return best


@dataclasses.dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stderr: str


# Run by a small interpreter of its own, which starts the measured command as its child: the
# kernel's peak RSS of a process counts the memory it had before exec, and a child forked
# straight from this (large) benchmark process would report this process's size instead of
# its own.
_LAUNCHER = """
import os, resource, sys
cap = int(sys.argv[1])
def limit():
    if cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import subprocess
child = subprocess.Popen(sys.argv[2:], preexec_fn=limit, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss, file=sys.stdout, flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(
    command: Sequence[str], *, cwd: Path | None = None, memory_cap_bytes: int | None = None
) -> ChildRun:
    """Run ``command``, its output discarded; its own peak RSS (see ``_LAUNCHER``).

    ``memory_cap_bytes`` limits its address space (RLIMIT_AS), so that a command whose memory
    grows with its input fails instead of exhausting a shared machine."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(memory_cap_bytes or 0), *command],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=errors,
            check=False,
        )
        seconds = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    lines = process.stdout.decode("utf-8", "replace").split()
    peak_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return ChildRun(seconds, peak_kb * 1024, process.returncode, stderr)


# --- describing the run ---------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import Bio

    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Biopython {Bio.__version__}"
    )


def git_commit() -> str:
    """The commit measured, with "+ uncommitted changes" when the code measured (not the
    benchmarks or the docs) differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *MEASURED],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def database_bytes(path: Path) -> int:
    """The database's size on disk after a WAL checkpoint (file + WAL + shared memory)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return sum(f.stat().st_size for f in files if f.exists())


def kb(size: float) -> str:
    return f"{size / 1024:,.1f} kB"


def mb(size: float) -> str:
    return f"{size / 1e6:,.0f} MB"
