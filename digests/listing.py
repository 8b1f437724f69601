"""How much of the landscape's growing lists a digest lists: a mail stays readable (and under
the size at which mail clients clip it) however large the literature grows.

"How safe is it?", "Studies followed over time", "Follow-up grew" and the reoperation figures
grow with every study published. A digest keeps every count complete and lists at most
:data:`LISTED` entries of each, then one line "and N more …" pointing to where all of them are
(the web evidence map, or the command that lists them). Which entries are listed is a stated
order: for each kind of harm, the reports new in this digest first (always, however many),
then serious ones and those that needed surgery, then the most recent; the other lists keep
their own order (strongest studies first, largest growth first). A list no longer than the
bound is left as it is, so small collections read exactly as before.

Pure functions of the view model; ``Shared.listed`` makes each distinct result once a run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from digests.model import Landscape
from digests.safetymodel import HarmGroup, HarmReport

LISTED = 6  # entries listed per kind of harm and per landscape list (reoperation figures too)

T = TypeVar("T")


def pick(
    entries: Sequence[T],
    limit: int = LISTED,
    *,
    rank: Callable[[T], Any] | None = None,
    always: Callable[[T], bool] | None = None,
) -> tuple[T, ...] | None:
    """The entries a digest lists, in their own order: every one ``always`` holds for, then
    the first by ``rank`` (default: their order) up to ``limit`` in all; None when every entry
    fits (nothing is cut)."""
    if len(entries) <= limit and always is None:
        return None
    kept = {i for i, entry in enumerate(entries) if always is not None and always(entry)}
    others = [i for i in range(len(entries)) if i not in kept]
    if rank is not None:
        others.sort(key=lambda i: rank(entries[i]))  # stable: ties keep their order
    kept.update(others[: max(limit - len(kept), 0)])
    if len(kept) == len(entries):
        return None
    return tuple(entries[i] for i in sorted(kept))


def harm_rank(report: HarmReport) -> tuple[bool, int]:
    """Serious ones (or those that needed surgery) first, then the most recent."""
    return (not report.serious, -(report.year or 0))


def list_harms(group: HarmGroup, new: Collection[str], limit: int = LISTED) -> HarmGroup:
    """``group`` listing its new reports and then the first others by :func:`harm_rank`."""
    chosen = pick(group.reports, limit, rank=harm_rank, always=lambda r: r.pmid in new)
    return group if chosen is None else replace(group, listed_only=chosen)


def list_landscape(land: Landscape, new: Collection[str] = (), limit: int = LISTED) -> Landscape:
    """``land`` as a digest lists it (``new``: the PMIDs this digest brings; none in a
    baseline, where the whole backlog is new). The very object when nothing is cut."""
    harms = tuple(list_harms(group, new, limit) for group in land.safety.harms)
    followed, growth = pick(land.followed, limit), pick(land.growth, limit)
    if followed is None and growth is None and harms == land.safety.harms:
        return land
    return replace(
        land,
        safety=replace(land.safety, harms=harms),
        followed_only=followed,
        growth_only=growth,
    )
