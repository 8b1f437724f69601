"""Accuracy of harm events and sponsorship, for ``benchmarks/accuracy.py``.

The labelled set is ``benchmarks/balance_labels.jsonl``: short synthetic records written for
mildwatch in its own words (nothing taken from the development set), each labelled with the
harms it reports (kind, count, denominator, seriousness, surgery), its absence statements and
who paid (``industry``, ``independent``, ``not_stated``); ``label_notes`` says why where a
reader might hesitate. Scoring:

- harms per kind: precision and recall over (record, kind) pairs; on the pairs found and
  labelled, whether the count, the seriousness and the surgery agree;
- absence statements: precision and recall over (record, scope) pairs, and how many records
  had an absence read as a harm (a kind labelled absent but reported as an event);
- sponsorship: accuracy, the confusion between values, and how often a declaration of no
  conflicts was read as an industry tie (the mistake that matters most).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.scoring import Counts, fmt
from watcher.evidence import classify, load_profile
from watcher.records import Article, Evidence, Grant
from watcher.vocabulary import HARM_KINDS, SPONSORSHIP

SECTION_TITLE = "## Harms and sponsorship accuracy"
TARGETS = {"harm precision": 0.85, "harm recall": 0.85, "sponsorship accuracy": 0.90}


def is_balance_corpus(records: list[dict]) -> bool:
    """Records labelled with harms and sponsorship (not the development set's shape)."""
    return bool(records) and all({"harms", "sponsorship"} <= set(r["labels"]) for r in records)


def with_disclosures(record: dict, article: Article) -> Article:
    """The record's CoiStatement and GrantList on the article built from its text."""
    grants = tuple(
        Grant(
            g.get("agency", ""), g.get("grant_id", ""), g.get("acronym", ""), g.get("country", "")
        )
        for g in record.get("grants") or ()
    )
    return dataclasses.replace(
        article, coi_statement=record.get("coi_statement") or "", grants=grants
    )


def _rates(counts: Counts) -> str:
    return (
        f"P {fmt(counts.precision)} / R {fmt(counts.recall)} "
        f"(labelled {counts.tp + counts.fn}, found {counts.tp + counts.fp})"
    )


@dataclass
class Agreement:
    agree: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, note: str) -> None:
        self.agree += ok
        self.total += 1
        if not ok:
            self.misses.append(note)

    def text(self) -> str:
        return f"{self.agree} of {self.total}" if self.total else "n/a"


def _verdict(value: float | None, target: float) -> str:
    return "n/a" if value is None else ("met" if value >= target else "NOT MET")


