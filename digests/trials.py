"""The digest's "Evidence on its way": registered trials, what changed in them since the
subscriber's last digest, and completed trials still unpublished (publication lag).

The view records here are filled from the store (``TrialPlanner``) and shown by the
``_trials.*.j2`` partials; ``trial_notes`` gives a paper in the digest its trial ("Reports
trial NCT… (LIFT-LSS): follow-up planned to 5 years; …"). A change is reported once per
subscriber: the event ids go into the ``delivered_trial_events`` ledger with the digest. A
first digest (baseline) shows where the trials stand and records every earlier change as
told, so the next digest holds only what changed after it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from digests.model import DigestItem
from digests.wording import plural
from watcher.store import Store
from watcher.trials import Trial, TrialEvent, TrialLink
from watcher.vocabulary import TRIAL_EVENT_KINDS, TRIAL_EVENT_LABELS, TRIAL_STATUS_LABELS

LAG_MONTHS = 12  # a completed trial unpublished this long is "publication lag"
TRIALS_SHOWN = 15  # registered trials listed; the rest are counted
REPORTING_SOURCES = ("registry", "databank")  # links that say a paper reports the trial


def registry_url(nct_id: str) -> str:
    return f"https://clinicaltrials.gov/study/{nct_id}"


def month_label(iso_date: str) -> str:
    """ "2027-09" or "2027-09-15" → "Sep 2027"; "2027" stays; "" → "no date"."""
    parts = iso_date.split("-")
    if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        return f"{calendar.month_abbr[int(parts[1])]} {parts[0]}"
    return iso_date or "no date"


def _status(key: str) -> str:
    return TRIAL_STATUS_LABELS.get(key, key.replace("_", " ").capitalize())


def _when(label: str, iso_date: str, kind: str) -> str:
    """ "primary completion Dec 2019" (actual) or "… expected Aug 2026" (estimated)."""
    if not iso_date:
        return ""
    expected = " expected" if kind.upper() == "ESTIMATED" else ""
    return f"{label}{expected} {month_label(iso_date)}"


def _years(months: float) -> str:
    if months >= 12 and months % 12 == 0:
        return plural(int(months // 12), "year")
    return plural(round(months), "month")


def trial_facts(trial: Trial) -> str:
    """One line of what a surgeon weighs: design, size, planned follow-up, expected dates."""
    facts = []
    if trial.randomized:
        facts.append("randomised")
    elif trial.study_type == "OBSERVATIONAL":
        facts.append("observational")
    elif trial.study_type:
        facts.append("single-arm" if trial.allocation in ("", "NA") else "non-randomised")
    if trial.enrollment is not None:
        planned = " planned" if trial.enrollment_type == "ESTIMATED" else ""
        facts.append(f"{trial.enrollment:,}{planned} patients")
    if trial.followup_months:
        facts.append(f"follow-up planned to {_years(trial.followup_months)}")
    facts.append(
        _when("primary completion", trial.primary_completion_date, trial.primary_completion_type)
    )
    facts.append(_when("study completion", trial.completion_date, trial.completion_type))
    if trial.has_results:
        facts.append(f"results posted {month_label(trial.results_first_posted)}".strip())
    return "; ".join(f for f in facts if f)


@dataclass(frozen=True)
class TrialLine:
    """One registered trial as the digest lists it."""

    nct_id: str
    title: str  # plain text
    acronym: str
    status: str  # the registry's key
    facts: str
    papers: tuple[str, ...] = ()  # PMIDs of stored papers that report it
    synthetic: bool = False

    @property
    def status_label(self) -> str:
        return _status(self.status)

    @property
    def url(self) -> str:
        return registry_url(self.nct_id)

    @property
    def name(self) -> str:
        """The NCT id, with the acronym when the title does not already say it."""
        shown = self.acronym and self.acronym not in self.title
        return f"{self.nct_id} ({self.acronym})" if shown else self.nct_id


@dataclass(frozen=True)
class TrialChange:
    """A change in a registered trial since the subscriber's last digest, said in words."""

    nct_id: str
    title: str
    kind: str  # a key of watcher.vocabulary.TRIAL_EVENT_LABELS
    text: str
    synthetic: bool = False

    @property
    def label(self) -> str:
        return TRIAL_EVENT_LABELS.get(self.kind, self.kind)

    @property
    def url(self) -> str:
        return registry_url(self.nct_id)


