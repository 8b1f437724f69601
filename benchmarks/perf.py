"""Performance of mildwatch on synthetic data: polling, parsing, tagging, digests, disk.

    uv run python benchmarks/perf.py [--records 2000 10000] [--subscribers 200]
                                     [--with-key] [--profile] [--write]

Run by hand (timings are never asserted in tests). For each corpus size N it writes N
synthetic records (``watcher.localpubmed.synthetic``; every one says it is made up), serves
them with the project's local E-utilities server (``watcher.localpubmed``, in a separate
process so that its work does not share our interpreter), and in a fresh folder:

1. backfills the default saved search through Biopython's Entrez client over HTTP, with the
   configured batch size and *no API key* (3 requests/s): wall time, the requests the server
   logged (esearch and efetch; efetch must be ⌈found/batch⌉), records/s for
   fetch+parse+store+classify, where that time went, and the most requests the server saw in
   any 1 s; ``--with-key`` repeats the backfill with a (dummy) API key, i.e. 10 requests/s;
2. polls again with nothing new (no efetch expected), then adds a few records and polls once
   more (an ordinary daily poll);
3. times parsing and classifying alone, and ``reclassify --all``;
4. adds S subscribers, composes, renders and delivers (files transport) their first digests
   (baselines) and, after the incremental poll, their update digests: time per digest,
   message and chart sizes;
5. reports the database size on disk.

``--profile`` adds cProfile summaries (the backfill of the smallest N, and 20 baseline
digests); ``--write`` replaces the "Performance" section of docs/benchmarks.md (appending it
if missing) and keeps every other section, as ``benchmarks/accuracy.py`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import email
import io
import math
import multiprocessing
import os
import platform
import pstats
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import Bio  # noqa: E402

import watcher.pubmed.parse  # noqa: E402
from digests.compose import compose_due  # noqa: E402
from digests.outbox import deliver, make_transport  # noqa: E402
from watcher import searches  # noqa: E402
from watcher.config import Config, load_config, starter_config  # noqa: E402
from watcher.evidence import (  # noqa: E402  # noqa: E402
    CLASSIFIER_VERSION,
    Profile,
    classify,
    default_profile_path,
    load_profile,
)
from watcher.localpubmed import LoggedRequest  # noqa: E402
from watcher.localpubmed.synthetic import generate_records, write_corpus  # noqa: E402
from watcher.localpubmed.synthetic_xml import document, render_article  # noqa: E402
from watcher.poll import PollReport, poll  # noqa: E402
from watcher.pubmed import EntrezClient  # noqa: E402
from watcher.store import Store  # noqa: E402
from watcher.tagging import reclassify, tagger  # noqa: E402

BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"
SECTION_TITLE = "## Performance"
EMAIL = "benchmark@example.org"
DUMMY_KEY = "benchmark-dummy-key"  # the local server ignores it; it only lifts our rate limit
# The synthetic corpus runs from 2015-01-01 to 2026-10-31; the polls come after it.
BACKFILL_AT = datetime(2026, 11, 15, 6, 0, tzinfo=UTC)
NOTHING_NEW_AT = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
BASELINE_AT = datetime(2026, 11, 16, 7, 30, tzinfo=UTC)
INCREMENT = 60  # records PubMed "adds" before the incremental poll
INCREMENT_SPAN = (date(2026, 11, 17), date(2026, 11, 22))
INCREMENTAL_AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
UPDATE_AT = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
PROFILED_DIGESTS = 20
RATE_CHECK_REQUESTS = 25


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
    """``with ServerProcess(corpus) as server:`` LocalPubMed over ``corpus`` in a child."""

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


def max_per_window(times: Sequence[float], width: float = 1.0) -> int:
    """The most requests that arrived within any ``width`` seconds."""
    best, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


@dataclasses.dataclass
class Traffic:
    """What the server saw during one step."""

    esearch: int
    efetch: int
    other: int
    efetch_ids: list[int]
    max_per_second: int
    mean_per_second: float
    methods: Counter[str]

    @classmethod
    def of(cls, log: Sequence[LoggedRequest]) -> Traffic:
        times = sorted(r.at for r in log)
        kinds = Counter(r.endpoint for r in log)
        ids = [len([i for i in r.params.get("id", "").split(",") if i.strip()])
               for r in log if r.endpoint == "efetch"]  # fmt: skip
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return cls(
            esearch=kinds["esearch"],
            efetch=kinds["efetch"],
            other=sum(kinds.values()) - kinds["esearch"] - kinds["efetch"],
            efetch_ids=ids,
            max_per_second=max_per_window(times),
            mean_per_second=(len(times) - 1) / span if span else 0.0,
            methods=Counter(f"{r.endpoint} {r.method}" for r in log),
        )


# --- timing ----------------------------------------------------------------------------------


class Stopwatch:
    """Accumulates the time spent inside wrapped callables, by name."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed


