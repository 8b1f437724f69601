"""Saved searches in a TOML file, so librarians can keep their queries in version control.

``searches export`` writes the ``[[searches]]`` tables a topic profile uses (name, description,
enabled, query); ``searches import`` reads such a file, checks every entry and asks PubMed
about every new or changed query *before* anything changes, shows what each change would do
(the query diff of :mod:`watcher.querydiff`), and saves what the librarian accepts as new
revisions, with who imported it and why. Searches missing from the file are left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from watcher.errors import MildwatchError
from watcher.evidence import Profile
from watcher.pubmed import EntrezClient
from watcher.querydiff import QueryDiff, diff_query
from watcher.records import Search
from watcher.searches import QueryCheck, SearchSpec, profile_searches, try_query
from watcher.store import Store


def dump_searches(searches: list[Search], *, exported_at: str) -> str:
    """TOML text, one ``[[searches]]`` table per search (read back by :func:`read_searches`)."""
    lines = [
        "# mildwatch saved searches",
        f"# exported {exported_at}; change them here, then `mildwatch searches import FILE`",
    ]
    for search in searches:
        lines += [
            "",
            "[[searches]]",
            f"name = {_string(search.name)}",
            f"description = {_string(search.description)}",
            f"enabled = {'true' if search.enabled else 'false'}",
            f"query = {_string(search.query)}",
        ]
    return "\n".join(lines) + "\n"


def _string(text: str) -> str:
    """A TOML literal string ('...', as written: queries are full of double quotes) when it
    can be one, else a basic string (JSON's escapes are TOML's too)."""
    if "'" not in text and text.isprintable():
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def read_searches(path: Path) -> list[SearchSpec]:
    """The searches of an exported file; each entry's name and query syntax checked."""
    specs = profile_searches(
        path, what="searches file", fix="give the file `mildwatch searches export` wrote"
    )
    names = [s.name for s in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise MildwatchError(f"{path}: search {repeated[0]!r} appears more than once")
    return specs


@dataclass(frozen=True)
class ImportChange:
    """One search of the file compared with the database."""

    spec: SearchSpec
    current: Search | None
    diff: QueryDiff | None = None  # a changed query, when PubMed was asked
    check: QueryCheck | None = None  # a new search, when PubMed was asked

    @property
    def kind(self) -> str:
        """ "new", "query" (the query changes), "details" (description/enabled) or "same"."""
        if self.current is None:
            return "new"
        if self.current.query != self.spec.query:
            return "query"
        if (self.current.description, self.current.enabled) != (
            self.spec.description,
            self.spec.enabled,
        ):
            return "details"
        return "same"


def plan_import(
    store: Store, client: EntrezClient | None, profile: Profile, specs: list[SearchSpec]
) -> list[ImportChange]:
    """Compare the file with the database; asks PubMed about every new or changed query
    (``client=None``: offline, syntax only). Raises on the first query PubMed does not run
    as written, before anything has changed."""
    changes = []
    for spec in specs:
        current = store.search(spec.name)
        change = ImportChange(spec, current)
        if client is not None and change.kind == "new":
            check = try_query(client, spec.query, sample=0)
            if not check.ok:
                raise MildwatchError(
                    f"search {spec.name!r}: PubMed did not run the query as written "
                    f"({'; '.join(check.result.problems)}); nothing was imported"
                )
            change = ImportChange(spec, current, check=check)
        elif client is not None and change.kind == "query":
            try:
                diff = diff_query(store, client, profile, current.query, spec.query)  # type: ignore[union-attr]
            except MildwatchError as exc:
                raise MildwatchError(f"search {spec.name!r}: {exc}") from None
            change = ImportChange(spec, current, diff=diff)
        changes.append(change)
    return changes


def apply_change(store: Store, change: ImportChange, *, author: str, reason: str) -> Search:
    """Save one accepted change as one new revision (a changed query is backfilled by the
    next poll, as after `searches edit`)."""
    spec = change.spec
    if change.kind == "new":
        return store.add_search(
            spec.name, spec.query, spec.description,
            enabled=spec.enabled, author=author, reason=reason,
        )  # fmt: skip
    with store.transaction():
        saved = store.update_search(
            spec.name,
            query=spec.query,
            description=spec.description,
            enabled=spec.enabled,
            author=author,
            reason=reason,
        )
        if change.kind == "query":
            store.reset_watermark(saved.id)
    return saved
