"""The same input gives the same output as before the performance work (issue 10): parsed
articles, the classifier's every tag and snippet, and the exact bytes of every digest.

The fixtures in tests/data/golden/ were written by ``tests/golden.py`` from the code as it was
before parsing, cue matching and digest composing were made faster (see that module).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.golden import DIGESTS as GOLDEN_DIGESTS
from tests.golden import digest_scenario, read_records, record_lines


@pytest.fixture(scope="module")
def records() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return read_records(), list(record_lines())


def _first_difference(before: list[dict[str, Any]], now: list[dict[str, Any]], key: str) -> str:
    for old, new in zip(before, now, strict=False):
        if old[key] != new[key]:
            if isinstance(old[key], dict):
                a, b = old[key], new[key]
                fields = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
                detail = "; ".join(f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in fields)
            else:
                detail = f"{old[key]} → {new[key]}"
            return f"PMID {old['pmid']} in {old['document']}: {detail}"
    return f"{len(before)} records before, {len(now)} now"


def test_the_fixture_covers_sample_test_and_generated_records(records) -> None:
    before, _ = records
    documents = {line["document"].split("/")[0] for line in before}
    assert documents == {"sample", "tests", "generated"}
    assert len(before) > 1000
    relevance = {line["evidence"]["relevance"] for line in before}
    assert relevance == {"relevant", "uncertain", "not_relevant"}


def test_parsing_gives_the_same_articles(records) -> None:
    before, now = records
    keys = [(line["document"], line["pmid"], line["article"]) for line in now]
    expected = [(line["document"], line["pmid"], line["article"]) for line in before]
    assert keys == expected, _first_difference(before, now, "article")


def test_classifying_gives_the_same_evidence(records) -> None:
    before, now = records
    same = [old["evidence"] == new["evidence"] for old, new in zip(before, now, strict=True)]
    assert all(same), _first_difference(before, now, "evidence")


def test_digests_are_byte_identical(tmp_path: Path) -> None:

    expected = json.loads(GOLDEN_DIGESTS.read_text(encoding="utf-8"))
    got = digest_scenario(tmp_path)
    assert [(d["recipient"], d["kind"]) for d in got] == [
        (d["recipient"], d["kind"]) for d in expected
    ]
    for old, new in zip(expected, got, strict=True):
        assert new == old, f"{old['kind']} digest to {old['recipient']} differs"
