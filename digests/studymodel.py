"""The view model of studies with several reports, as a digest shows them: a report named
("1-year report (2014, PMID …)"), the note on an item that is one of several reports, a study
followed over time, a study whose follow-up grew, and its track on the timeline chart.

Frozen records only, filled by ``digests.studyview``; apart from ``digests.model`` (which uses
them in ``DigestItem`` and ``Landscape``) to keep each module one screenful of one job.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.wording import design_label, format_months, pubmed_url


@dataclass(frozen=True)
class ReportRef:
    """One report of a study, as a digest names it: "1-year report (2014, PMID …)"."""

    label: str  # "protocol", "1-year report", "6-month report", "report"
    pmid: str
    year: int | None = None

    @property
    def short(self) -> str:
        """ "1-year", "protocol": the label without the word "report"."""
        return self.label.removesuffix(" report") or self.label

    @property
    def text(self) -> str:
        """ "1-year 2014 (PMID 99000006)"."""
        year = f" {self.year}" if self.year else ""
        return f"{self.short}{year} (PMID {self.pmid})"

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True)
class StudyNote:
    """On a digest item: this paper is one report of a study with other reports.

    ``text`` says it in one line ("2-year report of PORTAL-LSS; earlier: 1-year (PMID …)");
    ``earlier`` and ``later`` are the other reports in publication order, for links.
    """

    text: str
    head: str  # ``text`` before the other reports: "2-year report of PORTAL-LSS (NCT…)"
    report: str  # this paper's label, e.g. "2-year report"
    name: str  # the study's name or registration, "" when it has neither
    earlier: tuple[ReportRef, ...] = ()
    later: tuple[ReportRef, ...] = ()
    probable: bool = False  # joined by the weak signal only: "probably the same study"


@dataclass(frozen=True)
class FollowedStudy:
    """A study with more than one report: its reports in order, its size from the main report
    and its longest follow-up so far."""

    name: str  # "PORTAL-LSS", or a citation of its main report
    design: str
    reports: tuple[ReportRef, ...]
    main_pmid: str
    sample_size: int | None = None
    followup_months: float | None = None
    probable: bool = False

    @property
    def design_label(self) -> str:
        return design_label(self.design)


@dataclass(frozen=True)
class FollowUpGrowth:
    """A study whose longest follow-up grew since the subscriber's previous digest."""

    name: str
    months: float
    previous_months: float
    pmid: str  # the report that gives the longer follow-up
    citation: str

    @property
    def text(self) -> str:
        """ "PORTAL-LSS: now 24 months, was 12"."""
        was = format_months(self.previous_months).removesuffix(" months").removesuffix(" month")
        return f"{self.name}: now {format_months(self.months)}, was {was}"

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True)
class StudyTrack:
    """One study on the timeline chart: its longest follow-up so far, year by year."""

    name: str
    design: str
    points: tuple[tuple[int, float], ...]  # (year, months) at each report that told one
