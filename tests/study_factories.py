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
