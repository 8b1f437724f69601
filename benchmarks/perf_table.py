"""The table ``benchmarks/perf.py`` prints and writes: one row per measure, its anchor, the
ratio, the goal (issue 10's table) and whether it is met; the details under it."""

from __future__ import annotations

from datetime import date
from typing import Any

from benchmarks import perf_digests, perf_smtp, perf_startup
from benchmarks.perf_common import Row, kb, machine, ratio_row
from watcher.evidence import CLASSIFIER_VERSION

SECTION_TITLE = "## Performance"
INGEST_GOAL, ALONE_GOAL = 0.5, 0.6
BASELINE_GOAL_S, UPDATE_GOAL_S, FLAT_GOAL = 10.0, 5.0, 1.5
SMTP_RATIO_GOAL, TLS_RATE_GOAL = 0.8, 50.0
MEMORY_FLAT_GOAL = 2.0


def ingest_rows(results: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for r in results:
        ingest, size = r["ingest"], f"{r['n']:,} records ({r['ingest'].fetched:,} stored)"
        rows.append(
            ratio_row(
                f"ingest end to end, {size}: CPU vs Entrez.read",
                ingest.cpu,
                r["anchor"],
                goal=INGEST_GOAL,
            )
        )
    for r in results:
        a, size = r["alone"], f"{r['n']:,} records"
        rows.append(
            ratio_row(
                f"parse + classify, {size}: CPU vs Entrez.read",
                a.parse_classify,
                a.anchor,
                goal=ALONE_GOAL,
            )
        )
        alone = ratio_row(f"… classify alone, {size}", a.classify, a.anchor, goal=0)
        rows.append(Row(alone.what, alone.ours, alone.anchor, alone.ratio, "(detail)"))
    return rows


def memory_rows(results: list[dict[str, Any]]) -> list[Row]:
    rows = []
    measured = [r for r in results if "memory" in r]
    if not measured:
        return rows
    for command in ("import", "classify"):
        first = next(m for m in measured[0]["memory"] if m.command == command)
        for r in measured:
            m = next(m for m in r["memory"] if m.command == command)
            if m.failed:
                rows.append(
                    Row(
                        f"`mildwatch {command}` peak RSS, {m.records:,} records",
                        m.failed,
                        "",
                        "",
                        "",
                        False,
                    )
                )
                continue
            if m is first:  # the anchor of the rows below
                what = f"`mildwatch {command}` peak RSS, {m.records:,} records"
                ours = f"{m.peak_rss / 1e6:,.0f} MB ({m.seconds:.0f} s)"
                rows.append(Row(what, ours, "", "", "(the anchor below)"))
                continue
            growth = m.peak_rss / first.peak_rss
            rows.append(
                Row(
                    f"`mildwatch {command}` peak RSS, {m.records:,} records",
                    f"{m.peak_rss / 1e6:,.0f} MB ({m.seconds:.0f} s)",
                    f"{first.peak_rss / 1e6:,.0f} MB at {first.records:,}",
                    f"{growth:.2f}×",
                    f"≤ {MEMORY_FLAT_GOAL:g}× ({m.records // first.records}× the records)",
                    growth <= MEMORY_FLAT_GOAL,
                )
            )
    return rows


def digest_rows(results: list[dict[str, Any]]) -> list[Row]:
    measured = [r["digests"] for r in results if "digests" in r]
    rows: list[Row] = []
    for kind, goal in (("baseline", BASELINE_GOAL_S), ("update", UPDATE_GOAL_S)):
        first = getattr(measured[0], kind) if measured else None
        for d in measured:
            run = getattr(d, kind)
            label = (
                f"{d.subscribers:,} {kind} digests over {d.articles:,} records: "
                "compose + render + queue"
            )
            ours = f"{run.compose_seconds:.1f} s ({run.per_digest_ms:.0f} ms each)"
            if d is measured[0] or first is None:
                rows.append(Row(label, ours, "", "", f"< {goal:g} s", run.compose_seconds < goal))
                continue
            growth = run.per_digest_ms / first.per_digest_ms
            rows.append(
                Row(
                    label,
                    ours,
                    f"{first.per_digest_ms:.0f} ms each over {measured[0].articles:,}",
                    f"{growth:.2f}×",
                    f"< {goal:g} s; per digest ≤ {FLAT_GOAL:g}× (flat)",
                    run.compose_seconds < goal and growth <= FLAT_GOAL,
                )
            )
    return rows


def disk_rows(results: list[dict[str, Any]]) -> list[Row]:
    measured = [r["digests"] for r in results if "digests" in r]
    if not measured:
        return []
    d = measured[0]
    rows = []
    for run in (d.baseline, d.update):
        per_db = run.database_growth / run.sent
        rows.append(
            Row(
                f"disk per delivered {run.kind} message (database + .eml), {d.articles:,} records",
                f"{kb(run.disk_per_message)} (database {kb(per_db)})",
                f"the message: {kb(run.mean_message)}",
                f"{run.copies:.2f}×",
                "one copy (≤ 1.5×, ledger rows included)",
                run.copies <= 1.5,
            )
        )
    year = perf_digests.WEEKS_A_YEAR * d.update.disk_per_message
    rows.append(
        Row(
            "disk per subscriber-year (52 weekly updates like these)",
            f"{year / 1e6:.1f} MB",
            "",
            "",
            "documented",
            None,
        )
    )
    return rows


def smtp_rows(deliveries: list[perf_smtp.Delivery]) -> list[Row]:
    """Judged against the faster anchor: stock smtplib, or smtplib with TCP_NODELAY (which
    our transport sets; without it, TLS messages often wait for delayed acknowledgements)."""
    rows = []
    for d in deliveries:
        ratio = d.best_anchor / d.ours
        tls = d.mode != "plain"
        met = ratio >= SMTP_RATIO_GOAL and (not tls or d.per_second >= TLS_RATE_GOAL)
        rows.append(
            Row(
                f"SMTP, {d.mode}: {d.messages:,} queued updates ({kb(d.mean_bytes)} each), "
                "`digest send` vs one reused smtplib connection (stock; with TCP_NODELAY)",
                f"{d.ours:.1f} s ({d.per_second:.0f} msg/s)",
                f"{d.anchor:.1f} s ({d.anchor_per_second:.0f} msg/s); "
                f"{d.anchor_no_delay:.1f} s ({d.no_delay_per_second:.0f} msg/s)",
                f"{ratio:.2f} (vs stock {d.anchor / d.ours:.2f})",
                f"≥ {SMTP_RATIO_GOAL} vs the faster"
                + (f"; ≥ {TLS_RATE_GOAL:g} msg/s" if tls else ""),
                met,
            )
        )
    return rows


def startup_rows(startups: list[perf_startup.Startup]) -> list[Row]:
    return [
        Row(
            f"start-up: `{s.label}` vs `python -c pass` ({s.tool})",
            f"{s.seconds:.2f} s",
            f"{s.anchor:.3f} s",
            f"{s.seconds / s.anchor:.0f}×",
            f"< {perf_startup.GOAL_SECONDS} s",
            s.seconds < perf_startup.GOAL_SECONDS,
        )
        for s in startups
    ]


def table_lines(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table, with its header."""
    head = ["| what | ours | anchor | ratio | goal | met? |", "| --- " * 6 + "|"]
    return head + ["| " + " | ".join(r.cells()) + " |" for r in rows]


def report(rows: list[Row], details: list[str], command: str, minutes: float, commit: str) -> str:
    met = [r for r in rows if r.met is not None]
    missed = [r for r in met if not r.met]
    lines = [
        SECTION_TITLE,
        "",
        f"Measured with `{command}` on {date.today().isoformat()}, commit {commit}, "
        f"in {minutes:.0f} min: {machine()}. Classifier {CLASSIFIER_VERSION}. Synthetic "
        "records only (`watcher.localpubmed.synthetic`; every title says it is made up), "
        "served by the project's local E-utilities server in its own process on 127.0.0.1. "
        "Each row's anchor is measured in the same run, because this machine is shared and "
        "its absolute times drift: the **ratio** is what counts. Ratio = anchor ÷ ours for "
        "speed (higher is better); for memory, start-up and disk it is ours ÷ anchor (×). "
        "CPU rows are this process's CPU time (`time.process_time`); the others are wall "
        "time. One run per number: expect ±10%. *Generated by `benchmarks/perf.py --write`, "
        "which replaces only this section.*",
        "",
        *table_lines(rows),
        "",
        f"Goals met: {len(met) - len(missed)} of {len(met)} rows"
        + (f" ({len(missed)} marked **no**)." if missed else "."),
        "",
        *details,
    ]
    return "\n".join(lines).rstrip() + "\n"


def detail_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = ["Details:", ""]
    for r in results:
        i = r["ingest"]
        lines.append(
            f"- {r['n']:,} records: the backfill stored {i.fetched:,} in {i.wall:.1f} s wall "
            f"({i.esearch} esearch, {i.efetch} efetch requests, with a dummy API key so that "
            f"the rate limit spaces them at 10/s; waiting is not CPU time)."
        )
        if d := r.get("digests"):
            for run in (d.baseline, d.update):
                lines.append(
                    f"- {d.articles:,} records, {run.kind}: {run.queued:,} queued, {run.sent:,} "
                    f"written as .eml in {run.deliver_seconds:.1f} s; messages "
                    f"{kb(run.mean_message)} on average."
                )
    profiled = next((r for r in results if "profile" in r), None)
    if profiled:
        lines += [
            "",
            f"Profile of parse + classify, {profiled['n']:,} records (cProfile):",
            "",
            *profiled["profile"],
        ]
    return lines
