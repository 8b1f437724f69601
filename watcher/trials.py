"""A registered trial as the registry describes it, and what happened to it since: plain
frozen records shared by the registry watcher, the store and the digests.

Dates are the registry's own partial ISO dates ("2027-06" or "2027-06-15"); each has a type,
"ACTUAL" or "ESTIMATED" (the registry's word for a planned date). ``raw`` is the study's JSON
as the registry sent it, kept so that records can be re-read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watcher.vocabulary import TRIAL_ONGOING, TRIAL_STATUS_LABELS, TRIAL_STOPPED


@dataclass(frozen=True)
class TrialReference:
    """A publication the registry record cites; ``kind`` is the registry's type: RESULT
    (reports this trial), BACKGROUND or DERIVED (indexed by the registry from PubMed)."""

    pmid: str
    kind: str = ""
    citation: str = ""


@dataclass(frozen=True)
class Trial:
    """One registered study (ClinicalTrials.gov API v2 ``protocolSection`` and ``hasResults``)."""

    nct_id: str
    title: str
    acronym: str = ""
    status: str = "UNKNOWN"  # a key of watcher.vocabulary.TRIAL_STATUS_LABELS (or the registry's)
    why_stopped: str = ""
    study_type: str = ""  # INTERVENTIONAL | OBSERVATIONAL | EXPANDED_ACCESS
    phases: tuple[str, ...] = ()  # e.g. ("NA",) for a device trial, ("PHASE3",)
    allocation: str = ""  # RANDOMIZED | NON_RANDOMIZED | NA
    enrollment: int | None = None
    enrollment_type: str = ""  # ACTUAL | ESTIMATED
    start_date: str = ""
    start_date_type: str = ""
    primary_completion_date: str = ""
    primary_completion_type: str = ""
    completion_date: str = ""
    completion_type: str = ""
    last_update_posted: str = ""
    has_results: bool = False
    results_first_posted: str = ""
    sponsor: str = ""
    sponsor_class: str = ""
    conditions: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()  # "DEVICE: mild® procedure"
    arms: tuple[str, ...] = ()  # "EXPERIMENTAL: MILD + CMM"
    followup_months: float | None = None  # the longest outcome time frame the record plans
    references: tuple[TrialReference, ...] = ()
    raw: str = field(default="", repr=False, compare=False)

    @property
    def status_label(self) -> str:
        return TRIAL_STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())

    @property
    def ongoing(self) -> bool:
        return self.status in TRIAL_ONGOING

    @property
    def stopped(self) -> bool:
        return self.status in TRIAL_STOPPED

    @property
    def randomized(self) -> bool:
        return self.allocation == "RANDOMIZED"

    @property
    def expected_completion(self) -> tuple[str, str]:
        """(date, type) of the completion the digest names: the primary completion (when the
        main results can be known), else the study's completion."""
        if self.primary_completion_date:
            return self.primary_completion_date, self.primary_completion_type
        return self.completion_date, self.completion_type

    @property
    def result_pmids(self) -> tuple[str, ...]:
        """PMIDs the registry lists as reporting this trial's results."""
        return tuple(r.pmid for r in self.references if r.kind == "RESULT")

    @property
    def synthetic(self) -> bool:
        """Sample data: the digest then carries the SYNTHETIC banner."""
        return self.title.startswith("[SYNTHETIC]")


@dataclass(frozen=True)
class TrialEvent:
    """A change the registry watcher saw in a trial (kinds: watcher.vocabulary
    TRIAL_EVENT_KINDS); ``old``/``new`` are the values before and after, ``detail`` what a
    reader needs besides (the reason a trial stopped, which date moved)."""

    nct_id: str
    kind: str
    at: str
    old: str = ""
    new: str = ""
    detail: str = ""
    run_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class TrialLink:
    """A paper connected to a trial, and how we know: "registry" (the trial record cites the
    PMID), or where the paper names the trial ("databank", "title", "abstract")."""

    nct_id: str
    pmid: str
    source: str


@dataclass(frozen=True)
class RegistrySearch:
    """The saved registry search: the API's ``query.term`` (anywhere in the record),
    ``query.intr`` (interventions) and ``query.cond`` (conditions); empty ones are not sent.
    Each revision is kept with who changed it and why."""

    term: str = ""
    intr: str = ""
    cond: str = ""
    revision: int = 0
    changed_at: str = ""
    author: str = ""
    reason: str = ""

    def params(self) -> dict[str, str]:
        """The ``query.*`` parameters to send."""
        pairs = (("query.term", self.term), ("query.intr", self.intr), ("query.cond", self.cond))
        return {name: value for name, value in pairs if value.strip()}

    def describe(self) -> str:
        return " AND ".join(f"{k}={v!r}" for k, v in self.params().items()) or "(empty)"
