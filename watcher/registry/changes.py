"""What changed in a trial between two snapshots, as events (pure).

Compared: the overall status (a trial completed, was terminated or withdrawn with its reason,
or moved on), the expected primary completion and completion dates (a date that slipped), and
results being posted. A trial seen for the first time is "registered". Fields nobody acts on
(the last-update date, the sponsor's wording) make no event, so a registry re-saving a record
is not news; nor do the dates of a trial that just ended (they are part of the ending).
"""

from __future__ import annotations

from watcher.trials import Trial, TrialEvent

_STATUS_EVENTS = {
    "COMPLETED": "completed",
    "TERMINATED": "terminated",
    "WITHDRAWN": "withdrawn",
    "SUSPENDED": "suspended",
}
_DATES = (
    ("primary_completion_date", "primary_completion_type", "primary completion"),
    ("completion_date", "completion_type", "study completion"),
)


def trial_events(old: Trial | None, new: Trial, *, at: str) -> list[TrialEvent]:
    """The events that take ``old`` (None: never seen) to ``new``."""
    if old is None:
        return [TrialEvent(new.nct_id, "registered", at, new=new.status)]
    events = []
    ended = False
    if new.status != old.status:
        kind = _STATUS_EVENTS.get(new.status, "status")
        detail = new.why_stopped if kind in ("terminated", "withdrawn", "suspended") else ""
        if kind == "completed":
            detail = new.expected_completion[0]
        events.append(TrialEvent(new.nct_id, kind, at, old.status, new.status, detail))
        ended = kind in ("completed", "terminated", "withdrawn")
    for date_field, type_field, name in _DATES:
        if ended:
            break  # the dates a trial ends on are part of its ending, not a slip
        before, after = getattr(old, date_field), getattr(new, date_field)
        if before and after and before != after:
            detail = f"{name} ({getattr(new, type_field).lower() or 'no type'})"
            events.append(TrialEvent(new.nct_id, "date_moved", at, before, after, detail))
    if new.has_results and not old.has_results:
        events.append(TrialEvent(new.nct_id, "results_posted", at, new=new.results_first_posted))
    return events
