"""ClinicalTrials.gov API v2 JSON → :class:`watcher.trials.Trial` (pure).

The shapes are the API's (``GET /api/v2/studies``; data structure documented at
clinicaltrials.gov/data-api/about-api/study-data-structure): a page is
``{"studies": [...], "nextPageToken": "...", "totalCount": N}``; a study is
``{"protocolSection": {"identificationModule": {"nctId", "briefTitle", "acronym"},
"statusModule": {"overallStatus", "whyStopped", "startDateStruct": {"date", "type"},
"primaryCompletionDateStruct", "completionDateStruct", "lastUpdatePostDateStruct",
"resultsFirstPostDateStruct"}, "sponsorCollaboratorsModule": {"leadSponsor": {"name",
"class"}}, "conditionsModule": {"conditions"}, "designModule": {"studyType", "phases",
"designInfo": {"allocation"}, "enrollmentInfo": {"count", "type"}}, "armsInterventionsModule":
{"armGroups": [{"label", "type"}], "interventions": [{"type", "name"}]}, "outcomesModule":
{"primaryOutcomes": [{"timeFrame"}], "secondaryOutcomes"}, "referencesModule": {"references":
[{"pmid", "type", "citation"}]}}, "hasResults": bool}``. Modules the ``fields`` parameter left
out, or the registry does not have for a study, are simply absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from watcher.errors import RegistryError
from watcher.trials import Trial, TrialReference

NCT_ID = re.compile(r"NCT\d{8}")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(day|week|month|year)s?\b", re.IGNORECASE)
_MONTHS_PER = {"day": 1 / 30.4375, "week": 7 / 30.4375, "month": 1.0, "year": 12.0}


@dataclass(frozen=True)
class StudyPage:
    """One page of a studies search: its trials, the token of the next page, the total
    (``totalCount``, sent on the first page when ``countTotal=true``)."""

    trials: tuple[Trial, ...]
    next_page_token: str | None = None
    total: int | None = None


def parse_page(data: bytes, *, source: str = "registry reply") -> StudyPage:
    """A ``/studies`` reply; anything that is not the API's JSON raises RegistryError."""
    try:
        page = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryError(f"{source} is not valid JSON ({exc})") from None
    if not isinstance(page, dict) or not isinstance(page.get("studies"), list):
        raise RegistryError(f"{source} has no 'studies' list; is registry.base_url the API v2?")
    trials = tuple(parse_study(study, source=source) for study in page["studies"])
    token = page.get("nextPageToken")
    total = page.get("totalCount")
    return StudyPage(
        trials,
        str(token) if token else None,
        int(total) if isinstance(total, int) else None,
    )


def parse_study(study: Any, *, source: str = "registry reply") -> Trial:
    """One study object → Trial; a study without a well-formed NCT id is a malformed reply."""
    protocol = _table(study, "protocolSection")
    ident = _table(protocol, "identificationModule")
    nct_id = str(ident.get("nctId", ""))
    if not NCT_ID.fullmatch(nct_id):
        raise RegistryError(f"{source}: a study has no valid nctId ({nct_id!r})")
    status = _table(protocol, "statusModule")
    design = _table(protocol, "designModule")
    enrollment = _table(design, "enrollmentInfo")
    arms = _table(protocol, "armsInterventionsModule")
    sponsor = _table(_table(protocol, "sponsorCollaboratorsModule"), "leadSponsor")
    outcomes = _table(protocol, "outcomesModule")
    count = enrollment.get("count")
    start, start_type = _date(status, "startDateStruct")
    primary, primary_type = _date(status, "primaryCompletionDateStruct")
    completion, completion_type = _date(status, "completionDateStruct")
    frames = [
        str(o.get("timeFrame", ""))
        for key in ("primaryOutcomes", "secondaryOutcomes")
        for o in _list(outcomes, key)
    ]
    return Trial(
        nct_id=nct_id,
        title=str(ident.get("briefTitle") or ident.get("officialTitle") or nct_id),
        acronym=str(ident.get("acronym", "")),
        status=str(status.get("overallStatus", "UNKNOWN")),
        why_stopped=str(status.get("whyStopped", "")),
        study_type=str(design.get("studyType", "")),
        phases=_strings(design.get("phases")),
        allocation=str(_table(design, "designInfo").get("allocation", "")),
        enrollment=int(count) if isinstance(count, int | float) else None,
        enrollment_type=str(enrollment.get("type", "")),
        start_date=start,
        start_date_type=start_type,
        primary_completion_date=primary,
        primary_completion_type=primary_type,
        completion_date=completion,
        completion_type=completion_type,
        last_update_posted=_date(status, "lastUpdatePostDateStruct")[0],
        has_results=bool(study.get("hasResults", False)),
        results_first_posted=_date(status, "resultsFirstPostDateStruct")[0],
        sponsor=str(sponsor.get("name", "")),
        sponsor_class=str(sponsor.get("class", "")),
        conditions=_strings(_table(protocol, "conditionsModule").get("conditions")),
        interventions=tuple(
            _labelled(i.get("type"), i.get("name")) for i in _list(arms, "interventions")
        ),
        arms=tuple(_labelled(a.get("type"), a.get("label")) for a in _list(arms, "armGroups")),
        followup_months=longest_time_frame(frames),
        references=tuple(
            TrialReference(str(r["pmid"]), str(r.get("type", "")), str(r.get("citation", "")))
            for r in _list(_table(protocol, "referencesModule"), "references")
            if str(r.get("pmid", "")).isdigit()
        ),
        raw=json.dumps(study, sort_keys=True, ensure_ascii=False),
    )


def longest_time_frame(frames: list[str]) -> float | None:
    """The longest duration the outcome time frames name, in months ("5 years" → 60.0)."""
    months = [
        float(number) * _MONTHS_PER[unit.lower()]
        for frame in frames
        for number, unit in _DURATION.findall(frame)
    ]
    return round(max(months), 1) if months else None


def _table(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _list(parent: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = parent.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _date(status: dict[str, Any], key: str) -> tuple[str, str]:
    struct = _table(status, key)
    return str(struct.get("date", "")), str(struct.get("type", ""))


def _labelled(kind: Any, name: Any) -> str:
    return f"{kind}: {name}" if kind else str(name or "")
