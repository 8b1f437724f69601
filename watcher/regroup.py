"""Keeping the stored study groups current, and the librarians' decisions about them.

``regroup`` runs the pure :func:`watcher.studies.group_studies` over the relevant classified
papers and the decisions, and rewrites the stored groups; polls, imports and re-tagging call
it after they store. ``merge``, ``split`` and ``confirm`` record a librarian's decision (by
PMID, so it outlives re-tagging) and regroup in the same transaction: the library under
``mildwatch studies``.
"""

from __future__ import annotations

from collections.abc import Sequence

from watcher.errors import StudyError
from watcher.store import Store
from watcher.studies import group_papers, group_studies, study_of
from watcher.studylinks import counts_as_evidence, name_key
from watcher.studypapers import facts_of
from watcher.studyrecords import Decision, PaperStudy, Study


def current_studies(store: Store) -> tuple[Study, ...]:
    """The studies as the stored papers, tags and decisions make them now (reads only): the
    relevant papers that count as evidence, as the digests count them."""
    pairs = [(a, e) for a, e in store.classified() if counts_as_evidence(a)]
    return group_studies(pairs, store.study_decisions())


def regroup(store: Store, *, now: str) -> tuple[PaperStudy, ...]:
    """Recompute and store the groups (in the caller's transaction, or one of its own), from
    the papers' stored facts (``Store.study_papers``): memory a few hundred bytes a paper,
    and no record read again. Tagging stores each paper's facts; those it has not (papers
    tagged before they were kept, or whose design now needs clues) are read here first."""
    with store.transaction():
        for article, design in list(store.papers_lacking_facts()):
            store.save_paper_facts(facts_of(article, design))
        studies = group_papers(store.study_papers(), store.study_decisions())
        store.save_studies(studies, now=now)
    return studies


def find_study(studies: Sequence[Study], ref: str) -> Study:
    """The study ``ref`` names: one of its PMIDs, its name ("PORTAL-LSS") or registration."""
    ref = ref.strip()
    if ref.isdigit():
        found = study_of(studies, ref)
        if found is None:
            raise StudyError(
                f"PMID {ref} is not among the relevant, classified papers (retracted papers and "
                f"notices count for no study); check it with `mildwatch articles show {ref}`"
            )
        return found
    key = name_key(ref)
    named = [s for s in studies if key in {name_key(v) for v in (*s.names, *s.registrations)}]
    if not named:
        raise StudyError(
            f"no study is called {ref!r}; `mildwatch studies list` shows the names, or give a PMID"
        )
    if len(named) > 1:
        keys = ", ".join(s.key for s in named)
        raise StudyError(f"{len(named)} studies are called {ref!r} (keys {keys}); give a PMID")
    return named[0]


def _decide(store: Store, decision: Decision, *, now: str) -> tuple[Study, ...]:
    """Record ``decision`` and regroup; the studies with their records, to show."""
    with store.transaction():
        store.add_study_decision(decision, now=now)
        regroup(store, now=now)
    return current_studies(store)


def merge(store: Store, refs: Sequence[str], *, author: str, reason: str, now: str) -> Study:
    """One study from the studies ``refs`` name (at least two); returns the merged study."""
    if len(refs) < 2:
        raise StudyError("name at least two studies to merge (PMIDs or study names)")
    studies = current_studies(store)
    chosen = {s.key: s for s in (find_study(studies, ref) for ref in refs)}
    if len(chosen) < 2:
        (study,) = chosen.values()
        raise StudyError(f"these are already one study ({_called(study)}); nothing to merge")
    pmids = tuple(p for s in chosen.values() for p in s.pmids)
    after = _decide(store, Decision("merge", pmids, author=author, reason=reason), now=now)
    return _containing(after, pmids[0])


def split(
    store: Store, pmids: Sequence[str], *, author: str, reason: str, now: str
) -> tuple[Study, Study]:
    """Take the reports ``pmids`` out of their study into one of their own; returns (the new
    study, what remains of the old one)."""
    moved = tuple(dict.fromkeys(p.strip() for p in pmids))
    if not moved or not all(p.isdigit() for p in moved):
        raise StudyError("split takes the PMIDs of the reports to take out of their study")
    studies = current_studies(store)
    owners = {s.key: s for s in (find_study(studies, p) for p in moved)}
    if len(owners) != 1:
        keys = ", ".join(sorted(owners))
        raise StudyError(
            f"these reports belong to {len(owners)} studies ({keys}); split one study at a time"
        )
    (study,) = owners.values()
    others = tuple(p for p in study.pmids if p not in moved)
    if not others:
        raise StudyError(
            f"{_called(study)} has no other reports to split them from; nothing to split"
        )
    decision = Decision("split", moved, others, author=author, reason=reason)
    after = _decide(store, decision, now=now)
    return _containing(after, moved[0]), _containing(after, others[0])


def confirm(store: Store, ref: str, *, author: str, reason: str, now: str) -> Study:
    """A librarian checked the study ``ref`` names: its reports stay together."""
    study = find_study(current_studies(store), ref)
    if len(study.reports) < 2:
        raise StudyError(f"{_called(study)} has one report; there is no grouping to confirm")
    decision = Decision("confirm", study.pmids, author=author, reason=reason)
    return _containing(_decide(store, decision, now=now), study.pmids[0])


def _containing(studies: Sequence[Study], pmid: str) -> Study:
    found = study_of(studies, pmid)
    assert found is not None, pmid  # every classified paper is in exactly one study
    return found


def _called(study: Study) -> str:
    return f"study {study.key}" + (f" ({study.name})" if study.name else "")