@contextlib.contextmanager
def timed_parser(watch: Stopwatch) -> Iterator[None]:
    """Time ``watcher.pubmed.parse.parse_pubmed_xml`` as the Entrez client calls it."""
    original = watcher.pubmed.parse.parse_pubmed_xml
    watcher.pubmed.parse.parse_pubmed_xml = watch.wrap("parse", original)
    try:
        yield
    finally:
        watcher.pubmed.parse.parse_pubmed_xml = original


@dataclasses.dataclass
class PollRun:
    seconds: float
    report: PollReport
    traffic: Traffic
    parts: dict[str, float]
    batch_size: int

    @property
    def fetched(self) -> int:
        return self.report.fetched

    @property
    def expected_efetch(self) -> int:
        return math.ceil(self.fetched / self.batch_size)


def run_poll(
    config: Config, server: ServerProcess, profile: Profile, now: datetime, *, api_key: bool
) -> PollRun:
    """One poll as ``mildwatch poll`` does it, with the time split by stage."""
    settings = config.entrez
    if api_key:
        settings = dataclasses.replace(settings, api_key=DUMMY_KEY)
    watch = Stopwatch()
    client = EntrezClient(settings, sleep=watch.wrap("rate limit", time.sleep))
    client.fetch = watch.wrap("efetch", client.fetch)  # type: ignore[method-assign]
    client.esearch = watch.wrap("esearch", client.esearch)  # type: ignore[method-assign]
    server.clear()
    with Store.open(config.database) as store, timed_parser(watch):
        store.save_articles = watch.wrap("store articles", store.save_articles)
        started = time.perf_counter()
        report = poll(
            store,
            client,
            now=now,
            overlap_days=config.poll.overlap_days,
            backfill_from=config.poll.backfill_from,
            on_stored=watch.wrap("classify + store evidence", tagger(profile)),
        )
        seconds = time.perf_counter() - started
    s = watch.seconds
    if report.fetched and not s["parse"]:
        print("warning: watcher.pubmed.parse.parse_pubmed_xml was not called through the module; "
              "parsing is counted as HTTP")  # fmt: skip
    # efetch and esearch include the rate limit's waits and parsing; split them out.
    requests = s["efetch"] + s["esearch"]
    parts = {
        "waiting for the rate limit": s["rate limit"],
        "HTTP + server (esearch, efetch)": requests - s["rate limit"] - s["parse"],
        "parsing PubMed XML": s["parse"],
        "storing articles": s["store articles"],
        "classifying + storing evidence": s["classify + store evidence"],
    }
    parts["other (transactions, bookkeeping)"] = seconds - sum(parts.values())
    return PollRun(seconds, report, Traffic.of(server.log()), parts, settings.batch_size)


def rate_check(config: Config, server: ServerProcess, requests: int) -> dict[str, Traffic]:
    """Back-to-back cheap requests (esearch, retmax=0), as fast as our rate limit lets them
    go: what the server sees without and with an API key."""
    seen = {}
    for label, key in (("no key", None), ("API key", DUMMY_KEY)):
        client = EntrezClient(dataclasses.replace(config.entrez, api_key=key))
        server.clear()
        for _ in range(requests):
            client.esearch("stenosis[tiab]", retmax=0, usehistory=False)
        seen[label] = Traffic.of(server.log())
    return seen


# --- the other measurements ------------------------------------------------------------------


