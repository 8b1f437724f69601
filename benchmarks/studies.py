"""How fast papers are grouped into studies, and how often the grouping joins papers it should
not, on synthetic corpora where every record is a study of its own.

    uv run python benchmarks/studies.py [--records 2000 10000] [--write]

Run by hand (timings are never asserted in tests). For each N it generates N synthetic records
(``watcher.localpubmed.synthetic``: every one says it is made up, and each is a separate study
with 1–7 authors drawn from 20 surnames, so shared authors are common), parses and classifies
them, then times, side by side:

- the anchor: parsing + classifying the same records (what a poll already spends on them);
- ``group_studies`` over the relevant ones, and the whole landscape (grouping included).

Every join it makes is a false join here (no two generated records report one study), so the
counts of studies with more than one report, by link kind, are its false-join rate on
unrelated papers with overlapping author pools. ``--write`` replaces the "Study grouping"
section of docs/benchmarks.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digests.landscape import build_landscape, evidence_studies  # noqa: E402
from watcher.evidence import classify, load_profile  # noqa: E402
from watcher.localpubmed.synthetic import generate_articles  # noqa: E402
from watcher.localpubmed.synthetic_xml import document  # noqa: E402
from watcher.pubmed import parse_pubmed_xml  # noqa: E402
from watcher.studies import group_studies  # noqa: E402

BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"
SECTION_TITLE = "## Study grouping"
REPEATS = 5


def best_of(function: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(n: int) -> dict[str, object]:
    xml = document(generate_articles(n, seed=1))
    profile = load_profile()
    started = time.perf_counter()
    articles = parse_pubmed_xml(xml)
    tagged = [(a, classify(a, profile)) for a in articles]
    anchor = time.perf_counter() - started
    pairs = [(a, e) for a, e in tagged if e.relevance == "relevant"]
    grouping = best_of(lambda: group_studies(pairs))
    landscape = best_of(lambda: build_landscape(pairs))
    studies = evidence_studies(pairs)
    joined = [s for s in studies if len(s.reports) > 1]
    kinds = Counter(link.kind for s in joined for link in s.links)
    sizes = [len(s.reports) for s in joined]
    return {
        "n": n,
        "relevant": len(pairs),
        "anchor": anchor,
        "grouping": grouping,
        "landscape": landscape,
        "studies": len(studies),
        "joined": len(joined),
        "papers_joined": sum(sizes),
        "largest": max(sizes, default=0),
        "kinds": dict(kinds),
    }


def report(results: list[dict[str, object]]) -> str:
    lines = [
        SECTION_TITLE,
        "",
        "Measured with `uv run python benchmarks/studies.py` on "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}; best of {REPEATS} for the grouping and the landscape. The anchor "
        "is parsing + classifying the same records once (what a poll already spends on them).",
        "",
        "| records | relevant | anchor: parse + classify | group_studies | ratio | landscape "
        "(grouping included) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        anchor, grouping, landscape = (float(r[k]) for k in ("anchor", "grouping", "landscape"))  # type: ignore[arg-type]
        lines.append(
            f"| {r['n']:,} | {r['relevant']:,} | {anchor:.2f} s | {grouping * 1000:.0f} ms | "
            f"{grouping / anchor:.3f} | {landscape * 1000:.0f} ms | {landscape / anchor:.3f} |"
        )
    lines += [
        "",
        "False joins (every generated record is a study of its own, its 1–7 authors drawn from "
        "20 surnames, so a shared author proves nothing here):",
        "",
        "| records | studies | studies with > 1 report | papers in them | largest | links used |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["kinds"].items())) or "none"  # type: ignore[union-attr]
        lines.append(
            f"| {r['n']:,} | {r['studies']:,} | {r['joined']} | {r['papers_joined']} | "
            f"{r['largest']} | {kinds} |"
        )
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    text = BENCHMARKS_MD.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    BENCHMARKS_MD.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    results = [measure(n) for n in args.records]
    section = report(results)
    print(section)
    if args.write:
        write(section)
    per_record = statistics.median(float(r["anchor"]) / int(r["n"]) for r in results)  # type: ignore[arg-type]
    print(f"median anchor per record: {per_record * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
