"""The balance part of the view model: harms by kind, the "nothing happened" line, and how
much of the evidence is independent of industry (filled by :mod:`digests.safety`).

Apart from :mod:`digests.model` because it is one question's view, with its own wording, as
:mod:`digests.studymodel` is for study groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from digests.wording import (
    design_label,
    harm_label,
    lower_first,
    plural,
    pubmed_url,
    sponsorship_label,
)
from watcher.vocabulary import SPONSORSHIP

if TYPE_CHECKING:
    from digests.model import Count


@dataclass(frozen=True)
class HarmReport:
    """One study's report of one kind of harm, as "How safe is it?" lists it."""

    pmid: str
    citation: str  # "Kowalczyk T et al. 2013"
    design: str
    facts: str  # "3 of 120 patients (2.5%); serious; needed surgery"
    snippet: str  # the study's words, clipped
    serious: bool = False  # serious, or it needed surgery: listed before minor ones
    year: int | None = None  # publication year: the more recent listed first among equals

    @property
    def design_label(self) -> str:
        return design_label(self.design)

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True)
class HarmGroup:
    """One kind of harm and every study that reports it; a digest lists only some of them
    (``listed_only``, chosen by :mod:`digests.listing`) and counts the rest."""

    kind: str  # a key of watcher.vocabulary.HARM_KINDS
    reports: tuple[HarmReport, ...]  # every study that reports it: the count is of these
    listed_only: tuple[HarmReport, ...] | None = None  # None: every one is listed

    @property
    def label(self) -> str:
        return harm_label(self.kind)

    @property
    def noun(self) -> str:
        """The label inside a sentence: "dural tear or CSF leak"."""
        return lower_first(self.label)

    @property
    def listed(self) -> tuple[HarmReport, ...]:
        return self.reports if self.listed_only is None else self.listed_only

    @property
    def more(self) -> int:
        """Studies of this kind counted but not listed."""
        return len(self.reports) - len(self.listed)


@dataclass(frozen=True)
class Safety:
    """How safe it is: harms first, by kind; then, apart, the studies that said none occurred."""

    harms: tuple[HarmGroup, ...] = ()
    no_events: int = 0  # studies stating no procedure-related adverse events occurred
    no_serious: int = 0  # further studies stating that none were serious

    @property
    def cut(self) -> bool:
        """Some kind lists fewer reports than it counts (digests.listing)."""
        return any(group.more for group in self.harms)

    @property
    def harm_studies(self) -> int:
        return len({r.pmid for group in self.harms for r in group.reports})

    @property
    def absence_line(self) -> str:
        """The one short line for "nothing happened" statements ("" when there are none)."""
        if not self.no_events and not self.no_serious:
            return ""
        parts = []
        if self.no_events:
            parts.append(f"{plural(self.no_events, 'study', 'studies')} stated that no "
                         "procedure-related adverse events occurred")  # fmt: skip
        if self.no_serious:
            who = (
                f"{self.no_serious} more"
                if self.no_events
                else plural(self.no_serious, "study", "studies")
            )
            parts.append(f"{who} that none were serious")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class Independence:
    """How much of the evidence is independent of industry: studies and their patients per
    sponsorship value (patients of primary studies only: a review's are others')."""

    studies: tuple[Count, ...] = ()  # per watcher.vocabulary.SPONSORSHIP key
    patients: tuple[Count, ...] = ()

    def _get(self, counts: tuple[Count, ...], key: str) -> int:
        return next((c.count for c in counts if c.key == key), 0)

    @property
    def line(self) -> str:
        """ "Independent: 5 of 22 studies (410 of 2,950 patients); industry: 7 studies
        (1,234 patients); funding not stated: 10 studies"."""
        total = sum(c.count for c in self.studies)
        people = sum(c.count for c in self.patients)

        def patients(n: int) -> str:
            return f"{n:,} patient" + ("" if n == 1 else "s")

        n, p = self._get(self.studies, "independent"), self._get(self.patients, "independent")
        parts = [f"Independent: {n} of {plural(total, 'study', 'studies')}"]
        if people:
            parts[0] += f" ({p:,} of {patients(people)})"
        for key in (k for k in SPONSORSHIP if k != "independent"):
            n, p = self._get(self.studies, key), self._get(self.patients, key)
            label = sponsorship_label(key)
            text = f"{label[0].lower() + label[1:]}: {plural(n, 'study', 'studies')}"
            parts.append(text + (f" ({patients(p)})" if p else ""))
        return "; ".join(parts)
