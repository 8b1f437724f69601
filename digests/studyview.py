"""Studies as a digest shows them: a note on each report of a study with several ("2-year report
of PORTAL-LSS; earlier: 1-year (PMID …)"), one paper per study in a baseline, the studies
followed over time, their follow-up tracks for the chart, and what grew since the subscriber's
previous digest.

Pure functions from :class:`watcher.studies.Study` (grouped by ``digests.landscape``) to the
view model. A digest row keeps ``studies_summary`` of its landscape, so the next digest can
tell that a study's longest follow-up grew: a study is found again by any PMID it shares with
one summarised before, because a study's key may change as reports join it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from digests.studymodel import FollowedStudy, FollowUpGrowth, ReportRef, StudyNote, StudyTrack
from digests.wording import citation
from watcher.records import Article, Evidence
from watcher.studies import report_label
from watcher.studyrecords import PROBABLY, Report, Study


def study_label(study: Study) -> str:
    """Its name ("PORTAL-LSS"), registration, or else its main report's citation."""
    return study.name or citation(study.main.article)


def report_ref(report: Report) -> ReportRef:
    return ReportRef(report_label(report), report.pmid, report.article.pub_year)


def one_per_study(
    pairs: Sequence[tuple[Article, Evidence]], studies: Sequence[Study]
) -> tuple[list[tuple[Article, Evidence]], list[str]]:
    """The first (strongest) paper of each study in ``pairs``, and the PMIDs of the others: a
    baseline shows a trial once, its item naming its other reports."""
    key_of = {pmid: s.key for s in studies for pmid in s.pmids}
    kept, others, seen = [], [], set()
    for pair in pairs:
        key = key_of.get(pair[0].pmid, pair[0].pmid)
        if key in seen:
            others.append(pair[0].pmid)
        else:
            seen.add(key)
            kept.append(pair)
    return kept, others


def _refs(reports: Iterable[Report]) -> str:
    return ", ".join(f"{report_ref(r).short} (PMID {r.pmid})" for r in reports)


def study_note(study: Study, pmid: str) -> StudyNote | None:
    """How the item for ``pmid`` says which study it reports; None for a single-report study."""
    report = study.report(pmid)
    if report is None or len(study.reports) < 2:
        return None
    position = study.reports.index(report)
    earlier, later = study.reports[:position], study.reports[position + 1 :]
    this = report_label(report)
    probable = study.status == PROBABLY
    if probable:
        head = (
            f"Probably the {this} of the study {'reported earlier' if earlier else 'below'} "
            "(same design and sample size, authors in common)"
        )
    elif study.name:
        registered = [r for r in study.registrations if r != study.name]
        head = f"{this[0].upper()}{this[1:]} of {study.name}"
        head += f" ({registered[0]})" if registered else ""
    else:
        head = f"{this[0].upper()}{this[1:]} of a study with other reports"
    parts = [head]
    if earlier:
        parts.append(f"earlier: {_refs(earlier)}")
    if later:
        parts.append(f"later: {_refs(later)}")
    return StudyNote(
        text="; ".join(parts),
        head=head,
        report=this,
        name=study.name,
        earlier=tuple(report_ref(r) for r in earlier),
        later=tuple(report_ref(r) for r in later),
        probable=probable,
    )


def study_notes(studies: Iterable[Study]) -> dict[str, StudyNote]:
    """PMID → note, for every report of a study with several."""
    notes = {}
    for study in studies:
        for report in study.reports:
            note = study_note(study, report.pmid)
            if note is not None:
                notes[report.pmid] = note
    return notes


def followed_studies(studies: Iterable[Study]) -> tuple[FollowedStudy, ...]:
    """Studies with results and more than one report, strongest first."""
    followed = [s for s in studies if s.has_results and len(s.reports) > 1]
    return tuple(
        FollowedStudy(
            name=study_label(s),
            design=s.design,
            reports=tuple(report_ref(r) for r in s.reports),
            main_pmid=s.main.pmid,
            sample_size=s.sample_size,
            followup_months=s.followup_months,
            probable=s.status == PROBABLY,
        )
        for s in sorted(followed, key=lambda s: s.strength)
    )


def study_tracks(studies: Iterable[Study]) -> tuple[StudyTrack, ...]:
    """Each study's longest follow-up so far at each report that gives one (by year)."""
    tracks = []
    for study in sorted(studies, key=lambda s: s.strength):
        best = 0.0
        points: dict[int, float] = {}
        for report in study.results:
            months, year = report.followup_months, report.article.pub_year
            if months is None or year is None:
                continue
            best = max(best, months)
            points[year] = best
        if points:
            tracks.append(StudyTrack(study_label(study), study.design, tuple(points.items())))
    return tuple(tracks)


def follow_up_growth(
    studies: Iterable[Study], previous: Mapping[str, Any] | None
) -> tuple[FollowUpGrowth, ...]:
    """Studies whose longest follow-up is longer than in ``previous`` (the subscriber's last
    digest's summary), longest first. A study new since then has not *grown*: it is news of
    its own. Summaries written before studies were kept give nothing to compare."""
    before: dict[str, float] = {}  # PMID → the follow-up its study had then
    for entry in (previous or {}).get("studies") or ():
        for pmid in entry["pmids"]:
            if entry["months"]:
                before[pmid] = max(before.get(pmid, 0.0), float(entry["months"]))
    grown = []
    for study in sorted(studies, key=lambda s: s.strength):
        longest = study.longest
        if longest is None or longest.followup_months is None:
            continue
        earlier = [before[p] for p in study.pmids if p in before]
        if earlier and longest.followup_months > max(earlier):
            grown.append(
                FollowUpGrowth(
                    name=study_label(study),
                    months=longest.followup_months,
                    previous_months=max(earlier),
                    pmid=longest.pmid,
                    citation=citation(longest.article),
                )
            )
    return tuple(sorted(grown, key=lambda g: -g.months))  # stable: stronger studies first


def studies_summary(studies: Iterable[Study]) -> list[dict[str, Any]]:
    """What a digest keeps of each study with a follow-up, for the next one to compare."""
    return [
        {"key": s.key, "name": study_label(s), "pmids": list(s.pmids), "months": s.followup_months}
        for s in studies
        if s.followup_months is not None
    ]