@dataclass(frozen=True)
class TrialsView:
    """The "Evidence on its way" section."""

    trials: tuple[TrialLine, ...] = ()
    more: int = 0  # trials not listed
    changes: tuple[TrialChange, ...] = ()
    lagging: tuple[TrialLine, ...] = ()  # completed ≥ LAG_MONTHS ago, no publication linked
    lag_months: int = LAG_MONTHS

    @property
    def synthetic(self) -> bool:
        return any(t.synthetic for t in (*self.trials, *self.changes, *self.lagging))


def headline_note(view: TrialsView | None) -> str:
    """What the subject line adds for trial news: "1 trial stopped, 3 trial updates" (a trial
    terminated matters as much as a publication)."""
    if view is None or not view.changes:
        return ""
    stopped = sum(c.kind in ("terminated", "withdrawn") for c in view.changes)
    others = len(view.changes) - stopped
    parts = [plural(stopped, "trial") + " stopped"] if stopped else []
    if others:
        parts.append(plural(others, "trial update"))
    return ", ".join(parts)


def change_text(event: TrialEvent, trial: Trial) -> str:
    """What changed, in a sentence."""
    kind, old, new = event.kind, _status(event.old), _status(event.new)
    if kind in ("terminated", "withdrawn", "suspended"):
        reason = f" Reason given: {event.detail.rstrip('.')}." if event.detail else ""
        return f"{new} (was {old.lower()}).{reason}"
    if kind == "completed":
        return f"Completed (was {old.lower()}); {_when('completion', event.detail, 'ACTUAL')}."
    if kind == "date_moved":
        which = event.detail.split(" (")[0].capitalize() or "Completion"
        later = event.new > event.old
        verb = "slipped" if later else "moved forward"
        return f"{which} {verb} from {month_label(event.old)} to {month_label(event.new)}."
    if kind == "results_posted":
        return f"Results posted on ClinicalTrials.gov ({month_label(event.new)})."
    if kind == "registered":
        return f"Newly registered: {_status(trial.status).lower()}; {trial_facts(trial)}."
    return f"Now {new.lower()} (was {old.lower()})."


def _months_between(earlier: str, today: date) -> int | None:
    parts = earlier.split("-")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return (today.year - int(parts[0])) * 12 + today.month - int(parts[1])


def is_lagging(trial: Trial, reported: bool, today: date) -> bool:
    """Completed at least LAG_MONTHS ago (actual date) with no publication linked."""
    finished, kind = trial.expected_completion
    months = _months_between(finished, today) if kind == "ACTUAL" else None
    return trial.status == "COMPLETED" and not reported and (months or 0) >= LAG_MONTHS


def _order(trial: Trial) -> tuple[int, str, str]:
    rank = 0 if trial.ongoing else (1 if trial.status == "COMPLETED" else 2)
    return rank, trial.expected_completion[0] or "9999", trial.nct_id


