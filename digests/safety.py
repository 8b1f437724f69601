"""Balance in the digests: how safe the procedure is and who paid for the evidence.

"How safe is it?" lists harms first — each kind with every study that reports it and the
counts it gives, case reports included whatever their level — and then, apart and in one
short line, how many studies said that no adverse events occurred: a pile of "nothing
happened" sentences must not read as the safety record. The landscape says how much of the
evidence (studies and patients) is independent of industry, every item carries a sponsorship
badge, and :func:`must_show` names the studies a digest never cuts for its item cap: new harm
reports and findings against the procedure.

Pure functions of ``watcher.records.Evidence``; the classifier that fills it is never imported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from digests.model import Count
from digests.safetymodel import HarmGroup, HarmReport, Independence, Safety
from digests.wording import clip, harm_label, plural
from watcher.records import Article, Evidence, HarmEvent
from watcher.vocabulary import AGAINST, HARM_KINDS, SPONSORSHIP, SURGERY_NEEDED

# Designs whose patients are other studies' patients: left out of the patient counts.
POOLS_OTHERS = frozenset(
    {"systematic_review_meta_analysis", "narrative_review", "guideline_consensus",
     "economic_analysis"}
)  # fmt: skip
HARM_SNIPPET = 160  # characters of the study's words quoted under each harm report

Pair = tuple[Article, Evidence]


def must_show(evidence: Evidence) -> bool:
    """A harm report or a finding against the procedure: never cut by the item cap."""
    return bool(evidence.harms or evidence.against)


def is_serious(event: HarmEvent) -> bool:
    """A harm the study calls serious, or one that needed surgery."""
    return event.seriousness == "serious" or event.surgery == "yes"


def gravity(pair: Pair) -> tuple[int, int, str]:
    """Sort key among harm reports and findings against the procedure: a serious harm (or a
    finding of one) first, then the most recent; a baseline lists only the first few."""
    article, evidence = pair
    serious = any(is_serious(e) for e in evidence.harms) or any(
        str(t.value) == "serious_harm" for t in evidence.against
    )
    return (not serious, -(article.pub_year or 0), article.pmid)


def harm_facts(event: HarmEvent) -> str:
    """What a study states about one harm: "3 of 120 patients (2.5%); serious; needed
    surgery". Nothing is filled in that the study does not say."""
    percent = f"{event.percent:g}%" if event.percent is not None else ""
    if event.count is not None and event.denominator:
        size = f"{event.count} of {event.denominator:,} patients"
    elif event.count is not None:
        size = plural(event.count, "patient")
    else:
        size = ""
    if size and percent:
        size += f" ({percent})"
    parts = [size or percent or "number not stated"]
    if event.seriousness:
        parts.append(event.seriousness)
    if event.surgery in ("yes", "no"):
        parts.append(SURGERY_NEEDED[event.surgery])
    return "; ".join(parts)


def build_safety(studies: Sequence[Pair], cite: Callable[[Article], str]) -> Safety:
    """Harms by kind (the vocabulary's order), each with its studies in the order given
    (strongest first); then the counts of studies that stated none occurred."""
    groups: dict[str, list[HarmReport]] = {kind: [] for kind in HARM_KINDS}
    no_events = no_serious = 0
    for article, evidence in studies:
        for event in evidence.harms:
            groups.setdefault(event.kind, []).append(
                HarmReport(
                    pmid=article.pmid,
                    citation=cite(article),
                    design=evidence.design,
                    facts=harm_facts(event),
                    snippet=clip(event.snippet, HARM_SNIPPET),
                    serious=is_serious(event),
                    year=article.pub_year,
                )
            )
        scopes = {str(tag.value) for tag in evidence.absences}
        no_events += "any" in scopes
        no_serious += "serious" in scopes and "any" not in scopes
    harms = tuple(HarmGroup(kind, tuple(found)) for kind, found in groups.items() if found)
    return Safety(harms=harms, no_events=no_events, no_serious=no_serious)


def build_independence(studies: Sequence[Pair]) -> Independence:
    """Studies and (primary studies') patients per sponsorship value."""
    counted = Counter(evidence.sponsorship for _, evidence in studies)
    patients: Counter[str] = Counter()
    for _, evidence in studies:
        if evidence.design not in POOLS_OTHERS and evidence.sample_size:
            patients[evidence.sponsorship] += evidence.sample_size
    keys = [*SPONSORSHIP, *sorted(set(counted) - set(SPONSORSHIP))]
    return Independence(
        studies=tuple(
            Count(key, counted[key]) for key in keys if key in SPONSORSHIP or counted[key]
        ),
        patients=tuple(Count(key, patients[key]) for key in keys if patients[key]),
    )


def item_balance(evidence: Evidence) -> dict[str, Any]:
    """A digest item's sponsorship badge, harms and findings against (DigestItem fields)."""
    return {
        "sponsorship": evidence.sponsorship,
        "sponsorship_note": _sponsorship_note(evidence),
        "harms": tuple(f"{harm_label(e.kind)}: {harm_facts(e)}" for e in evidence.harms),
        "against": tuple(AGAINST.get(str(t.value), str(t.value)) for t in evidence.against),
    }


def _sponsorship_note(evidence: Evidence) -> str:
    """The first funding or disclosure statement, quoted; a grant as PubMed lists it."""
    if not evidence.sponsorship_tags:
        return ""
    tag = evidence.sponsorship_tags[0]
    if tag.source == "grants":
        return f"PubMed lists a grant from {clip(tag.snippet, 150)}"
    return f'"{clip(tag.snippet, 150)}"'
