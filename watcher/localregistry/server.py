"""A local ClinicalTrials.gov API v2 over a folder of study JSON records.

Answers ``GET /api/v2/studies`` the way the real API does (shapes as documented at
clinicaltrials.gov/data-api/api and its OpenAPI description): ``query.term`` (anywhere in the
record), ``query.intr`` (interventions and arms), ``query.cond`` (conditions, keywords and
titles), ``fields`` (keeps only the named dotted paths), ``pageSize`` (default 10, at most
1000) and ``pageToken`` paging with ``nextPageToken``, ``countTotal=true`` (``totalCount`` on
the first page), ``format=json``. A malformed query, an unknown parameter or field, a bad
page size or token get HTTP 400 with a one-line plain-text reason, as the real API answers.
Faults (429, 5xx, delays, bodies cut in half) and the request log come from the shared
scaffold (``watcher.localpubmed.serving``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from watcher.localpubmed.replies import TEXT_TYPE, Reply
from watcher.localpubmed.serving import LocalServer, serve_until_interrupted
from watcher.localregistry.query import Matcher, parse_expression

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
TOP_LEVEL = ("protocolSection", "derivedSection", "resultsSection", "documentSection",
             "annotationSection", "hasResults")  # fmt: skip
KNOWN_PARAMS = {"query.term", "query.intr", "query.cond", "fields", "pageSize", "pageToken",
                "countTotal", "format", "sort"}  # fmt: skip


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value (what query.term searches)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _module(study: dict[str, Any], name: str) -> dict[str, Any]:
    return study.get("protocolSection", {}).get(name, {}) or {}


def _intervention_text(study: dict[str, Any]) -> str:
    arms = _module(study, "armsInterventionsModule")
    return " | ".join(_strings(arms.get("interventions", [])) + _strings(arms.get("armGroups", [])))


def _condition_text(study: dict[str, Any]) -> str:
    ident, conditions = _module(study, "identificationModule"), _module(study, "conditionsModule")
    titles = [ident.get(k, "") for k in ("briefTitle", "officialTitle", "acronym")]
    return " | ".join(_strings(conditions) + titles)


AREAS: dict[str, Callable[[dict[str, Any]], str]] = {
    "query.term": lambda study: " | ".join(_strings(study)),
    "query.intr": _intervention_text,
    "query.cond": _condition_text,
}


def select_fields(study: dict[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """The study with only the dotted ``paths`` kept (a path to a module keeps all of it)."""
    kept: dict[str, Any] = {}
    for path in paths:
        source: Any = study
        parts = path.split(".")
        for part in parts:
            source = source.get(part) if isinstance(source, dict) else None
        if source is None:
            continue
        target = kept
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = source
    return kept


class LocalRegistry(LocalServer):
    """``with LocalRegistry(folder) as registry:`` serves the studies on a free port."""

    ENDPOINTS = ("studies",)
    NAME = "local registry"

    def __init__(
        self, records: Path | Sequence[Path] | None = None, *, host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(host=host, port=port)
        self.studies: dict[str, dict[str, Any]] = {}
        for path in [records] if isinstance(records, str | Path) else records or ():
            self.add_path(Path(path))

    @property
    def base_url(self) -> str:
        """The API base, e.g. "http://127.0.0.1:<port>/api/v2/", once started."""
        host, port = self.address
        return f"http://{host}:{port}/api/v2/"

    def add_study(self, study: dict[str, Any]) -> str:
        """Add or replace (by NCT id) one study; returns its NCT id."""
        nct_id = study["protocolSection"]["identificationModule"]["nctId"]
        with self._lock:
            self.studies[nct_id] = study
        return nct_id

    def add_path(self, path: Path) -> list[str]:
        """Add the studies of a JSON file (one study, or ``{"studies": [...]}``) or of every
        ``*.json`` file in a folder; a study already served is replaced (a later snapshot)."""
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        added = []
        for file in files:
            data = json.loads(file.read_text(encoding="utf-8"))
            for study in data.get("studies", [data]) if isinstance(data, dict) else data:
                added.append(self.add_study(study))
        return added

    def remove(self, nct_id: str) -> None:
        with self._lock:
            self.studies.pop(nct_id, None)

    # --- request handling ------------------------------------------------------------------

    def _route(self, path: str) -> str | None:
        return "studies" if path.rstrip("/") == "/api/v2/studies" else None

    def _reply(self, endpoint: str, params: dict[str, str]) -> Reply:
        try:
            return self._studies(params)
        except ValueError as problem:
            return Reply(400, f"{problem}\n".encode(), TEXT_TYPE)

    def _studies(self, p: dict[str, str]) -> Reply:
        unknown = sorted(set(p) - KNOWN_PARAMS)
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r}")
        if p.get("format", "json") != "json":
            raise ValueError(f"format {p['format']!r} is not served here; use format=json")
        matchers: list[tuple[Callable[[dict[str, Any]], str], Matcher]] = []
        for name, area in AREAS.items():
            if p.get(name, "").strip():
                try:
                    matchers.append((area, parse_expression(p[name])))
                except ValueError as problem:
                    raise ValueError(f"invalid {name}: {problem}") from None
        paths = [f.strip() for f in p.get("fields", "").split(",") if f.strip()]
        for path in paths:
            if path.split(".")[0] not in TOP_LEVEL:
                raise ValueError(f"unknown field {path!r} in fields")
        size = p.get("pageSize", str(DEFAULT_PAGE_SIZE)).strip()
        if not size.isdigit() or not 1 <= int(size) <= MAX_PAGE_SIZE:
            raise ValueError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}, not {size!r}")
        token = p.get("pageToken", "").strip()
        if token and not (token.startswith("lr") and token[2:].isdigit()):
            raise ValueError(f"invalid pageToken {token!r}")
        offset = int(token[2:]) if token else 0

        with self._lock:
            studies = [self.studies[k] for k in sorted(self.studies)]
        found = [s for s in studies if all(match(area(s)) for area, match in matchers)]
        page = found[offset : offset + int(size)]
        reply: dict[str, Any] = {"studies": [select_fields(s, paths) if paths else s for s in page]}
        if offset + int(size) < len(found):
            reply["nextPageToken"] = f"lr{offset + int(size)}"
        if p.get("countTotal", "").lower() == "true" and not token:
            reply["totalCount"] = len(found)
        return Reply(200, json.dumps(reply).encode(), JSON_TYPE)


def serve_forever(
    records: Sequence[Path],
    *,
    host: str = "127.0.0.1",
    port: int = 8766,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until Ctrl-C (for ``mildwatch localregistry``)."""
    server = LocalRegistry(records, host=host, port=port)
    serve_until_interrupted(server, on_ready and (lambda: on_ready(server.base_url)))
