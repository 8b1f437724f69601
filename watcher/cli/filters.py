"""The article filters `articles list` and `export` share, as one click decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from watcher.vocabulary import DESIGNS, LEVELS, QUESTIONS


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


_OPTIONS = (
    click.option("--search", metavar="NAME", help="Only articles this saved search found."),
    click.option(
        "--since", metavar="DATE", callback=_since, help="First seen on or after DATE (YYYY-MM-DD)."
    ),
    click.option("--text", metavar="WORDS", help="Title or abstract contains WORDS."),
    click.option("--design", type=click.Choice(DESIGNS), help="Only this study design."),
    click.option("--level", type=click.Choice(LEVELS), help="Only this level of evidence."),
    click.option(
        "--min-followup",
        type=click.FloatRange(min=0),
        metavar="MONTHS",
        help="Follow-up of at least MONTHS.",
    ),
    click.option("--question", type=click.Choice(QUESTIONS), help="Addresses this question."),
    click.option(
        "--relevance",
        type=click.Choice(["relevant", "uncertain", "not_relevant"]),
        help="Only this relevance to MILD (default: relevant).",
    ),
    click.option(
        "--all", "everything", is_flag=True, help="Every stored article, whatever its relevance."
    ),
)
_NAMES = ("search", "since", "text", "design", "level", "min_followup", "question")


def article_filters(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options; the command receives them as one ``filters: ArticleFilter``.

    Articles relevant to MILD unless ``--relevance`` or ``--all`` says otherwise: what a
    surgeon or librarian means by "the articles"; the rest is noise a query let in.
    """

    @functools.wraps(command)
    def with_filters(*args: Any, **kwargs: Any) -> Any:
        chosen = {name: kwargs.pop(name) for name in _NAMES}
        relevance, everything = kwargs.pop("relevance"), kwargs.pop("everything")
        if everything and relevance:
            raise click.UsageError("give --relevance or --all, not both")
        chosen["relevance"] = None if everything else (relevance or "relevant")
        from watcher.store import ArticleFilter  # here, not at the top: `--help` needs no store

        return command(*args, filters=ArticleFilter(**chosen), **kwargs)

    for option in reversed(_OPTIONS):
        with_filters = option(with_filters)
    return with_filters
