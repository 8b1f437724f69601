"""Accuracy of the evidence classifier on a labelled JSONL corpus.

    uv run python benchmarks/accuracy.py [LABELLED.jsonl] [--records 25-51] [--write]
    uv run python benchmarks/accuracy.py --records 25-51 --keep "first look" --date 2026-11-25

The default corpus is ``shared/corpus/dev.jsonl`` in the folder above the repository (or above
a worktree's folder: the first parent that has one; the development set, its format in that
folder's README). A labels file without the article text
(``watcher/localpubmed/sample/labels.jsonl``) is read with the PubMed XML files beside it.
``--records`` scores a slice of the corpus by line number (1-based, inclusive: "25-51", "25-",
"7"), so that a split such as "the records added later" is reproducible.

Prints per-field precision/recall/F1 and accuracy, then every miss with the snippet the
classifier used. ``--write`` puts the same report in docs/benchmarks.md, in the section
"Evidence classifier accuracy" for the whole default corpus or "Evidence classifier accuracy:
<file>[ records A-B]" otherwise (created if missing; other sections are kept). ``--keep TITLE``
instead adds a dated section that is never replaced afterwards, neither by ``--write`` nor by
another ``--keep`` (a score taken before the rules changed must stay as it was taken).

A corpus labelled with harms and sponsorship (``benchmarks/balance_labels.jsonl``) is scored
by ``benchmarks/accuracy_balance.py`` instead: precision and recall per harm kind, absence
statements kept apart, sponsorship accuracy; its section is "Harms and sponsorship accuracy:
<file>".

Scoring (the corpus README's contract): relevance counts only ``relevant`` as positive; design
accuracy is over all records; questions are scored per key over the records labelled as about
MILD (``operator`` only when the corpus labels it at all; otherwise it is counted, not scored);
follow-up and sample size are exact when equal (follow-up to 0.1 month; null = null counts) and
within tolerance when within 10% (follow-up: or 1 month).
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.accuracy_balance import (  # noqa: E402
    evaluate_balance,
    is_balance_corpus,
    report_balance,
)
from benchmarks.scoring import Counts  # noqa: E402
from benchmarks.scoring import fmt as _fmt  # noqa: E402
from benchmarks.search_reach import reach_lines  # noqa: E402
from watcher.evidence import CLASSIFIER_VERSION, classify, load_profile  # noqa: E402
from watcher.records import AbstractSection, Article, Evidence, Tag  # noqa: E402
from watcher.vocabulary import QUESTIONS  # noqa: E402

_CORPUS = Path("shared") / "corpus" / "dev.jsonl"
# ../shared beside the main checkout, or beside the folder that holds a worktree.
DEFAULT_CORPUS = next(
    (folder / _CORPUS for folder in REPO.parents if (folder / _CORPUS).is_file()),
    REPO.parent / _CORPUS,
)
BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"
SECTION_TITLE = "## Evidence classifier accuracy"
KEPT_MARK = "<!-- kept: benchmarks/accuracy.py never replaces this section -->"
# Every question but "operator", which is scored only when the corpus labels it at all.
SCORED_QUESTIONS = tuple(q for q in QUESTIONS if q != "operator")
# The targets of issue 8, set for records the classifier has never seen.
TARGETS = {
    "relevance precision": 0.97,
    "relevance recall": 0.97,
    "design accuracy": 0.92,
    "follow-up exact": 0.92,
    "sample size exact": 0.90,
}
QUESTION_F1_TARGET = 0.88
_LABEL = re.compile(r"^([A-Z][A-Z0-9 ,/&()'-]*[A-Z)]):\s+(.*)$")


def article_from_record(record: dict) -> Article:
    """An Article as the PubMed parser would build it: escaped text, "LABEL:" lines as sections."""
    sections = []
    for line in (record.get("abstract") or "").splitlines():
        if not line.strip():
            continue
        found = _LABEL.match(line.strip())
        label, text = (found.group(1), found.group(2)) if found else ("", line.strip())
        sections.append(AbstractSection(label, html.escape(text, quote=False)))
    return Article(
        pmid=str(record["pmid"]),
        title=html.escape(record.get("title") or "", quote=False),
        abstract=tuple(sections),
        journal=record.get("journal") or "",
        pub_year=record.get("year"),
        publication_types=tuple(record.get("publication_types") or ()),
    )


def parse_records(spec: str) -> tuple[int, int | None]:
    """ "25-51" → (25, 51), "25-" → (25, None), "7" → (7, 7): 1-based line numbers."""
    found = re.fullmatch(r"\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?", spec)
    if not found or int(found.group(1)) < 1:
        raise ValueError(f"--records {spec!r}: give line numbers like 25-51, 25- or 7")
    first = int(found.group(1))
    last = int(found.group(3)) if found.group(3) else (None if found.group(2) else first)
    if last is not None and last < first:
        raise ValueError(f"--records {spec!r}: the last line comes before the first")
    return first, last


def select_records(corpus: list, first: int, last: int | None) -> list:
    """Lines ``first``..``last`` (1-based, inclusive) of a loaded corpus."""
    if first > len(corpus) or (last is not None and last > len(corpus)):
        raise ValueError(f"--records: the corpus has only {len(corpus)} records")
    return corpus[first - 1 : last]


def load_corpus(path: Path) -> list[tuple[dict, Article]]:
    """Labelled records with their articles: the text in the record itself (dev.jsonl), or
    in PubMed XML files in the same folder (watcher/localpubmed/sample/labels.jsonl)."""
    records = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if all("abstract" in r or "title" in r for r in records):
        return [(r, article_from_record(r)) for r in records]
    from watcher.pubmed import read_records  # only for corpora stored as PubMed XML

    articles = {a.pmid: a for xml in sorted(path.parent.glob("*.xml")) for a in read_records(xml)}
    missing = [str(r["pmid"]) for r in records if str(r["pmid"]) not in articles]
    if missing:
        raise ValueError(f"no PubMed XML beside {path} for PMID {', '.join(missing[:5])}")
    return [(r, articles[str(r["pmid"])]) for r in records]


def followup_exact(predicted: float | None, label: float | None) -> bool:
    if predicted is None or label is None:
        return predicted is None and label is None
    return abs(round(predicted, 1) - round(label, 1)) < 0.05


def followup_close(predicted: float | None, label: float | None) -> bool:
    if predicted is None or label is None:
        return predicted is None and label is None
    return abs(predicted - label) <= max(1.0, 0.1 * label)


def sample_exact(predicted: int | None, label: int | None) -> bool:
    return predicted == label


def sample_close(predicted: int | None, label: int | None) -> bool:
    if predicted is None or label is None:
        return predicted is None and label is None
    return abs(predicted - label) <= 0.1 * label


@dataclass
class Miss:
    pmid: str
    field: str
    predicted: object
    expected: object
    tag: Tag | None
    notes: str
    ambiguous: bool


def evaluate(
    corpus: list[tuple[dict, Article]],
) -> tuple[list[tuple[str, str, str, str]], list[Miss], dict]:
    """Rows of (metric, value, target, verdict), the misses, and raw numbers."""
    profile = load_profile()
    records = [record for record, _ in corpus]
    labelled_operator = any("operator" in r["labels"]["concerns"] for r in records)
    scored = SCORED_QUESTIONS + (("operator",) if labelled_operator else ())
    relevance = Counts()
    questions = {key: Counts() for key in scored}
    design_ok = fu_exact = fu_close = n_exact = n_close = operator = uncertain = 0
    misses: list[Miss] = []
    for record, article in corpus:
        labels = record["labels"]
        evidence: Evidence = classify(article, profile)
        wrong: list[tuple[str, object, object, Tag | None]] = []
        relevant, want_relevant = evidence.relevance == "relevant", bool(labels["relevant_mild"])
        relevance.add(relevant, want_relevant)
        uncertain += evidence.relevance == "uncertain"
        if relevant != want_relevant:
            wrong.append(("relevance", evidence.relevance, want_relevant, evidence.relevance_tag))
        design_ok += evidence.design == labels["design"]
        if evidence.design != labels["design"]:
            wrong.append(("design", evidence.design, labels["design"], evidence.design_tag))
        fu, fu_label = evidence.followup_months, labels["followup_months"]
        fu_exact += followup_exact(fu, fu_label)
        fu_close += followup_close(fu, fu_label)
        if not followup_exact(fu, fu_label):
            wrong.append(("followup_months", fu, fu_label, evidence.followup_tag))
        n, n_label = evidence.sample_size, labels["sample_size"]
        n_exact += sample_exact(n, n_label)
        n_close += sample_close(n, n_label)
        if not sample_exact(n, n_label):
            wrong.append(("sample_size", n, n_label, evidence.sample_size_tag))
        if want_relevant:
            predicted = set(evidence.question_keys)
            operator += "operator" in predicted
            for key in scored:
                got, want = key in predicted, key in labels["concerns"]
                questions[key].add(got, want)
                if got != want:
                    tag = next((t for t in evidence.questions if t.value == key), None)
                    wrong.append((f"question {key}", got, want, tag))
        notes, ambiguous = record.get("label_notes", ""), bool(record.get("ambiguous"))
        misses += [Miss(evidence.pmid, *w, notes, ambiguous) for w in wrong]
    total = len(records)
    mild = sum(bool(r["labels"]["relevant_mild"]) for r in records)
    measured = {
        "relevance precision": relevance.precision,
        "relevance recall": relevance.recall,
        "design accuracy": design_ok / total,
        "follow-up exact": fu_exact / total,
        "sample size exact": n_exact / total,
    }
    rows = [
        (name, _fmt(value), f"≥ {TARGETS[name]:.2f}", _verdict(value, TARGETS[name]))
        for name, value in measured.items()
    ]
    rows.insert(2, ("relevance F1", _fmt(relevance.f1), "", ""))
    rows.insert(3, ("records classified uncertain", str(uncertain), "", ""))
    rows.insert(6, ("follow-up within tolerance", _fmt(fu_close / total), "", ""))
    rows.append(("sample size within tolerance", _fmt(n_close / total), "", ""))
    for key, counts in questions.items():
        value = (
            f"P {_fmt(counts.precision)} / R {_fmt(counts.recall)} / F1 {_fmt(counts.f1)}"
            f" (labelled {counts.tp + counts.fn}, tagged {counts.tp + counts.fp})"
        )
        verdict = "no labels" if counts.f1 is None else _verdict(counts.f1, QUESTION_F1_TARGET)
        rows.append((f"question {key}", value, f"F1 ≥ {QUESTION_F1_TARGET:.2f}", verdict))
    if not labelled_operator:
        rows.append(
            ("question operator (not labelled)", f"tagged on {operator} MILD records", "", "")
        )
    info = {"total": total, "mild": mild, "profile": profile}
    return rows, misses, info


def _verdict(value: float | None, target: float) -> str:
    return "n/a" if value is None else ("met" if value >= target else "NOT MET")


def section_title(corpus: Path, records: str = "", kept: str = "", day: str = "") -> str:
    """The report's heading: the live section of the whole default corpus, a slice or another
    corpus, or a kept, dated section."""
    if kept:
        return f"{SECTION_TITLE}, kept: {kept} ({day})"
    slice_ = f" records {records}" if records else ""
    if corpus.resolve() == DEFAULT_CORPUS.resolve() and not slice_:
        return SECTION_TITLE
    return f"{SECTION_TITLE}: {_shown(corpus)}{slice_}"


def _shown(corpus: Path) -> str:
    path = corpus.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else path.name


def report(
    corpus: Path,
    rows: Iterable[tuple[str, str, str, str]],
    misses: list[Miss],
    info: dict,
    *,
    records: str = "",
    kept: str = "",
    day: str = "",
    extra: Iterable[str] = (),
) -> str:
    profile = info["profile"]
    options = f" --records {records}" if records else ""
    which = f"records {records} of `{_shown(corpus)}`" if records else f"`{_shown(corpus)}`"
    lines = [
        section_title(corpus, records, kept, day),
        "",
        *([KEPT_MARK, ""] if kept else []),
        f"Measured on {day} with `uv run python benchmarks/accuracy.py{options}` on {which} "
        f"({info['total']} records: {info['mild']} about MILD, "
        f"{info['total'] - info['mild']} near-misses); classifier {CLASSIFIER_VERSION}, "
        f"profile {profile.name} version {profile.version}.",
        "",
        "| metric | measured | target | |",
        "| --- | --- | --- | --- |",
        *(f"| {name} | {value} | {target} | {verdict} |" for name, value, target, verdict in rows),
        "",
        f"### Misses ({len(misses)})",
        "",
    ]
    if not misses:
        lines.append("None.")
    for m in misses:
        used = f'"{m.tag.snippet}" ({m.tag.source})' if m.tag else "nothing found"
        flag = " [record flagged ambiguous]" if m.ambiguous else ""
        lines.append(
            f"- {m.pmid} {m.field}: predicted {m.predicted!r}, labelled {m.expected!r}{flag}. "
            f"Used: {used}."
        )
        if m.notes:
            lines.append(f"  Label note: {m.notes}")
    extra = list(extra)
    return "\n".join(lines + (["", *extra] if extra else [])) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the section with the same heading, keeping everything else; a
    kept section (one carrying ``KEPT_MARK``) is never replaced."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    heading = section.splitlines()[0]
    found = re.search(rf"^{re.escape(heading)}\n", text, re.MULTILINE)
    if not found:  # after the last accuracy section, so that they stay together
        kin = list(re.finditer(rf"^{re.escape(SECTION_TITLE)}\b.*\n", text, re.MULTILINE))
        following = re.search(r"^## ", text[kin[-1].end() :], re.MULTILINE) if kin else None
        if following:
            at = kin[-1].end() + following.start()
            text = text[:at] + section + "\n" + text[at:]
        else:
            text = text.rstrip("\n") + "\n\n" + section
    else:
        start = found.start()
        following = re.search(r"^## ", text[found.end() :], re.MULTILINE)
        end = found.end() + following.start() if following else len(text)
        if KEPT_MARK in text[start:end]:
            raise ValueError(f"{path}: {heading!r} is a kept section; it is never replaced")
        text = text[:start] + section + ("\n" + text[end:] if following else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--records", default="", help="score lines A-B only (1-based): 25-51")
    parser.add_argument("--write", action="store_true", help=f"update {BENCHMARKS_MD}")
    parser.add_argument(
        "--keep", default="", metavar="TITLE", help="add a dated section never replaced later"
    )
    parser.add_argument("--date", default="", help="the date a kept score was taken (today)")
    args = parser.parse_args(argv)
    try:
        corpus = load_corpus(args.corpus)
    except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
        parser.error(f"cannot read {args.corpus}: {exc}")
    try:
        if args.records:
            corpus = select_records(corpus, *parse_records(args.records))
        day = datetime.date.fromisoformat(args.date) if args.date else datetime.date.today()
    except ValueError as exc:
        parser.error(f"{exc}; --date takes YYYY-MM-DD" if "records" not in str(exc) else str(exc))
    records = [record for record, _ in corpus]
    if is_balance_corpus(records):  # harms and sponsorship (benchmarks/balance_labels.jsonl)
        balance_rows, balance_misses = evaluate_balance(corpus)
        section = report_balance(
            _shown(args.corpus), len(corpus), balance_rows, balance_misses, CLASSIFIER_VERSION
        )
    else:
        rows, misses, info = evaluate(corpus)
        with_text = all("abstract" in r or "title" in r for r in records)
        section = report(
            args.corpus,
            rows,
            misses,
            info,
            records=args.records.replace(" ", ""),
            kept=args.keep.strip(),
            day=day.isoformat(),
            extra=reach_lines(records) if with_text and not args.keep else (),
        )
    print(section, end="")
    if args.write or args.keep:
        try:
            write_section(BENCHMARKS_MD, section)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"\nwritten to {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