def build_trials_view(
    trials: Sequence[Trial],
    links: Iterable[TrialLink],
    stored_pmids: set[str],
    events: Sequence[TrialEvent],
    *,
    today: date,
) -> TrialsView:
    """The section from the trials the registry search finds, their links, and the events to
    report (pure)."""
    papers: dict[str, list[str]] = {}
    reported: set[str] = set()
    for link in links:
        reported.add(link.nct_id)  # any report, stored here or not, ends the lag
        if link.pmid in stored_pmids:
            papers.setdefault(link.nct_id, []).append(link.pmid)
    ordered = sorted(trials, key=_order)
    lines = [
        TrialLine(
            t.nct_id,
            t.title,
            t.acronym,
            t.status,
            trial_facts(t),
            tuple(sorted(papers.get(t.nct_id, []))),
            t.synthetic,
        )
        for t in ordered
    ]
    by_id = {t.nct_id: t for t in trials}
    rank = {kind: i for i, kind in enumerate(TRIAL_EVENT_KINDS)}
    changes = [
        TrialChange(
            e.nct_id,
            by_id[e.nct_id].title,
            e.kind,
            change_text(e, by_id[e.nct_id]),
            by_id[e.nct_id].synthetic,
        )
        for e in sorted(events, key=lambda e: (rank.get(e.kind, 99), e.nct_id, e.id or 0))
        if e.nct_id in by_id
    ]
    lagging = [line for line, t in zip(lines, ordered, strict=True)
               if is_lagging(t, t.nct_id in reported, today)]  # fmt: skip
    return TrialsView(
        trials=tuple(lines[:TRIALS_SHOWN]),
        more=max(0, len(lines) - TRIALS_SHOWN),
        changes=tuple(changes),
        lagging=tuple(lagging),
    )


class TrialPlanner:
    """The trials section of each digest of one run: the registry's trials and links are read
    once, and a view is built once for each set of news (every baseline shares one)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._registry: tuple[list[Trial], list[TrialLink], set[str]] | None = None
        self._views: dict[tuple[tuple[int | None, ...], date], TrialsView] = {}

    def plan(
        self, subscriber_id: int, *, baseline: bool, today: date
    ) -> tuple[TrialsView | None, tuple[int, ...]]:
        """The section for one subscriber's digest, and the trial events it tells them (a
        baseline tells them nothing new but counts every earlier event as told). None when
        no trial is stored (the registry is off or has not been polled)."""
        if self._registry is None:
            trials = self.store.trials(in_search_only=True)
            links = self.store.trial_links(nct_ids=[t.nct_id for t in trials]) if trials else []
            self._registry = (trials, links, self.store.stored_pmids(k.pmid for k in links))
        trials, links, stored = self._registry
        if not trials:
            return None, ()
        pending = self.store.pending_trial_events(subscriber_id)
        told = () if baseline else pending
        key = (tuple(e.id for e in told), today)
        if key not in self._views:
            self._views[key] = build_trials_view(trials, links, stored, told, today=today)
        return self._views[key], tuple(e.id for e in pending if e.id is not None)


def trial_note(links: Sequence[TrialLink], trials: dict[str, Trial]) -> str:
    """What a paper's trial says about the evidence to come, e.g. "Reports trial
    NCT99000102 (LIFT-LSS): active, not recruiting; randomised; …"."""
    notes = []
    for link in links:
        verb = "Reports trial" if link.source in REPORTING_SOURCES else "Names trial"
        trial = trials.get(link.nct_id)
        if trial is None:
            notes.append(f"{verb} {link.nct_id}.")
            continue
        name = f"{trial.nct_id} ({trial.acronym})" if trial.acronym else trial.nct_id
        notes.append(f"{verb} {name}: {trial.status_label.lower()}; {trial_facts(trial)}.")
    return " ".join(notes)


def annotate_items(store: Store, items: Iterable[DigestItem]) -> list[DigestItem]:
    """The items, each paper linked to a trial carrying its trial note."""
    items = list(items)
    links = store.trial_links(pmids=[item.pmid for item in items]) if items else []
    if not links:
        return items
    trials = {t.nct_id: t for t in store.trials() if t.nct_id in {link.nct_id for link in links}}
    by_pmid: dict[str, list[TrialLink]] = {}
    for link in links:
        by_pmid.setdefault(link.pmid, []).append(link)
    return [
        replace(item, trial_note=trial_note(by_pmid[item.pmid], trials))
        if item.pmid in by_pmid
        else item
        for item in items
    ]
