"""SMTP delivery against one reused smtplib connection, at chosen message sizes, side by side.

Run by hand (``uv run python benchmarks/smtp_ratio.py --messages 1000 --kb 304 100``): the SMTP
rows of ``benchmarks/perf.py`` (``perf_smtp.measure``: ``mildwatch digest send``'s delivery
step and the anchor, plain and with STARTTLS + login, to aiosmtpd in a child process) without
the corpus, backfill and composing that perf.py needs first, for quick before/after
comparisons of the send loop. Each size queues ``--messages`` synthetic digests of about that
many kB (a text part and an HTML part of filler that says it is synthetic, one subscriber
each) in a fresh database; both sides send the same stored bytes.

Ratios are anchor time / our time (1.0 = as fast as the bare reused connection; the goal is
≥ 0.8, and ≥ 50 msg/s with TLS), from each side's best of ``--repeat`` runs; each run's own
ratio is printed too, to show the spread on a shared machine. The anchor runs twice: as stock
smtplib leaves the socket, and with TCP_NODELAY as our transport sets it; the ratio that
counts is against the faster (with TLS, stock smtplib often waits on delayed
acknowledgements, which would flatter us).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import perf_smtp
from benchmarks.perf_common import BACKFILL_AT, kb, new_site
from benchmarks.perf_digests import UPDATE_AT
from watcher.clock import iso
from watcher.store import NewDigest, Store

FILLER = "Synthetic benchmark text, made up for measuring delivery speed; it describes no study. "


def synthetic_message(recipient: str, number: int, size: int) -> bytes:
    """A multipart digest-shaped message of about ``size`` bytes, saying it is synthetic."""
    half = max(size // 2, len(FILLER))
    text = (FILLER * (half // len(FILLER) + 1))[:half]
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "mildwatch <digests@example.org>"
    message["To"] = recipient
    message["Subject"] = f"[SYNTHETIC] benchmark digest {number}"
    message["Message-ID"] = f"<benchmark.{number}@example.org>"
    message.set_content(text)
    message.add_alternative(f"<p>{text}</p>", subtype="html")
    return message.as_bytes()


def queue(folder: Path, messages: int, size: int) -> Path:
    """A database with ``messages`` synthetic digests of ``size`` bytes queued."""
    config = new_site(folder, "http://127.0.0.1:9/")
    now = iso(BACKFILL_AT)
    with Store.open(config.database) as store:
        for i in range(messages):
            address = f"surgeon{i:04d}@example.org"
            subscriber = store.add_subscriber(address, now=now, frequency="weekly")
            digest = NewDigest(
                subscriber_id=subscriber.id,
                recipient=address,
                kind="update",
                period_start="2026-11-16",
                period_end="2026-11-23",
                subject=f"[SYNTHETIC] benchmark digest {i}",
                message_id=f"<benchmark.{i}@example.org>",
                message=synthetic_message(address, i, size),
                landscape={"synthetic": True},
            )
            store.queue_digest(digest, now=now)
    return config.database


def best(runs: list[list[perf_smtp.Delivery]]) -> list[perf_smtp.Delivery]:
    """Per mode, the least time of each side over the runs (the least disturbed by the
    machine's other users; the two sides' best need not come from the same run)."""
    return [
        dataclasses.replace(
            same[0],
            ours=min(d.ours for d in same),
            anchor=min(d.anchor for d in same),
            anchor_no_delay=min(d.anchor_no_delay for d in same),
        )
        for same in zip(*runs, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, metavar="N")
    parser.add_argument("--kb", type=int, nargs="+", default=[304, 100], metavar="KB")
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="best of R runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mildwatch-smtp-") as tmp:
        work = Path(tmp)
        for size in args.kb:
            queued = queue(work / f"queue-{size}", args.messages, size * 1000)
            runs = [
                perf_smtp.measure(queued, work / f"smtp-{size}-{run}", UPDATE_AT)
                for run in range(args.repeat)
            ]
            for d in best(runs):
                print(
                    f"{d.mode:>16}, {d.messages} × {kb(d.mean_bytes)}: ours {d.ours:.2f} s "
                    f"({d.per_second:.0f} msg/s), anchor {d.anchor:.2f} s "
                    f"({d.anchor_per_second:.0f} msg/s), "
                    f"with TCP_NODELAY {d.anchor_no_delay:.2f} s "
                    f"({d.no_delay_per_second:.0f} msg/s); ratio {d.best_anchor / d.ours:.2f} vs "
                    f"the faster, {d.anchor / d.ours:.2f} vs stock (runs: "
                    f"{', '.join(f'{r.best_anchor / r.ours:.2f}' for r in runs_of(runs, d))})",
                    flush=True,
                )
    return 0


def runs_of(
    runs: list[list[perf_smtp.Delivery]], d: perf_smtp.Delivery
) -> list[perf_smtp.Delivery]:
    return [r for run in runs for r in run if r.mode == d.mode]


if __name__ == "__main__":
    raise SystemExit(main())
