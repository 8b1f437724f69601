"""Parse and classify against bare ``Bio.Entrez.read(escape=True)``, CPU time, side by side.

Run by hand (``uv run python benchmarks/ingest_ratio.py 1000 10000``): the parse and classify
rows of ``benchmarks/perf.py`` (same anchor and pipeline, from ``perf_ingest``) without its
server and backfill, for quick before/after comparisons while working on the classifier.
Synthetic records only (``watcher.localpubmed.synthetic``; every one says it is made up), in
efetch-sized documents of 200 records. For each size, over the same XML bytes, in one run:

- anchor: ``Entrez.read(escape=True)`` of each document, nothing else;
- parse: ``parse_pubmed_xml`` (Articles);
- parse + classify: the same, then ``classify`` of every article.

Ratios are anchor time / our time (1.0 = as fast as the bare parser; the goal is ≥ 0.6 for
parse + classify). Each measurement is the best of ``--repeat`` runs, the classifier's text
caches emptied before each, so a later run does not profit from an earlier one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.perf_common import best_cpu
from benchmarks.perf_ingest import entrez_read, parse_and_classify
from watcher.evidence import load_profile
from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed.parse import parse_pubmed_xml

BATCH = 200


def documents(n: int, seed: int = 0) -> list[bytes]:
    articles = generate_articles(n, seed=seed)
    return [document(articles[i : i + BATCH]).encode() for i in range(0, n, BATCH)]


def measure(n: int, repeat: int) -> dict[str, float]:
    docs = documents(n)
    profile = load_profile()

    def parse() -> None:
        for doc in docs:
            parse_pubmed_xml(doc)

    anchor = best_cpu(lambda: entrez_read(docs), repeat)
    parsed = best_cpu(parse, repeat)
    both = best_cpu(lambda: parse_and_classify(docs, profile), repeat)
    return {"records": n, "anchor": anchor, "parse": parsed, "parse+classify": both}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        "| records | anchor: Entrez.read | parse | ratio | parse + classify | ratio | "
        "classify per record |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        r = measure(n, args.repeat)
        per = (r["parse+classify"] - r["parse"]) / n * 1000
        print(
            f"| {n:,} | {r['anchor']:.2f} s | {r['parse']:.2f} s | {r['anchor'] / r['parse']:.2f} "
            f"| {r['parse+classify']:.2f} s | {r['anchor'] / r['parse+classify']:.2f} "
            f"| {per:.2f} ms |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
