"""Performance of mildwatch, each measure side by side with its anchor in the same run.

    uv run python benchmarks/perf.py [--quick] [--records 1000 10000 50000]
                                     [--digest-records 2000 10000] [--subscribers 1000]
                                     [--profile] [--write] [--workdir DIR]

Run by hand (timings are never asserted in tests). The machine is shared, so absolute times
drift; every row therefore has an anchor measured in the same run, and the ratio is what
counts. Synthetic records only (``watcher.localpubmed.synthetic``: every title says it is
made up), served by the project's local E-utilities server in a child process on 127.0.0.1.

For each corpus size (``--records``, and ``--digest-records`` for the digests):

- ingest: ``mildwatch poll``'s library path backfills the default search over HTTP (fetch,
  parse, classify, store, regroup): our CPU time against bare ``Bio.Entrez.read(escape=True)``
  over the very bytes the poll received; then parsing + classifying alone, and classifying
  alone, against the same anchor;
- memory: peak RSS of ``mildwatch import FILE`` and ``mildwatch classify FILE`` (separate
  processes, one file with every record), against the smallest size's;
- digests (``--digest-records`` only): ``--subscribers`` weekly subscribers' baselines, then
  their updates a week and 60 new records later, composed, rendered and queued, and delivered
  to .eml files; disk per delivered message and per subscriber-year;
- SMTP (the smallest digest size): the queued weekly updates sent by ``mildwatch digest send``'s
  delivery step against one reused ``smtplib`` connection with the same bytes (stock, and
  with TCP_NODELAY as ours; judged against the faster), to aiosmtpd, plain and with
  STARTTLS + login;
- start-up of commands that draw no chart against ``python -c pass``.

``--quick``: 1,000 records only (ingest, memory, and digests over them), for trying changes.
``--ingest-only``: the ingest rows alone (no memory, digests, SMTP or start-up), for work on
parsing and storing; it cannot be combined with ``--write``.
``--write`` replaces the "Performance" section of docs/benchmarks.md, keeping every other.
A full run takes about 15–20 minutes on 2 CPUs.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import perf_digests, perf_ingest, perf_smtp, perf_startup  # noqa: E402
from benchmarks.perf_common import ServerProcess, git_commit, kb, machine  # noqa: E402
from benchmarks.perf_table import (  # noqa: E402
    detail_lines,
    digest_rows,
    disk_rows,
    ingest_rows,
    memory_rows,
    report,
    smtp_rows,
    startup_rows,
    table_lines,
)
from watcher.localpubmed.synthetic import write_corpus  # noqa: E402

BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"

# --- measuring ------------------------------------------------------------------------------


def measure_size(n: int, args: argparse.Namespace, work: Path, say: Any) -> dict[str, Any]:
    """Every measure at one corpus size; the server runs only while it is needed."""
    result: dict[str, Any] = {"n": n}
    corpus = work / f"corpus-{n}"
    started = time.perf_counter()
    write_corpus(corpus, n)
    say(f"\n== {n:,} synthetic records ({time.perf_counter() - started:.0f} s to write)")
    with ServerProcess(corpus) as server:
        say(
            f"local E-utilities server: {server.records:,} records indexed in "
            f"{server.index_seconds:.1f} s (its own process)"
        )
        ingest, config = perf_ingest.backfill(work / f"site-{n}", server, n)
        result["ingest"], result["config"] = ingest, config
        result["anchor"] = perf_ingest.best_cpu(
            lambda: perf_ingest.entrez_read(ingest.documents), 1
        )
        say(
            f"ingest: {ingest.fetched:,} stored, CPU {ingest.cpu:.1f} s (wall {ingest.wall:.1f} s;"
            f" esearch {ingest.esearch}, efetch {ingest.efetch}); Entrez.read alone "
            f"{result['anchor']:.1f} s"
        )
        result["alone"] = perf_ingest.alone(ingest.documents, repeat=3 if n <= 2000 else 1)
        a = result["alone"]
        say(
            f"parse + classify {a.parse_classify:.1f} s, classify {a.classify:.1f} s, "
            f"Entrez.read {a.anchor:.1f} s (CPU, best of {3 if n <= 2000 else 1})"
        )
        if args.profile and n == min(args.records):
            profile = perf_ingest.load_profile(None)
            result["profile"] = profile_top(
                lambda: perf_ingest.parse_and_classify(ingest.documents, profile)
            )
        if n in args.records and not args.ingest_only:
            result["memory"] = perf_ingest.peak_memory(
                corpus, n, work / f"memory-{n}", server.base_url, int(args.memory_cap_gb * 10**9)
            )
            for m in result["memory"]:
                say(
                    f"{m.command}: peak RSS {m.peak_rss / 1e6:,.0f} MB in {m.seconds:.1f} s"
                    + (f" — FAILED: {m.failed}" if m.failed else "")
                )
        if n in args.digest_records:
            digests = perf_digests.measure(config, server, args.subscribers, n)
            result["digests"] = digests
            for r in (digests.baseline, digests.update):
                say(
                    f"{r.kind}: {r.queued} queued in {r.compose_seconds:.1f} s "
                    f"({r.per_digest_ms:.0f} ms each), {r.sent} delivered to files in "
                    f"{r.deliver_seconds:.1f} s; {kb(r.disk_per_message)} on disk each"
                )
        if not args.workdir and "digests" in result:
            free_disk(config, database=n != min(args.records + args.digest_records))
    return result


def free_disk(config: Any, *, database: bool) -> None:
    """Drop a measured site's outbox and (``database``) its database: at 10,000 records and
    1,000 subscribers they take gigabytes. The start-up rows use the smallest site's
    database, the SMTP rows a copy made before."""
    shutil.rmtree(config.mail.outbox_dir, ignore_errors=True)
    for path in config.database.parent.glob(config.database.name + "*") if database else ():
        path.unlink()


def profile_top(run: Any, limit: int = 12) -> list[str]:
    """cProfile of ``run``: the functions with the most own time, as table lines."""
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = sum(own for _, _, own, _, _ in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    lines = ["| function | own time | cumulative | calls |", "| --- | --- | --- | --- |"]
    for (file, line, name), (_, calls, own, cumulative, _) in rows[:limit]:
        where = _short_path(file)
        label = f"{where}:{line}({name})" if line else name
        lines.append(
            f"| `{label}` | {own:.2f} s ({100 * own / total:.0f}%) | "
            f"{cumulative:.2f} s | {calls:,} |"
        )
    return lines


def _short_path(file: str) -> str:
    path = Path(file)
    if "site-packages" in path.parts:
        return str(Path(*path.parts[path.parts.index("site-packages") + 1 :]))
    with contextlib.suppress(ValueError):
        return str(path.relative_to(REPO))
    return path.name


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the section with the same heading, as benchmarks/accuracy.py does."""
    from benchmarks.accuracy import write_section as write

    write(path, section)


