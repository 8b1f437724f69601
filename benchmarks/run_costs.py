"""The costs a digest run pays once, whatever the number of subscribers, that grow with the
papers: grouping the papers into studies (``evidence_studies``), the landscape, and the
timeline chart with every study's track. Each is printed beside its anchor, reading the same
papers from the store (``Store.classified``, which every run needs), as a ratio; the last
lines say how much each grew from the smallest size to the largest, beside how much the
papers grew (a cost flat in the papers stays near 1.0x).

    uv run python benchmarks/run_costs.py [--records 2000 10000] [--repeat 3]

CPU seconds, the least of ``--repeat`` runs; the chart after matplotlib is imported (paid once
per process, whatever the size). Prints only; nothing is written to ``docs/``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import perf_ingest  # noqa: E402
from benchmarks.perf_common import ServerProcess, best_cpu, git_commit, machine  # noqa: E402
from digests.chart import render_timeline_png  # noqa: E402
from digests.landscape import build_landscape, evidence_studies  # noqa: E402
from watcher.localpubmed.synthetic import write_corpus  # noqa: E402
from watcher.store import Store  # noqa: E402


def costs(database: Path, repeat: int) -> dict[str, float]:
    """CPU seconds of each one-off cost of a run over ``database``'s papers."""
    with Store.open(database) as store:
        pairs = store.classified()
        decisions = store.study_decisions()
        grouped = evidence_studies(pairs, decisions)
        land = build_landscape(pairs, studies=grouped)
        render_timeline_png(land.timeline, land.tracks)  # imports matplotlib
        return {
            "papers": float(len(pairs)),
            "tracks": float(len(land.tracks)),
            "read (anchor)": best_cpu(store.classified, repeat),
            "studies": best_cpu(lambda: evidence_studies(pairs, decisions), repeat),
            "landscape": best_cpu(lambda: build_landscape(pairs, studies=grouped), repeat),
            "chart": best_cpu(lambda: render_timeline_png(land.timeline, land.tracks), repeat),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"commit {git_commit()}, {machine()}")
    found: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="run-costs-") as folder:
        work = Path(folder)
        for n in sorted(args.records):
            write_corpus(work / f"corpus-{n}", n)
            with ServerProcess(work / f"corpus-{n}") as server:
                _, config = perf_ingest.backfill(work / f"site-{n}", server, n)
            found[n] = row = costs(config.database, args.repeat)  # type: ignore[attr-defined]
            anchor = row["read (anchor)"]
            cells = "  ".join(
                f"{name} {row[name]:.3f} s ({row[name] / anchor:.2f}x)"
                for name in ("studies", "landscape", "chart")
            )
            print(
                f"{n:>6} records, {row['papers']:.0f} papers, {row['tracks']:.0f} tracks:"
                f"  read (anchor) {anchor:.3f} s  {cells}",
                flush=True,
            )
    small, large = found[min(found)], found[max(found)]
    grown = "  ".join(
        f"{name} {large[name] / small[name]:.2f}x"
        for name in ("read (anchor)", "studies", "landscape", "chart")
    )
    times = large["papers"] / small["papers"]
    print(f"{max(found)} vs {min(found)} records ({times:.1f}x papers):")
    print(f"  {grown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
