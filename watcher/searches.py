"""Saved searches: seeded from the topic profile, tried against PubMed before they are
saved, and versioned (every change kept with its author and reason).

A query PubMed does not run as written (ErrorList: PhraseNotFound, FieldNotFound...) is
refused here, before it can quietly broaden a librarian's search.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from watcher.clock import days_before, pubmed_date
from watcher.errors import ConfigError, QueryError
from watcher.pubmed import EntrezClient, SearchResult
from watcher.records import Article, Search
from watcher.store import Store
from watcher.tomlfile import TomlFile, syntax_error

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class SearchSpec:
    """A saved search as a profile file declares it."""

    name: str
    query: str
    description: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class QueryCheck:
    """What PubMed made of a query: enough for a librarian to judge it before saving."""

    result: SearchResult
    sample: tuple[Article, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.result.problems


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise QueryError(
            f"search name {name!r} is not usable: use lower-case letters, digits, '.', '_' "
            "or '-' (e.g. mild-outcomes)"
        )
    return name


def check_syntax(query: str) -> str:
    """Catch what PubMed would reject outright, without a request: empty, unbalanced."""
    text = query.strip()
    if not text:
        raise QueryError("the query is empty")
    if text.count('"') % 2:
        raise QueryError(f"unbalanced quotes in query: {text}")
    depth = 0
    for position, char in enumerate(text, start=1):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise QueryError(f"unbalanced ')' at character {position} of the query")
    if depth:
        raise QueryError("unbalanced '(' in the query: a closing parenthesis is missing")
    return text


def read_profile(
    path: Path, *, what: str = "topic profile", fix: str = "fix [poll] profile"
) -> dict:
    """A topic profile file's tables (for the saved searches it seeds: PubMed's and the
    registry's), or a ``searches export`` file's; a missing or unreadable file is a
    ConfigError."""
    return _profile_file(path, what=what, fix=fix).data


def _profile_file(path: Path, *, what: str, fix: str) -> TomlFile:
    """The file with its text, so that each error names its line."""
    try:
        return TomlFile.parse(path.read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} not found; {fix}") from None
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(path, exc) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from None


def profile_searches(
    path: Path, *, what: str = "topic profile", fix: str = "fix [poll] profile"
) -> list[SearchSpec]:
    """The ``[[searches]]`` of a topic profile file (or of a ``searches export`` file); each
    error names the file, the line and the entry."""
    where = _profile_file(path, what=what, fix=fix)
    specs = []
    for number, entry in enumerate(where.data.get("searches", []), start=1):
        at = f"searches[{number}]"
        if not isinstance(entry, dict) or not {"name", "query"} <= set(entry):
            missing = "query" if isinstance(entry, dict) and "name" in entry else "name"
            raise where.error(
                f"{at}.{missing}", f"[[searches]] entry {number} needs a name and a query"
            )
        unknown = sorted(set(entry) - {"name", "query", "description", "enabled"})
        if unknown:
            raise where.error(
                f"{at}.{unknown[0]}", f"[[searches]] entry {number} has unknown key {unknown[0]!r}"
            )
        checked = {}
        for key, check in (("name", check_name), ("query", check_syntax)):
            try:
                checked[key] = check(str(entry[key]))
            except QueryError as exc:
                raise where.error(f"{at}.{key}", f"[[searches]] entry {number}: {exc}") from None
        specs.append(
            SearchSpec(
                name=checked["name"],
                query=checked["query"],
                description=str(entry.get("description", "")),
                enabled=bool(entry.get("enabled", True)),
            )
        )
    return specs


def seed_searches(store: Store, specs: list[SearchSpec], *, author: str) -> list[Search]:
    """Add the profile's searches that the database does not have yet (never overwrites)."""
    added = []
    for spec in specs:
        if store.search(spec.name) is None:
            added.append(
                store.add_search(
                    spec.name,
                    spec.query,
                    spec.description,
                    enabled=spec.enabled,
                    author=author,
                    reason="seeded from the topic profile",
                )
            )
    return added


def try_query(
    client: EntrezClient,
    query: str,
    *,
    days: int | None = None,
    today: date | None = None,
    sample: int = 5,
) -> QueryCheck:
    """Run a query on PubMed without saving anything: count, translation, errors, a sample."""
    term = check_syntax(query)
    if days is not None:
        end = today or date.today()
        term = f"({term}) AND {pubmed_date(days_before(end, days))}:{pubmed_date(end)}[edat]"
    result = client.esearch(term, retmax=max(sample, 0), usehistory=False)
    articles = tuple(client.fetch(list(result.ids[:sample]))) if sample and result.ids else ()
    return QueryCheck(result, articles)


def save_search(
    store: Store,
    client: EntrezClient | None,
    name: str,
    query: str,
    *,
    description: str = "",
    author: str,
    reason: str,
) -> tuple[Search, QueryCheck | None]:
    """Add a search, or change its query, after checking PubMed runs it as written.

    ``client=None`` skips the check (offline); the syntax is still checked.
    """
    check_name(name)
    query = check_syntax(query)
    check = None
    if client is not None:
        check = try_query(client, query, sample=0)
        if not check.ok:
            raise QueryError(
                f"not saved: PubMed did not run the query as written "
                f"({'; '.join(check.result.problems)}). PubMed's translation: "
                f"{check.result.translation or '(none)'}"
            )
    existing = store.search(name)
    if existing is None:
        return store.add_search(name, query, description, author=author, reason=reason), check
    with store.transaction():
        saved = store.update_search(
            name, query=query, description=description or None, author=author, reason=reason
        )
        if saved.query != existing.query:
            # Older records may match the new query: backfill it (stored ones cost nothing).
            store.reset_watermark(saved.id)
    return saved, check