# --- running --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1,000 records only (ingest, memory and digests)"
    )
    parser.add_argument(
        "--records",
        type=int,
        nargs="+",
        default=[1000, 10000, 50000],
        metavar="N",
        help="ingest and memory sizes (default: 1000 10000 50000)",
    )
    parser.add_argument(
        "--digest-records",
        type=int,
        nargs="+",
        default=[2000, 10000],
        metavar="N",
        help="corpus sizes for the digests (default: 2000 10000)",
    )
    parser.add_argument(
        "--subscribers",
        type=int,
        default=1000,
        metavar="S",
        help="subscribers for the digests and SMTP (default: 1000)",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=10,
        metavar="R",
        help="runs per start-up command (default: 10)",
    )
    parser.add_argument(
        "--memory-cap-gb",
        type=float,
        default=10.0,
        metavar="GB",
        help="address-space cap for import/classify (default: 10)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="add a cProfile of parse + classify at the smallest size",
    )
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="only the ingest rows at the --records sizes (no memory, digests, SMTP, start-up)",
    )
    parser.add_argument("--write", action="store_true", help=f"update {BENCHMARKS_MD}")
    parser.add_argument(
        "--workdir", type=Path, help="keep corpora, databases, outboxes in DIR/run-<time>"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.digest_records = [1000], [1000]
    if args.ingest_only:
        if args.write:
            parser.error("--ingest-only measures part of the table; it cannot --write it")
        args.digest_records = []
    sizes = [*args.records, *args.digest_records]
    if min(sizes) < 1 or args.subscribers < 1 or args.startup_runs < 1:
        parser.error(
            "--records, --digest-records, --subscribers and --startup-runs must be positive"
        )
    args.records, args.digest_records = sorted(set(args.records)), sorted(set(args.digest_records))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "uv run python benchmarks/perf.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    commit = git_commit()  # before the run: edits made while it runs are not measured
    print(f"{machine()}; commit {commit}")
    began = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if args.workdir:
            # a fresh folder per run: a backfill into an old site would find nothing new
            work = args.workdir.resolve() / time.strftime("run-%Y%m%d-%H%M%S")
            work.mkdir(parents=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mildwatch-perf-")))
        sizes = sorted({*args.records, *args.digest_records})
        results = [measure_size(n, args, work, print) for n in sizes]
        if args.ingest_only:
            print("\n" + "\n".join(table_lines(ingest_rows(results))))
            return 0
        with_digests = [r for r in results if "digests" in r]
        print("\n== SMTP")
        deliveries = perf_smtp.measure(
            with_digests[0]["digests"].queued_copy, work / "smtp", perf_digests.UPDATE_AT
        )
        for d in deliveries:
            print(
                f"{d.mode}: {d.messages} messages, ours {d.per_second:.0f} msg/s, "
                f"one reused connection {d.anchor_per_second:.0f} msg/s "
                f"({d.no_delay_per_second:.0f} msg/s with TCP_NODELAY)"
            )
        print("\n== start-up")
        startups = perf_startup.measure(
            results[0]["config"].database.parent / "mildwatch.toml", args.startup_runs
        )
        for s in startups:
            print(f"{s.label}: {s.seconds:.2f} s (python -c pass {s.anchor:.3f} s)")
    rows = [
        *ingest_rows(results),
        *memory_rows(results),
        *digest_rows(results),
        *smtp_rows(deliveries),
        *disk_rows(results),
        *startup_rows(startups),
    ]
    minutes = (time.perf_counter() - began) / 60
    section = report(rows, detail_lines(results), command.strip(), minutes, commit)
    print("\n" + section, end="")
    if args.write:
        write_section(BENCHMARKS_MD, section)
        print(f"\nwritten to {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
