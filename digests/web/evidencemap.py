"""The evidence map as data: which studies a filter keeps, in which order, with every tag and
the words behind it. Pure functions over ``(Article, Evidence)`` pairs, so the live page, the
static export and the benchmark share them, and tests need no server.

A row is the digest's own ``DigestItem`` (``digests.landscape.make_item``: the same labels,
snippet and links) plus what a table adds: each tag with its snippet, and whether the paper
was retracted or corrected. Notices (errata, retraction notices) are not studies and are left
out; retracted papers stay, marked, so that nobody mistakes their absence for an oversight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from digests.landscape import build_landscape, is_notice, is_synthetic, level_rank, make_item
from digests.model import DigestItem, Landscape
from digests.safety import harm_facts
from digests.wording import design_label, format_months, harm_label, question_short
from watcher.errors import WebInputError
from watcher.records import Article, Evidence, Quote
from watcher.vocabulary import (
    ABSENCE_SCOPES,
    AGAINST,
    DESIGNS,
    LEVELS,
    QUESTIONS,
    SPONSORSHIP_CUES,
)

Pair = tuple[Article, Evidence]

TABS = ("studies", "uncertain")
FOLLOWUPS = (12, 24, 60)  # "at least N months" choices
PAGE_SIZE = 50
# Sort keys a reader may pick, and how each is said in the page.
SORTS: dict[str, str] = {
    "strength": "Strongest evidence first",
    "year": "Newest first",
    "followup": "Longest follow-up first",
    "size": "Largest first",
    "design": "By design",
    "title": "Title A–Z",
}


@dataclass(frozen=True)
class MapQuery:
    """What the reader asked for (the page's query string); defaults show everything."""

    tab: str = "studies"
    design: str = ""
    level: str = ""
    followup: int = 0  # at least this many months; 0 = any
    question: str = ""
    year: int = 0  # published in or after this year; 0 = any
    text: str = ""
    sort: str = "strength"
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> MapQuery:
        """From a query string; a value the page never offers is a WebInputError."""
        get = {k: str(v).strip() for k, v in params.items()}
        query = cls(
            tab=get.get("tab") or "studies",
            design=get.get("design", ""),
            level=get.get("level", ""),
            followup=_number(get.get("followup", ""), "followup"),
            question=get.get("question", ""),
            year=_number(get.get("year", ""), "year"),
            text=" ".join(get.get("text", "").split())[:200],
            sort=get.get("sort") or "strength",
            page=max(1, _number(get.get("page", ""), "page")),
        )
        _choose(query.tab, TABS, "tab")
        _choose(query.design, DESIGNS, "design")
        _choose(query.level, LEVELS, "level")
        _choose(query.question, QUESTIONS, "question")
        _choose(query.sort, tuple(SORTS), "sort")
        if query.followup not in (0, *FOLLOWUPS):
            raise WebInputError(
                f"followup must be one of {', '.join(map(str, FOLLOWUPS))} (months), "
                f"not {query.followup}"
            )
        return query

    def params(self, **changes: object) -> dict[str, str]:
        """The query string for this query with ``changes`` (defaults left out)."""
        changed = replace(self, **changes)  # type: ignore[arg-type]
        defaults = MapQuery()
        return {
            name: str(getattr(changed, name))
            for name in self.__dataclass_fields__
            if getattr(changed, name) != getattr(defaults, name)
        }

    @property
    def filtered(self) -> bool:
        return self.params(tab="studies", sort="strength", page=1) != {}


def _number(raw: str, name: str) -> int:
    if not raw:
        return 0
    if not raw.isdigit() or len(raw) > 6:
        raise WebInputError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _choose(value: str, choices: Sequence[str], name: str) -> None:
    if value and value not in choices:
        raise WebInputError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


@dataclass(frozen=True)
class TagLine:
    """One tag as a row shows it: what it says and the article's own words behind it."""

    label: str  # "Design", "Follow-up", "Question", ...
    value: str
    snippet: str
    source: str  # "abstract", "title", "publication_type", ...


@dataclass(frozen=True)
class MapRow:
    item: DigestItem
    tags: tuple[TagLine, ...]
    retracted: bool = False
    errata: tuple[str, ...] = ()  # PMIDs (or sources) of published errata
    relevance: str = "relevant"

    @property
    def pmid(self) -> str:
        return self.item.pmid


def tag_lines(evidence: Evidence) -> tuple[TagLine, ...]:
    """Every tag of ``evidence`` with its snippet, in the order a reader weighs them."""
    lines: list[tuple[str, str, Quote | None]] = [
        ("Design", design_label(evidence.design), evidence.design_tag),
        (
            "Follow-up",
            format_months(evidence.followup_months),
            evidence.followup_tag if evidence.followup_months is not None else None,
        ),
        ("Patients", str(evidence.sample_size), evidence.sample_size_tag),
    ]
    lines += [("Question", question_short(str(t.value)), t) for t in evidence.questions]
    lines += [("Compared with", str(t.value), t) for t in evidence.comparators]
    lines += [("Outcome", str(t.value), t) for t in evidence.outcomes]
    lines += [("Complication", str(t.value), t) for t in evidence.complications]
    lines += [("Reoperation", str(t.value), t) for t in evidence.reoperations]
    lines += [(f"Harm: {harm_label(h.kind)}", harm_facts(h), h) for h in evidence.harms]
    lines += [
        ("No adverse events", ABSENCE_SCOPES.get(str(t.value), ""), t) for t in evidence.absences
    ]
    lines += [
        ("Who paid", SPONSORSHIP_CUES.get(str(t.value), ""), t) for t in evidence.sponsorship_tags
    ]
    lines += [("Against the procedure", AGAINST.get(str(t.value), ""), t) for t in evidence.against]
    lines.append(("Relevance", evidence.relevance.replace("_", " "), evidence.relevance_tag))
    return tuple(
        TagLine(label, value, tag.snippet, tag.source)
        for label, value, tag in lines
        if tag is not None and tag.snippet
    )


def make_row(article: Article, evidence: Evidence) -> MapRow:
    return MapRow(
        item=make_item(article, evidence),
        tags=tag_lines(evidence),
        retracted=article.retracted,
        errata=tuple(c.pmid or c.source for c in article.errata),
        relevance=evidence.relevance,
    )


def map_rows(pairs: Iterable[Pair]) -> list[MapRow]:
    """One row per study (notices left out), unfiltered and unsorted."""
    return [make_row(a, e) for a, e in pairs if not is_notice(a)]


def _keeps(row: MapRow, query: MapQuery) -> bool:
    item = row.item
    if query.design and item.design != query.design:
        return False
    if query.level and item.level != query.level:
        return False
    if query.followup and (item.followup_months or 0) < query.followup:
        return False
    if query.question and query.question not in item.questions:
        return False
    if query.year and (item.year or 0) < query.year:
        return False
    if query.text:
        words = query.text.lower().split()
        haystack = " ".join(
            [item.title_text, item.journal, item.authors, item.snippet, item.pmid]
            + [t.snippet for t in row.tags]
        ).lower()
        return all(word in haystack for word in words)
    return True


def _sort_key(sort: str):
    def strength(row: MapRow) -> tuple:
        i = row.item
        return (level_rank(i.level), -(i.followup_months or 0), -(i.sample_size or 0), i.pmid)

    keys = {
        "strength": strength,
        "year": lambda r: (-(r.item.year or 0), strength(r)),
        "followup": lambda r: (-(r.item.followup_months or 0), strength(r)),
        "size": lambda r: (-(r.item.sample_size or 0), strength(r)),
        "design": lambda r: (_design_rank(r.item.design), strength(r)),
        "title": lambda r: (r.item.title_text.lower(), r.pmid),
    }
    return keys[sort]


def _design_rank(design: str) -> int:
    return DESIGNS.index(design) if design in DESIGNS else len(DESIGNS)


@dataclass(frozen=True)
class MapPage:
    """One page of the filtered, sorted table."""

    rows: tuple[MapRow, ...]
    matched: int  # rows the filter kept, on all pages
    total: int  # rows in the tab before filtering
    page: int
    pages: int

    @property
    def synthetic(self) -> bool:
        return any(row.item.synthetic for row in self.rows)


def select(rows: Sequence[MapRow], query: MapQuery, page_size: int | None = PAGE_SIZE) -> MapPage:
    """The rows ``query`` keeps, sorted, and the page it asks for (all, with no page size)."""
    kept = sorted((r for r in rows if _keeps(r, query)), key=_sort_key(query.sort))
    if page_size is None:
        return MapPage(tuple(kept), len(kept), len(rows), 1, 1)
    pages = max(1, -(-len(kept) // page_size))
    page = min(query.page, pages)
    start = (page - 1) * page_size
    return MapPage(tuple(kept[start : start + page_size]), len(kept), len(rows), page, pages)


def years_of(rows: Iterable[MapRow]) -> list[int]:
    """The publication years present, newest first (the year filter's choices)."""
    return sorted({r.item.year for r in rows if r.item.year}, reverse=True)


def any_synthetic(pairs: Iterable[Pair]) -> bool:
    return any(is_synthetic(a) for a, _ in pairs)


@dataclass(frozen=True)
class MapData:
    """Everything the map shows, read once: the rows of each tab and the landscape of the
    relevant studies (the same ``build_landscape`` as the digests)."""

    rows: Mapping[str, Sequence[MapRow]]
    landscape: Landscape
    years: tuple[int, ...]
    synthetic: bool


def build_map(relevant: Sequence[Pair], uncertain: Sequence[Pair]) -> MapData:
    rows = {"studies": map_rows(relevant), "uncertain": map_rows(uncertain)}
    return MapData(
        rows=rows,
        landscape=build_landscape(relevant),
        years=tuple(years_of([*rows["studies"], *rows["uncertain"]])),
        synthetic=any_synthetic([*relevant, *uncertain]),
    )
