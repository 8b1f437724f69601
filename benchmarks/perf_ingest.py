"""Ingest rows of ``benchmarks/perf.py``: a backfill end to end, parsing and classifying
alone, each against bare ``Bio.Entrez.read(escape=True)`` over the same XML bytes; the peak
memory of ``mildwatch import`` and ``mildwatch classify`` as separate processes.

CPU time is this process's (``time.process_time``): the local E-utilities server runs in a
child process, so its work is not ours, and the rate limit's waits are not CPU time.
"""

from __future__ import annotations

import dataclasses
import io
import time
import urllib.parse
import urllib.request
from pathlib import Path

from Bio import Entrez

from benchmarks.perf_common import (
    BACKFILL_AT,
    VENV_BIN,
    ServerProcess,
    best_cpu,
    cpu_seconds,
    new_site,
    run_child,
)
from watcher.cli import jobs
from watcher.evidence import Profile, classify, load_profile
from watcher.localpubmed import LoggedRequest
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed import parse_pubmed_xml


@dataclasses.dataclass
class Ingest:
    """One backfill of the default search through ``mildwatch poll``'s library path."""

    records: int  # records in the corpus
    fetched: int  # records the search found and stored
    cpu: float  # our CPU seconds, fetch + parse + classify + store + regroup
    wall: float
    esearch: int
    efetch: int
    documents: list[bytes]  # the efetch replies, byte for byte


def backfill(config_folder: Path, server: ServerProcess, records: int) -> tuple[Ingest, object]:
    """``mildwatch poll`` into a fresh site (its config is returned), then the same efetch
    requests again, to keep the very bytes the poll parsed for the anchor."""
    config = new_site(config_folder, server.base_url)
    server.clear()
    started = time.perf_counter()
    cpu, report = cpu_seconds(lambda: jobs.poll_job(config, now=BACKFILL_AT, lock_wait=0))
    wall = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the benchmark backfill failed: {report.problem}")
    log = server.log()
    fetches = [r for r in log if r.endpoint == "efetch"]
    documents = [replay(server.base_url, r) for r in fetches]
    ingest = Ingest(
        records=records,
        fetched=report.fetched,
        cpu=cpu,
        wall=wall,
        esearch=sum(r.endpoint == "esearch" for r in log),
        efetch=len(fetches),
        documents=documents,
    )
    return ingest, config


def replay(base_url: str, request: LoggedRequest) -> bytes:
    """The reply to a logged request, asked again (POSTed, as Bio.Entrez does for many ids)."""
    pairs = [(k, v) for k, v in request.params.items() if k.casefold() != "id"]
    pairs += [("id", value) for value in request.id_params]
    body = urllib.parse.urlencode(pairs).encode()
    url = f"{base_url}{request.endpoint}.fcgi"
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=300) as reply:
        return reply.read()


def entrez_read(documents: list[bytes]) -> int:
    """The anchor: Biopython's own parser, nothing else (escape=True, as we call it)."""
    count = 0
    for data in documents:
        count += len(Entrez.read(io.BytesIO(data), escape=True)["PubmedArticle"])
    return count


def parse_and_classify(documents: list[bytes], profile: Profile) -> int:
    relevant = 0
    for data in documents:
        for article in parse_pubmed_xml(data, source="benchmark"):
            relevant += classify(article, profile).relevance == "relevant"
    return relevant


@dataclasses.dataclass
class Alone:
    anchor: float  # Entrez.read over the documents, CPU s
    parse_classify: float
    classify: float


def alone(documents: list[bytes], repeat: int) -> Alone:
    """Parsing + classifying, and classifying alone, against Entrez.read; best of ``repeat``
    for each, interleaved, so that a busy minute on the machine hurts both sides alike."""
    profile = load_profile(None)
    articles = [a for data in documents for a in parse_pubmed_xml(data, source="benchmark")]

    def classify_all() -> None:
        for article in articles:
            classify(article, profile)

    anchor = best_cpu(lambda: entrez_read(documents), repeat)
    ours = best_cpu(lambda: parse_and_classify(documents, profile), repeat)
    classify_only = best_cpu(classify_all, repeat)
    return Alone(anchor=anchor, parse_classify=ours, classify=classify_only)


# --- peak memory of import and classify, each its own process -------------------------------


def one_file(corpus: Path, target: Path) -> Path:
    """Every record of the corpus in one PubMed XML file, as PubMed's "Save" writes it."""
    chunks: list[str] = []
    for path in sorted(corpus.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        start = text.index("<PubmedArticle>")
        end = text.rindex("</PubmedArticle>") + len("</PubmedArticle>")
        chunks += ["<PubmedArticle>" + a for a in text[start:end].split("<PubmedArticle>") if a]
    target.write_text(document(chunks), encoding="utf-8")
    return target


@dataclasses.dataclass(frozen=True)
class Memory:
    command: str
    records: int
    peak_rss: int  # bytes
    seconds: float
    failed: str  # why the command failed (e.g. over the memory cap), or ""


def peak_memory(
    corpus: Path, records: int, folder: Path, base_url: str, cap_bytes: int
) -> list[Memory]:
    """``mildwatch import FILE`` into a fresh database and ``mildwatch classify FILE``."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = one_file(corpus, folder / f"pubmed-{records}.xml")
    config = new_site(folder / "site", base_url)
    mildwatch = str(VENV_BIN / "mildwatch")
    commands = {
        "import": [
            mildwatch,
            "--quiet",
            "--config",
            str(config.database.parent / "mildwatch.toml"),
            "import",
            str(saved),
        ],
        "classify": [mildwatch, "--quiet", "classify", str(saved)],
    }
    found = []
    for name, command in commands.items():
        run = run_child(command, memory_cap_bytes=cap_bytes)
        failed = ""
        if run.returncode:
            last = (run.stderr.strip().splitlines() or ["no message"])[-1]
            failed = f"exit {run.returncode} under a {cap_bytes / 1e9:.0f} GB cap: {last[:120]}"
        found.append(Memory(name, records, run.peak_rss_bytes, run.seconds, failed))
    saved.unlink()
    return found
