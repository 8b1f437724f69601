"""The classifier gives the same Evidence as before it was made faster (issue 10), on records
the golden fixture (test_golden.py) does not hold: the check records of
tests/data/evidence_cases.jsonl, generated records of three more seeds, and texts made of
the profile's phrases garbled (case, spaces, hyphens, letters the regex folds specially).

The fixture, tests/data/golden/classify_reference.json, holds a hash of every record's whole
Evidence (each tag, value and snippet) as the code before the speed-up gave it.
``uv run python -m tests.test_classify_reference`` rewrites it: only when a change is *meant*
to change what the classifier says (and CLASSIFIER_VERSION is bumped).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.factories import text_article
from tests.test_evidence_cases import as_article, load_cases
from tests.test_fast_paths import all_cue_sets, texts
from watcher.evidence import classify, load_profile
from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed import parse_pubmed_xml
from watcher.records import Article

FIXTURE = Path(__file__).parent / "data" / "golden" / "classify_reference.json"
SEEDS, PER_SEED, GARBLED = (1, 2, 3), 300, 240


def articles() -> Iterator[tuple[str, Article]]:
    """(name, article) of every record the fixture covers, always in the same order."""
    for case in load_cases():
        yield f"case/{case['id']}", as_article(case)
    for seed in SEEDS:
        made = generate_articles(PER_SEED, seed=seed)
        for start in range(0, PER_SEED, 100):
            for article in parse_pubmed_xml(document(made[start : start + 100]).encode()):
                yield f"seed{seed}/{article.pmid}", article
    garbled = texts(all_cue_sets(), GARBLED, seed=23)
    for i in range(0, GARBLED, 3):
        title, results, conclusion = garbled[i : i + 3]
        sections = (("RESULTS", results), ("CONCLUSIONS", conclusion))
        yield f"garbled/{i}", text_article(title, *sections, pmid=f"9{i}")


def evidence_hashes() -> dict[str, str]:
    profile = load_profile(None)
    found = {}
    for name, article in articles():
        evidence = json.dumps(classify(article, profile).to_dict(), sort_keys=True)
        found[name] = hashlib.sha256(evidence.encode()).hexdigest()
    return found


def test_every_record_is_classified_as_before() -> None:
    before = json.loads(FIXTURE.read_text(encoding="utf-8"))
    now = evidence_hashes()
    assert list(now) == list(before)  # the same records, in the same order
    changed = [name for name in before if before[name] != now[name]]
    assert not changed, f"{len(changed)} records classified differently, first: {changed[:5]}"
    assert sum(name.startswith("case/") for name in now) > 50
    assert sum(name.startswith("garbled/") for name in now) == GARBLED // 3


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(evidence_hashes(), indent=0) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}", file=sys.stderr)