def evaluate_balance(corpus: list[tuple[dict, Article]]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Rows of (metric, value, target, verdict) and one line per miss."""
    profile = load_profile()
    kinds = {kind: Counts() for kind in HARM_KINDS}
    every_kind, absences = Counts(), Counts()
    count, seriousness, surgery = Agreement(), Agreement(), Agreement()
    absence_as_harm = sponsor_ok = no_conflicts_as_industry = 0
    confusion: Counter[tuple[str, str]] = Counter()
    misses: list[str] = []
    for record, plain in corpus:
        article = with_disclosures(record, plain)
        evidence: Evidence = classify(article, profile)
        labels, rid = record["labels"], str(record["pmid"])
        want = {h["kind"]: h for h in labels["harms"]}
        got = {event.kind: event for event in evidence.harms}
        for kind in HARM_KINDS:
            kinds[kind].add_sets({rid} if kind in got else set(), {rid} if kind in want else set())
        every_kind.add_sets({(rid, k) for k in got}, {(rid, k) for k in want})
        for kind in sorted(set(got) ^ set(want)):
            said = got[kind].snippet if kind in got else "nothing found"
            misses.append(
                f"{rid} harm {kind}: {'found' if kind in got else 'missed'}. Used: {said!r}"
            )
        for kind in sorted(set(got) & set(want)):
            event, label = got[kind], want[kind]
            note = f"{rid} {kind}"
            count.add(
                event.count == label["count"], f"{note} count {event.count} != {label['count']}"
            )
            seriousness.add(
                event.seriousness == label["seriousness"],
                f"{note} seriousness {event.seriousness} != {label['seriousness']}",
            )
            surgery.add(
                event.surgery == label["surgery"],
                f"{note} surgery {event.surgery} != {label['surgery']}",
            )
        scopes = {str(tag.value) for tag in evidence.absences}
        absences.add_sets({(rid, s) for s in scopes}, {(rid, s) for s in labels["absences"]})
        absence_as_harm += bool(set(labels["absences"]) & set(got))
        for scope in sorted(scopes ^ set(labels["absences"])):
            misses.append(f"{rid} absence {scope}: {'found' if scope in scopes else 'missed'}")
        value, expected = evidence.sponsorship, labels["sponsorship"]
        confusion[(expected, value)] += 1
        sponsor_ok += value == expected
        declared = any(tag.value == "no_conflicts" for tag in evidence.sponsorship_tags)
        no_conflicts_as_industry += expected != "industry" and value == "industry" and declared
        if value != expected:
            said = "; ".join(f"{t.value}: {t.snippet!r}" for t in evidence.sponsorship_tags)
            used = said or "nothing"
            misses.append(
                f"{rid} sponsorship: predicted {value}, labelled {expected}. Used: {used}"
            )
        if record.get("label_notes") and any(m.startswith(f"{rid} ") for m in misses[-3:]):
            misses.append(f"  Label note: {record['label_notes']}")
    misses += count.misses + seriousness.misses + surgery.misses
    total = len(corpus)
    precision, recall = every_kind.precision, every_kind.recall
    rows: list[tuple[str, ...]] = [
        ("harm precision (all kinds)", fmt(precision), f"≥ {TARGETS['harm precision']:.2f}",
         _verdict(precision, TARGETS["harm precision"])),
        ("harm recall (all kinds)", fmt(recall), f"≥ {TARGETS['harm recall']:.2f}",
         _verdict(recall, TARGETS["harm recall"])),
        *((f"harm {kind}", _rates(pairs), "", "") for kind, pairs in kinds.items()),
        ("harm count agrees (kinds found and labelled)", count.text(), "", ""),
        ("harm seriousness agrees", seriousness.text(), "", ""),
        ("harm needed surgery agrees", surgery.text(), "", ""),
        ("absence statements (record, scope)", _rates(absences), "", ""),
        ("records with an absence read as a harm", str(absence_as_harm), "0",
         "met" if absence_as_harm == 0 else "NOT MET"),
        ("sponsorship accuracy", fmt(sponsor_ok / total if total else None),
         f"≥ {TARGETS['sponsorship accuracy']:.2f}",
         _verdict(sponsor_ok / total if total else None, TARGETS["sponsorship accuracy"])),
        ("no conflicts read as an industry tie", str(no_conflicts_as_industry), "0",
         "met" if no_conflicts_as_industry == 0 else "NOT MET"),
        *((f"sponsorship labelled {want}", ", ".join(
            f"{got} {confusion[(want, got)]}" for got in SPONSORSHIP if confusion[(want, got)]
        ), "", "") for want in SPONSORSHIP),
    ]  # fmt: skip
    return rows, misses


def report_balance(
    shown: str, total: int, rows: list[tuple[str, ...]], misses: list[str], version: str
) -> str:
    lines = [
        f"{SECTION_TITLE}: {shown}",
        "",
        f"Measured with `uv run python benchmarks/accuracy.py {shown}` ({total} records written "
        f"for mildwatch, labelled by hand); classifier {version}.",
        "",
        "| metric | measured | target | |",
        "| --- | --- | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        f"### Misses ({sum(not m.startswith('  ') for m in misses)})",
        "",
        *([f"- {m}" if not m.startswith("  ") else m for m in misses] or ["None."]),
    ]
    return "\n".join(lines) + "\n"
