"""Commands imported only when they run: start-up pays for click and one command, not all.

Click's documented lazy-loading pattern ("Advanced Groups"): the group knows each command by
name and by where it lives (``"watcher.cli.watch:status"``) and imports that module only when
the command is invoked or its own help is asked for. Importing every command module up front
pulled in Jinja2, httpx, APScheduler and Bio.Entrez for ``mildwatch --version``.

``mildwatch --help`` lists every command with its short help without importing any of them: the
short help is kept in the map next to the import path. ``tests/test_startup.py`` checks that the
listing is the same as the one the loaded commands would give, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

from watcher.cli.app import MildwatchGroup


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives (``module:attribute``) and the one line ``--help`` shows for it."""

    target: str
    short_help: str


class LazyGroup(MildwatchGroup):
    """A :class:`MildwatchGroup` whose commands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, LazyCommand], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(load(self.lazy[cmd_name].target), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing click would write, from the map for commands not yet imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # Not imported yet: a bare Command carrying the kept help shortens it as click would.
            command = self.commands.get(name) or click.Command(
                name, help=self.lazy[name].short_help
            )
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def load(target: str) -> click.Command:
    """The command object at ``module:attribute``."""
    module_name, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command
