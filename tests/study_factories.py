"""Synthetic PubMed records of studies reported several times, for the tests that run them
through the real parser, classifier and store: a trial (HARBOR-2) with 1-, 2- and 5-year
reports, tied by its name in some and its registration in others, and a cohort whose 5-year
report shares only its design, size and authors with its 1-year report."""

from __future__ import annotations

from datetime import date

from tests.factories import record
from watcher.localpubmed.synthetic_xml import Author

NCT = "NCT01110001"
TRIAL_TYPES = ("Randomized Controlled Trial",)
TRIAL_AUTHORS = (Author("Okafor", "Ngozi"), Author("Berglund", "Karin"))
COHORT_AUTHORS = (Author("Lindgren", "Karl"), Author("Osei", "Bea"))


def trial_abstract(months: int) -> tuple[tuple[str, str], ...]:
    return (
        ("METHODS", "Adults with lumbar spinal stenosis and neurogenic claudication were "
         "randomized to percutaneous image-guided lumbar decompression (the mild procedure) or "
         "epidural steroid injection (n = 240)."),
        ("RESULTS", f"At {months} months, walking tolerance had improved more after "
         "decompression than after injection."),
    )  # fmt: skip


def cohort_abstract(months: int) -> tuple[tuple[str, str], ...]:
    return (
        ("METHODS", "Prospective cohort study. Ninety patients with lumbar spinal stenosis "
         "underwent percutaneous image-guided lumbar decompression (the mild procedure)."),
        ("RESULTS", f"At {months} months, pain scores remained lower than at baseline."),
    )  # fmt: skip


def trial_report(pmid: int, months: int, day: date, *, named: bool, registered: bool) -> str:
    """A report of HARBOR-2 at ``months``; its title names the trial when ``named``, and
    PubMed lists its registration when ``registered``."""
    title = (
        f"{months}-month results of the HARBOR-2 randomized controlled trial of decompression"
        if named
        else f"Decompression versus injection for stenosis: {months}-month results"
    )
    return record(
        pmid,
        day,
        title=title,
        abstract=trial_abstract(months),
        publication_types=TRIAL_TYPES,
        authors=TRIAL_AUTHORS,
        databanks=(("ClinicalTrials.gov", NCT),) if registered else (),
    )


def cohort_report(pmid: int, months: int, day: date) -> str:
    return record(
        pmid,
        day,
        title=f"Decompression for stenosis in a prospective cohort: {months}-month outcomes",
        abstract=cohort_abstract(months),
        authors=COHORT_AUTHORS,
    )


def other_study(pmid: int, day: date) -> str:
    """A study of its own (its own author, no name, no registration)."""
    return record(pmid, day, abstract=(*cohort_abstract(12)[:1], ("RESULTS", "Pain fell.")))


def reported_studies(base: int) -> list[str]:
    """HARBOR-2 reported three times (PMIDs base+1..3: by name, by name and registration, by
    registration), the cohort twice (base+11, base+12: the weak signal) and two studies of
    their own (base+21, base+22)."""
    return [
        trial_report(base + 1, 12, date(2014, 3, 1), named=True, registered=False),
        trial_report(base + 2, 24, date(2015, 4, 1), named=True, registered=True),
        trial_report(base + 3, 60, date(2019, 5, 1), named=False, registered=True),
        cohort_report(base + 11, 12, date(2013, 1, 1)),
        cohort_report(base + 12, 60, date(2018, 1, 1)),
        other_study(base + 21, date(2016, 1, 1)),
        other_study(base + 22, date(2017, 1, 1)),
    ]
