"""The article filters `articles list` and `export` share, as one click decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from watcher.store import ArticleFilter
from watcher.vocabulary import DESIGNS, LEVELS, QUESTIONS

_OPTIONS = (
    click.option("--search", metavar="NAME", help="Only articles this saved search found."),
    click.option("--since", metavar="DATE", help="First seen on or after DATE (YYYY-MM-DD)."),
    click.option("--text", metavar="WORDS", help="Title or abstract contains WORDS."),
    click.option("--design", type=click.Choice(DESIGNS), help="Only this study design."),
    click.option("--level", type=click.Choice(LEVELS), help="Only this level of evidence."),
    click.option(
        "--min-followup", type=float, metavar="MONTHS", help="Follow-up of at least MONTHS."
    ),
    click.option("--question", type=click.Choice(QUESTIONS), help="Addresses this question."),
    click.option(
        "--relevance",
        type=click.Choice(["relevant", "uncertain", "not_relevant"]),
        help="Only this relevance to MILD.",
    ),
)
_NAMES = ("search", "since", "text", "design", "level", "min_followup", "question", "relevance")


def article_filters(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options; the command receives them as one ``filters: ArticleFilter``."""

    @functools.wraps(command)
    def with_filters(*args: Any, **kwargs: Any) -> Any:
        chosen = {name: kwargs.pop(name) for name in _NAMES}
        return command(*args, filters=ArticleFilter(**chosen), **kwargs)

    for option in reversed(_OPTIONS):
        with_filters = option(with_filters)
    return with_filters
