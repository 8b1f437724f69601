"""The ``mildwatch`` command line: a thin click layer over the library.

Each command opens what it needs through :class:`~watcher.cli.app.App` and calls one
library function. This package is a composition root: it may import both ``watcher`` and
``digests``.
"""

from __future__ import annotations

from pathlib import Path

import click

from watcher import __version__
from watcher.cli import (
    demo,
    evidence,
    exporting,
    keypapers,
    mail,
    outboxtools,
    querytools,
    searches,
    service,
    studies,
    trials,
    watch,
    web,
)
from watcher.cli.app import App, MildwatchGroup


@click.group(cls=MildwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: $MILDWATCH_CONFIG, else ./mildwatch.toml).",
)
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Errors only; no progress bars (for cron).")
@click.version_option(__version__, prog_name="mildwatch")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, verbose: int, quiet: bool) -> None:
    """mildwatch: new evidence on minimally invasive lumbar decompression (MILD), from
    PubMed to surgeons' inboxes.

    \b
    Start:   mildwatch demo            (offline, synthetic sample data)
    Set up:  mildwatch init --email you@example.org
             mildwatch searches test mild-outcomes
             mildwatch poll
    """
    app = App(config_arg=config_file, verbosity=-1 if quiet else verbose)
    app.setup_logging()
    ctx.obj = app
    ctx.call_on_close(app.close)


for command in (
    *demo.COMMANDS,
    *watch.COMMANDS,
    *service.COMMANDS,
    *evidence.COMMANDS,
    searches.searches,
    trials.trials,
    studies.studies,
    *mail.COMMANDS,
    *web.COMMANDS,
    *exporting.COMMANDS,
    *keypapers.COMMANDS,
):
    cli.add_command(command)
for command in querytools.SEARCH_COMMANDS:
    searches.searches.add_command(command)
for command in outboxtools.COMMANDS:
    mail.outbox.add_command(command)


def main() -> None:
    cli(prog_name="mildwatch")
