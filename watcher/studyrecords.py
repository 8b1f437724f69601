"""A study and its reports as records: the links that joined them and the figures a study
takes from its reports (sample size from the main report, the longest follow-up, the strongest
design), computed once per study. Apart from the grouping (:mod:`watcher.studies`) because the
store, the digests and the CLI read these records without grouping anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from watcher.records import Article, Evidence
from watcher.studylinks import RESULTS
from watcher.studypapers import Paper
from watcher.vocabulary import DESIGNS, LEVELS

# Link kinds, strongest first.
LIBRARIAN, REGISTRY, NAME, PROBABLE = "librarian", "registry", "name", "probable"
LINK_KINDS = (LIBRARIAN, REGISTRY, NAME, PROBABLE)
DECISION_KINDS = ("merge", "split", "confirm")

SINGLE, LINKED, PROBABLY, CONFIRMED = "single", "linked", "probable", "confirmed"


@dataclass(frozen=True)
class Decision:
    """A librarian's word on which papers report one study.

    ``merge`` and ``confirm``: every paper in ``pmids`` reports the same study. ``split``: the
    papers in ``pmids`` report a study of their own, apart from those in ``others``.
    """

    kind: str
    pmids: tuple[str, ...]
    others: tuple[str, ...] = ()
    author: str = ""
    reason: str = ""
    at: str = ""
    id: int = 0


@dataclass(frozen=True)
class Link:
    """Why two papers are taken for reports of one study."""

    kind: str  # one of LINK_KINDS
    detail: str  # "NCT01234567", "PORTAL-LSS", "same design, n = 58, shared author …", a note
    pmids: tuple[str, str]


@dataclass(frozen=True)
class Report(Paper):
    """One paper as a report of its study: what grouping read of it (every figure below comes
    from that) with its record and tags, which the digests show."""

    article: Article
    evidence: Evidence


P = TypeVar("P", bound=Paper)


@dataclass(frozen=True)
class _Figures(Generic[P]):
    """The reports of one study, in publication order, and the links that joined them.

    Its figures are computed once (``cached_property``: frozen fields, derived values)."""

    reports: tuple[P, ...]
    links: tuple[Link, ...] = ()
    names: tuple[str, ...] = ()  # its names, most used first
    registrations: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The lowest PMID among its reports: it stays while the study keeps that report."""
        return min((r.pmid for r in self.reports), key=int_pmid)

    @property
    def pmids(self) -> tuple[str, ...]:
        return tuple(r.pmid for r in self.reports)

    @property
    def name(self) -> str:
        """Its name or registration ("PORTAL-LSS", "NCT01234567"), "" when it has neither."""
        return (self.names or self.registrations or ("",))[0]

    @property
    def status(self) -> str:
        """``single`` (one report), ``confirmed`` (every link a librarian's), ``probable``
        (a weak link holds it together), else ``linked``."""
        kinds = {link.kind for link in self.links}
        if len(self.reports) == 1:
            return SINGLE
        if kinds == {LIBRARIAN}:
            return CONFIRMED
        return PROBABLY if PROBABLE in kinds else LINKED

    @cached_property
    def results(self) -> tuple[P, ...]:
        return tuple(r for r in self.reports if r.kind == RESULTS)

    @property
    def has_results(self) -> bool:
        return bool(self.results)

    @cached_property
    def main(self) -> P:
        """The report the study's sample size comes from (why: :mod:`watcher.studies`)."""
        results = self.results
        stated = [r for r in results if r.sample_size is not None]
        return (stated or list(results) or list(self.reports))[0]

    @property
    def sample_size(self) -> int | None:
        return self.main.sample_size

    @cached_property
    def longest(self) -> P | None:
        """The report with the longest follow-up (the first to reach it), None if none gives one."""
        timed = [r for r in self.results if r.followup_months is not None]
        return max(timed, key=lambda r: r.followup_months or 0.0) if timed else None

    @property
    def followup_months(self) -> float | None:
        longest = self.longest
        return longest.followup_months if longest else None

    @cached_property
    def design(self) -> str:
        """The strongest design among its results reports (a 2-year report called a cohort
        does not make a trial a cohort), the protocol's while there are no results."""
        designs = [r.design for r in (self.results or self.reports)]
        return min(designs, key=_rank(DESIGNS))

    @cached_property
    def level(self) -> str | None:
        levels = [r.level for r in (self.results or self.reports) if r.level]
        return min(levels, key=_rank(LEVELS)) if levels else None

    @cached_property
    def question_keys(self) -> tuple[str, ...]:
        """Every question a results report addresses, each once."""
        keys = [q for r in self.results for q in r.question_keys]
        return tuple(dict.fromkeys(keys))

    @cached_property
    def strength(self) -> tuple[int, float, int, int]:
        """Sort key, strongest first: level, then longer follow-up, larger n, older."""
        level = _rank(LEVELS)(self.level)
        return (level, -(self.followup_months or 0.0), -(self.sample_size or 0), int_pmid(self.key))

    def report(self, pmid: str) -> P | None:
        return next((r for r in self.reports if r.pmid == pmid), None)

    def links_of(self, pmid: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if pmid in link.pmids)


@dataclass(frozen=True)
class Study(_Figures[Report]):
    """A study with its reports' records and tags: what digests and ``mildwatch studies``
    show."""


@dataclass(frozen=True)
class PaperStudy(_Figures[Paper]):
    """The same study from its papers' compact data alone: what the stored groups are
    written from (``group_papers``), without holding every record."""


def int_pmid(pmid: str) -> int:
    return int(pmid) if pmid.isdigit() else 0


def _rank(order: Sequence[str]) -> Callable[[str | None], int]:
    """A sort key: position in ``order``, unknown keys last."""
    return lambda key: order.index(key) if key in order else len(order)
