"""CSV for spreadsheets and JSON for programs.

CSV has one row per article and one column per evidence tag, each tag beside its snippet
(``design``, ``design_snippet``, ``q_safety`` …), so a librarian can filter and sort in a
spreadsheet. Cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab
or a carriage return) are neutralised with a leading apostrophe (OWASP's CSV-injection rule);
numbers stay numbers. JSON holds everything: the article, its evidence exactly as stored
(``Evidence.to_dict``), and whether the record is synthetic.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from watcher.exports.common import Row, page_range, pubmed_url
from watcher.records import Tag
from watcher.vocabulary import QUESTIONS

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LISTS = ("comparators", "outcomes", "complications", "reoperations")
COLUMNS = (
    "pmid", "title", "authors", "journal", "year", "volume", "issue", "first_page", "last_page",
    "doi", "pmcid", "pubmed_url", "retracted", "synthetic",
    "relevance", "relevance_snippet", "design", "design_snippet", "level",
    "followup_months", "followup_snippet", "sample_size", "sample_size_snippet",
    *(f"q_{q}" for q in QUESTIONS),
    *(name for kind in _LISTS for name in (kind, f"{kind}_snippets")),
    "classifier_version",
)  # fmt: skip


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as text, never runs (numbers are left alone)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _snippet(tag: Tag | None) -> str:
    return tag.snippet if tag else ""


def csv_row(row: Row) -> dict[str, Any]:
    a, e = row.article, row.evidence
    first, last = page_range(a.pages)
    values: dict[str, Any] = {
        "pmid": a.pmid, "title": a.plain_title, "authors": "; ".join(a.authors),
        "journal": a.journal or a.journal_abbrev, "year": a.pub_year, "volume": a.volume,
        "issue": a.issue, "first_page": first, "last_page": last, "doi": a.doi,
        "pmcid": a.pmcid, "pubmed_url": pubmed_url(a.pmid),
        "retracted": "yes" if a.retracted else "", "synthetic": "yes" if row.synthetic else "",
    }  # fmt: skip
    if e is not None:
        values.update(
            relevance=e.relevance, relevance_snippet=_snippet(e.relevance_tag),
            design=e.design, design_snippet=_snippet(e.design_tag), level=e.level,
            followup_months=e.followup_months, followup_snippet=_snippet(e.followup_tag),
            sample_size=e.sample_size, sample_size_snippet=_snippet(e.sample_size_tag),
            classifier_version=e.classifier_version,
        )  # fmt: skip
        for tag in e.questions:  # the cell holds the words behind the tag
            values[f"q_{tag.value}"] = tag.snippet or "yes"
        for kind in _LISTS:
            tags = getattr(e, kind)
            values[kind] = "; ".join(str(t.value) for t in tags)
            values[f"{kind}_snippets"] = " | ".join(t.snippet for t in tags)
    return {k: safe_cell(v) for k, v in values.items() if k in COLUMNS and v is not None}


def to_csv(rows: Iterable[Row]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_row(row) for row in rows)
    return out.getvalue()


def to_json(rows: Iterable[Row]) -> str:
    items = []
    for row in rows:
        article = asdict(row.article)
        article.pop("raw")
        items.append(
            {
                "pmid": row.article.pmid,
                "synthetic": row.synthetic,
                "pubmed_url": pubmed_url(row.article.pmid),
                "article": article,
                "evidence": row.evidence.to_dict() if row.evidence else None,
            }
        )
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