def parse_and_classify(corpus: Path, profile: Profile, batch: int) -> dict[str, float]:
    """Parsing (efetch-sized documents) and classifying alone, records/s."""
    chunks: list[str] = []
    for path in sorted(corpus.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        start = text.index("<PubmedArticle>")
        end = text.rindex("</PubmedArticle>") + len("</PubmedArticle>")
        chunks += ["<PubmedArticle>" + a for a in text[start:end].split("<PubmedArticle>") if a]
    documents = [document(chunks[i : i + batch]).encode() for i in range(0, len(chunks), batch)]
    started = time.perf_counter()
    articles = [a for doc in documents for a in watcher.pubmed.parse.parse_pubmed_xml(doc)]
    parse_seconds = time.perf_counter() - started
    started = time.perf_counter()
    relevant = sum(classify(a, profile).relevance == "relevant" for a in articles)
    classify_seconds = time.perf_counter() - started
    return {
        "records": len(articles),
        "relevant": relevant,
        "parse": len(articles) / parse_seconds,
        "classify": len(articles) / classify_seconds,
        "document bytes": statistics.mean(len(d) for d in documents),
    }


def add_subscribers(config: Config, count: int, *, first: int = 0) -> float:
    """Weekly subscribers; every 4th wants plain text, every 5th follows two questions."""
    started = time.perf_counter()
    with Store.open(config.database) as store:
        for i in range(first, first + count):
            store.add_subscriber(
                f"surgeon{i:04d}@example.org",
                now=BACKFILL_AT.isoformat(),
                name=f"Dr. Synthetic {i:04d}",
                frequency="weekly",
                format="text" if i % 4 == 3 else "html",
                questions=["safety", "reoperation"] if i % 5 == 4 else [],
            )
    return time.perf_counter() - started


@dataclasses.dataclass
class DigestRun:
    queued: int
    compose_seconds: float
    deliver_seconds: float
    sent: int
    html_sizes: list[int]
    text_sizes: list[int]
    chart_sizes: list[int]

    @property
    def sizes(self) -> list[int]:
        return self.html_sizes + self.text_sizes


def compose_and_deliver(config: Config, now: datetime) -> DigestRun:
    """``mildwatch digest send --all``: compose for every subscriber, then deliver."""
    outbox = config.mail.outbox_dir
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    with Store.open(config.database) as store:
        started = time.perf_counter()
        queued = compose_due(
            store, now=now, mail=config.mail, schedule=config.schedule, everyone=True
        )
        composed = time.perf_counter()
        report = deliver(store, make_transport(config.mail), now=now, mail=config.mail)
        delivered = time.perf_counter()
    html_sizes, text_sizes, charts = [], [], []
    for path in sorted(set(outbox.glob("*.eml")) - before):
        data = path.read_bytes()
        message = email.message_from_bytes(data, policy=policy.default)
        (html_sizes if message.is_multipart() else text_sizes).append(len(data))
        charts += [
            len(p.get_content()) for p in message.walk() if p.get_content_type() == "image/png"
        ]
    return DigestRun(
        queued=len(queued),
        compose_seconds=composed - started,
        deliver_seconds=delivered - composed,
        sent=len(report.sent),
        html_sizes=html_sizes,
        text_sizes=text_sizes,
        chart_sizes=charts,
    )


def database_size(path: Path) -> dict[str, Any]:
    """Bytes on disk (after a WAL checkpoint) and the largest tables with their indexes."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables: list[tuple[str, int]] = []
        with contextlib.suppress(sqlite3.OperationalError):  # dbstat is optional in SQLite
            rows = db.execute(
                "SELECT COALESCE(m.tbl_name, s.name), SUM(s.pgsize) FROM dbstat s "
                "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
            tables = [(str(name), int(size)) for name, size in rows]
        articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return {
        "bytes": sum(f.stat().st_size for f in files if f.exists()),
        "articles": articles,
        "tables": tables,
    }


@dataclasses.dataclass
class Profiled:
    seconds: float
    own: list[tuple[str, float, float, int]]  # (function, own s, cumulative s, calls)
    ours: list[tuple[str, float, float, int]]  # watcher/ and digests/ only, by cumulative


def profile_top(run: Callable[[], Any], limit: int = 12) -> Profiled:
    """Run under cProfile: the functions with the most own time, and ours by cumulative."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(run)
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows, ours = [], []
    for (file, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = _short_path(file)
        row = (f"{where}:{line}({name})" if line else name, own, cumulative, calls)
        rows.append(row)
        if where.startswith(("watcher/", "digests/")) and "<" not in name:
            ours.append(row)
    rows.sort(key=lambda row: row[1], reverse=True)
    ours.sort(key=lambda row: row[2], reverse=True)
    return Profiled(seconds, rows[:limit], ours[:limit])


def _short_path(file: str) -> str:
    path = Path(file)
    if "site-packages" in path.parts:  # a library: Bio/Entrez/Parser.py
        return str(Path(*path.parts[path.parts.index("site-packages") + 1 :]))
    for root in (REPO, *(Path(p) for p in sys.path if p)):
        with contextlib.suppress(ValueError):
            return str(path.relative_to(root))
    return path.name


# --- one corpus size, end to end ------------------------------------------------------------


def new_site(folder: Path, base_url: str) -> Config:
    """A config and database as ``mildwatch init`` makes them, pointed at the local server."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mildwatch.toml").write_text(
        starter_config(email=EMAIL, base_url=base_url), encoding="utf-8"
    )
    config = load_config(folder / "mildwatch.toml", env={})
    with Store.open(config.database) as store:
        searches.seed_searches(
            store, searches.profile_searches(default_profile_path()), author="benchmark"
        )
    return config


def measure(n: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    say = print
    result: dict[str, Any] = {"n": n}
    corpus = work / f"corpus-{n}"
    started = time.perf_counter()
    write_corpus(corpus, n)
    say(f"\n== {n:,} synthetic records ({time.perf_counter() - started:.1f} s to generate)")
    profile = load_profile(None)
    with ServerProcess(corpus) as server:
        say(f"local E-utilities server: {server.records:,} records, "
            f"indexed in {server.index_seconds:.1f} s")  # fmt: skip
        result["index_seconds"] = server.index_seconds
        config = new_site(work / f"site-{n}", server.base_url)

        backfill = run_poll(config, server, profile, BACKFILL_AT, api_key=False)
        result["backfill"] = backfill
        say(f"backfill: {backfill.fetched:,} records in {backfill.seconds:.1f} s "
            f"({backfill.fetched / backfill.seconds:.0f}/s); esearch {backfill.traffic.esearch}, "
            f"efetch {backfill.traffic.efetch} (expected {backfill.expected_efetch}); "
            f"max {backfill.traffic.max_per_second} requests in 1 s; "
            f"status {backfill.report.status}")  # fmt: skip
        for part, seconds in backfill.parts.items():
            say(f"    {part:<36} {seconds:7.2f} s")
        result["db_after_poll"] = database_size(config.database)

        again = run_poll(config, server, profile, NOTHING_NEW_AT, api_key=False)
        result["nothing_new"] = again
        say(f"second poll, nothing new: {again.seconds:.2f} s, esearch {again.traffic.esearch}, "
            f"efetch {again.traffic.efetch}, fetched {again.fetched}")  # fmt: skip

        if n == min(args.records):
            result["rate"] = rate_check(config, server, RATE_CHECK_REQUESTS)
            for label, seen in result["rate"].items():
                say(f"{RATE_CHECK_REQUESTS} back-to-back esearch, {label}: at most "
                    f"{seen.max_per_second} in any 1 s, {seen.mean_per_second:.2f}/s")  # fmt: skip

        result["alone"] = parse_and_classify(corpus, profile, config.entrez.batch_size)
        say(f"parse only {result['alone']['parse']:.0f} records/s; "
            f"classify only {result['alone']['classify']:.0f} records/s")  # fmt: skip

        with Store.open(config.database) as store:
            started = time.perf_counter()
            tagged = reclassify(store, profile, everything=True)
            result["reclassify"] = (tagged.classified, time.perf_counter() - started)
        say(f"reclassify --all: {tagged.classified:,} in {result['reclassify'][1]:.1f} s")

        result["subscribe_seconds"] = add_subscribers(config, args.subscribers)
        result["baseline"] = compose_and_deliver(config, BASELINE_AT)
        say(f"baseline digests: {_digest_line(result['baseline'])}")

        more = generate_records(INCREMENT, seed=n, first_pmid=99100001 + n,
                                start=INCREMENT_SPAN[0], end=INCREMENT_SPAN[1])  # fmt: skip
        server.add(document([render_article(r) for r in more]))
        incremental = run_poll(config, server, profile, INCREMENTAL_AT, api_key=False)
        result["incremental"] = incremental
        say(
            f"incremental poll: {incremental.fetched} new in {incremental.seconds:.2f} s, "
            f"esearch {incremental.traffic.esearch}, efetch {incremental.traffic.efetch}"
        )
        result["update"] = compose_and_deliver(config, UPDATE_AT)
        say(f"update digests: {_digest_line(result['update'])}")
        result["db_final"] = database_size(config.database)
        say(
            f"database: {result['db_after_poll']['bytes'] / 1e6:.1f} MB after the backfill, "
            f"{result['db_final']['bytes'] / 1e6:.1f} MB after the digests"
        )

        if args.with_key:
            keyed = new_site(work / f"site-{n}-key", server.base_url)
            result["with_key"] = run_poll(keyed, server, profile, BACKFILL_AT, api_key=True)
            say(f"backfill with an API key: {result['with_key'].seconds:.1f} s, "
                f"max {result['with_key'].traffic.max_per_second} requests in 1 s")  # fmt: skip

        if args.profile and n == min(args.records):
            result["profiles"] = profiles(config, server, profile, work / f"site-{n}-profile")
    return result


def profiles(config: Config, server: ServerProcess, profile: Profile, folder: Path) -> dict:
    """cProfile summaries: a backfill into a fresh database, and a few baseline digests."""
    site = new_site(folder, server.base_url)
    backfill = profile_top(lambda: run_poll(site, server, profile, BACKFILL_AT, api_key=False))
    add_subscribers(config, PROFILED_DIGESTS, first=100_000)
    digests = profile_top(lambda: compose_and_deliver(config, UPDATE_AT))
    return {"backfill": backfill, "digests": digests}


def _digest_line(run: DigestRun) -> str:
    return (
        f"{run.queued} queued, {run.sent} sent; compose+render "
        f"{_per(run.compose_seconds, run.queued)} ms/digest, deliver "
        f"{_per(run.deliver_seconds, run.sent)} ms/digest; message mean {_kb(run.sizes)} kB; "
        f"chart {_kb(run.chart_sizes)} kB"
    )


# --- the report ------------------------------------------------------------------------------


def _per(seconds: float, count: int) -> str:
    return f"{1000 * seconds / count:.0f}" if count else "n/a"


def _kb(sizes: Sequence[int], how: Callable[[Sequence[int]], float] = statistics.mean) -> str:
    return f"{how(sizes) / 1024:.1f}" if sizes else "n/a"


def _n(value: float) -> str:
    return f"{value:,.0f}"


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Biopython {Bio.__version__}"
    )


def _requests(run: PollRun) -> str:
    return f"{run.traffic.esearch} / {run.traffic.efetch}; {_n(run.fetched)}"


def polling(r: dict[str, Any]) -> dict[str, str]:
    b, again, inc = r["backfill"], r["nothing_new"], r["incremental"]
    ids = b.traffic.efetch_ids
    verdict = "" if b.traffic.efetch == b.expected_efetch else " NOT MET"
    over = " OVER" if b.traffic.max_per_second > 3 else ""
    rows = {
        "backfill: records found by the default search": _n(b.fetched),
        "backfill: wall time": f"{b.seconds:.1f} s",
        "backfill: records/s (fetch + parse + store + classify)": _n(b.fetched / b.seconds),
        "backfill: requests esearch / efetch (expected efetch: ⌈found/200⌉)": (
            f"{b.traffic.esearch} / {b.traffic.efetch} ({b.expected_efetch}{verdict})"
        ),
        "backfill: ids per efetch, min–max": f"{min(ids, default=0)}–{max(ids, default=0)}",
        "backfill: most requests the server saw in any 1 s (limit 3)": (
            f"{b.traffic.max_per_second}{over}"
        ),
        "backfill: mean request rate": f"{b.traffic.mean_per_second:.2f}/s",
    }
    for part, seconds in b.parts.items():
        rows[f"… {part}"] = f"{seconds:.1f} s ({100 * seconds / b.seconds:.0f}%)"
    if key := r.get("with_key"):
        rows |= {
            "backfill with an API key: wall time": f"{key.seconds:.1f} s",
            "… with key: records/s": _n(key.fetched / key.seconds),
            "… with key: most requests in any 1 s (limit 10)": str(key.traffic.max_per_second),
            "… with key: waiting for the rate limit": (
                f"{key.parts['waiting for the rate limit']:.1f} s"
            ),
        }
    return rows | {
        "second poll, nothing new: wall time": f"{1000 * again.seconds:.0f} ms",
        "second poll: requests esearch / efetch; records fetched": _requests(again),
        f"incremental poll ({INCREMENT} records added): wall time": f"{inc.seconds:.2f} s",
        "incremental poll: requests esearch / efetch; records fetched": _requests(inc),
        "local server: indexing the corpus (not our time)": f"{r['index_seconds']:.1f} s",
    }


def tagging(r: dict[str, Any]) -> dict[str, str]:
    count, seconds = r["reclassify"]
    return {
        "parse only (PubMed XML → Article, 200-record documents), records/s": _n(
            r["alone"]["parse"]
        ),
        "classify only (Article → Evidence), records/s": _n(r["alone"]["classify"]),
        "`reclassify --all` (load + classify + store), records/s": _n(count / seconds),
        "`reclassify --all`: wall time": f"{seconds:.1f} s",
    }


def digests(r: dict[str, Any]) -> dict[str, str]:
    rows = {}
    for kind in ("baseline", "update"):
        run: DigestRun = r[kind]
        rows |= {
            f"{kind}: digests queued / sent": f"{run.queued} / {run.sent}",
            f"{kind}: compose + render, per digest": f"{_per(run.compose_seconds, run.queued)} ms",
            f"{kind}: compose + render, all": f"{run.compose_seconds:.1f} s",
            f"{kind}: deliver (write .eml), per digest": (
                f"{_per(run.deliver_seconds, run.sent)} ms"
            ),
            f"{kind}: HTML mail size, mean (max)": (
                f"{_kb(run.html_sizes)} kB ({_kb(run.html_sizes, max)} kB)"
            ),
            f"{kind}: plain-text mail size, mean": f"{_kb(run.text_sizes)} kB",
            f"{kind}: chart PNG, mean": f"{_kb(run.chart_sizes)} kB",
        }
    return rows


def disk(r: dict[str, Any]) -> dict[str, str]:
    after, final = r["db_after_poll"], r["db_final"]
    per_article = after["bytes"] / max(after["articles"], 1) / 1024
    return {
        "articles stored": _n(final["articles"]),
        "after the backfill (file + WAL)": f"{after['bytes'] / 1e6:.1f} MB "
        f"({per_article:.1f} kB/article)",
        "after both rounds of digests": f"{final['bytes'] / 1e6:.1f} MB",
    }


def table(
    results: list[dict[str, Any]], cells: Callable[[dict[str, Any]], dict[str, str]]
) -> list[str]:
    columns = [cells(r) for r in results]
    lines = [
        "| measure | " + " | ".join(f"N = {_n(r['n'])}" for r in results) + " |",
        "| --- " * (len(results) + 1) + "|",
    ]
    for name in columns[0]:
        lines.append(f"| {name} | " + " | ".join(c.get(name, "") for c in columns) + " |")
    return lines


def profile_lines(profiled: Profiled) -> list[str]:
    total = profiled.seconds

    def rows(found: list[tuple[str, float, float, int]]) -> list[str]:
        return [
            f"| `{name}` | {own:.2f} s ({100 * own / total:.0f}%) | "
            f"{cum:.2f} s ({100 * cum / total:.0f}%) | {calls:,} |"
            for name, own, cum, calls in found
        ]

    head = ["| function | own time | cumulative | calls |", "| --- | --- | --- | --- |"]
    return [
        f"cProfile, {total:.1f} s under the profiler (which slows Python code more than C "
        "code). The functions with the most own time:",
        "",
        *head,
        *rows(profiled.own),
        "",
        "mildwatch's own functions by cumulative time:",
        "",
        *head,
        *rows(profiled.ours),
    ]


def report(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    lines = [
        SECTION_TITLE,
        "",
        f"Measured with `{command}` on {date.today().isoformat()}: {machine()}. Synthetic "
        "records only (`watcher.localpubmed.synthetic`: about two thirds of them about MILD, and "
        "the default search also finds some near-misses); the project's local E-utilities server "
        "(`watcher.localpubmed`) runs in a separate process on 127.0.0.1, and Biopython's real "
        "Entrez client talks to it over HTTP with batch size "
        f"{results[0]['backfill'].batch_size} and **no API key** (at most 3 requests/s) unless "
        f"a row says otherwise. Classifier {CLASSIFIER_VERSION}. One run per number, no "
        "repeats: expect ±10%. *Generated by `benchmarks/perf.py --write`, which replaces only "
        "this section.*",
        "",
        "### Polling",
        "",
        *table(results, polling),
        "",
        "### Parsing, classifying, re-tagging",
        "",
        *table(results, tagging),
        "",
        f"### Digests for {args.subscribers} subscribers (files transport)",
        "",
        "Weekly subscribers; every 4th wants plain text, every 5th follows only safety and "
        "reoperation. *Baseline*: each subscriber's first digest, right after the backfill "
        f"(the landscape and up to 10 studies). *Update*: a week later, after {INCREMENT} new "
        "records (up to 25 items each).",
        "",
        *table(results, digests),
        "",
        "### Database on disk",
        "",
        *table(results, disk),
    ]
    largest = results[-1]["db_final"]["tables"]
    if largest:
        total = sum(size for _, size in largest)
        shares = "; ".join(
            f"{name} {size / 1e6:.1f} MB ({100 * size / total:.0f}%)" for name, size in largest[:6]
        )
        lines += ["", f"Largest tables with their indexes at N = {_n(results[-1]['n'])}, "
                  f"after the digests: {shares}."]  # fmt: skip
    rated = next((r["rate"] for r in results if "rate" in r), None)
    if rated:
        lines += [
            "",
            "### Rate limit as the server sees it",
            "",
            f"{RATE_CHECK_REQUESTS} cheap esearch requests (retmax=0) sent back to back through "
            "`EntrezClient`, so that only the rate limit spaces them (a backfill is slower than "
            "the limit, see above).",
            "",
            "| client | most requests in any 1 s | mean rate | NCBI's limit |",
            "| --- | --- | --- | --- |",
            *(
                f"| {label} | {seen.max_per_second} | {seen.mean_per_second:.2f}/s | "
                f"{10 if label == 'API key' else 3}/s |"
                for label, seen in rated.items()
            ),
        ]
    profiled = next((r for r in results if "profiles" in r), None)
    if profiled:
        for key, title in (
            ("backfill", f"the backfill of N = {_n(profiled['n'])} (client side)"),
            ("digests", f"composing and delivering {PROFILED_DIGESTS} more baseline digests"),
        ):
            lines += ["", f"### Profile: {title}", "", *profile_lines(profiled["profiles"][key])]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the section with the same heading, as benchmarks/accuracy.py does."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from accuracy import write_section as write

    write(path, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records",
        type=int,
        nargs="+",
        default=[2000, 10000],
        metavar="N",
        help="corpus sizes (default: 2000 10000)",
    )
    parser.add_argument("--subscribers", type=int, default=200, metavar="S")
    parser.add_argument(
        "--with-key", action="store_true", help="also backfill with an API key (10 requests/s)"
    )
    parser.add_argument("--profile", action="store_true", help="add cProfile summaries")
    parser.add_argument("--write", action="store_true", help=f"update {BENCHMARKS_MD}")
    parser.add_argument(
        "--workdir", type=Path, help="keep the corpora, databases and outboxes here"
    )
    args = parser.parse_args(argv)
    if min(args.records) < 1 or args.subscribers < 1:
        parser.error("--records and --subscribers must be positive")
    args.records = sorted(set(args.records))
    command = "uv run python benchmarks/perf.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    print(machine())
    with contextlib.ExitStack() as stack:
        if args.workdir:
            work = args.workdir.resolve()
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mildwatch-perf-")))
        results = [measure(n, args, work) for n in args.records]
    section = report(results, args, command.strip())
    print("\n" + section, end="")
    if args.write:
        write_section(BENCHMARKS_MD, section)
        print(f"\nwritten to {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
