"""Only the digest rows of ``benchmarks/perf.py``, for comparing two versions of the digests
side by side: a thousand subscribers' baselines, then their weekly updates, over synthetic
corpora of the sizes given (compose + render + queue; ``perf_digests.measure``), with the
mean message and the mean number of items listed. Prints one line per round; nothing is
written to ``docs/``.

    uv run python benchmarks/digest_rounds.py [--records 2000 10000] [--subscribers 1000]
                                              [--profile N]

``--profile N``: after the rounds at the smallest size, a cProfile of N baselines (for fresh
subscribers) by cumulative time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sqlite3
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import perf_digests, perf_ingest  # noqa: E402
from benchmarks.perf_common import BACKFILL_AT, ServerProcess, git_commit  # noqa: E402
from digests.compose import compose_due  # noqa: E402
from watcher.localpubmed.synthetic import write_corpus  # noqa: E402
from watcher.store import Store  # noqa: E402


def items(database: Path, kind: str) -> tuple[float, int]:
    """The mean and the largest number of items the digests of ``kind`` listed."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        mean, most = db.execute(
            "SELECT AVG(items), MAX(items) FROM digests WHERE kind = ?", (kind,)
        ).fetchone()
    return float(mean or 0), int(most or 0)


def profile_baselines(config: object, count: int) -> None:
    """cProfile of ``count`` more baselines (fresh subscribers), top 25 by cumulative time."""
    with Store.open(config.database) as store:  # type: ignore[attr-defined]
        for i in range(count):
            store.add_subscriber(
                f"profiled{i:04d}@example.org", now=BACKFILL_AT.isoformat(), frequency="weekly"
            )
        profiler = cProfile.Profile()
        profiler.enable()
        compose_due(
            store,
            now=perf_digests.UPDATE_AT,
            mail=config.mail,  # type: ignore[attr-defined]
            schedule=config.schedule,  # type: ignore[attr-defined]
        )
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    print(f"commit {git_commit()}, {args.subscribers} subscribers")
    with tempfile.TemporaryDirectory(prefix="digest-rounds-") as folder:
        work = Path(folder)
        for n in args.records:
            corpus = work / f"corpus-{n}"
            write_corpus(corpus, n)
            with ServerProcess(corpus) as server:
                _, config = perf_ingest.backfill(work / f"site-{n}", server, n)
                found = perf_digests.measure(config, server, args.subscribers, n)
            for r in (found.baseline, found.update):
                mean, most = items(config.database, r.kind)  # type: ignore[attr-defined]
                print(
                    f"{n:>6} records  {r.kind:<8} {r.queued} queued in {r.compose_seconds:6.1f} s"
                    f"  {r.per_digest_ms:6.1f} ms each  message {r.mean_message / 1000:8.1f} kB"
                    f"  items {mean:6.1f} (at most {most})",
                    flush=True,
                )
            if args.profile and n == min(args.records):
                profile_baselines(config, args.profile)
            for path in config.mail.outbox_dir.glob("*.eml"):  # type: ignore[attr-defined]
                path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
