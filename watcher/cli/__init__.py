"""The ``mildwatch`` command line: a thin click layer over the library.

Each command opens what it needs through :class:`~watcher.cli.app.App` and calls one
library function. This package is a composition root: it may import both ``watcher`` and
``digests``.
"""

from __future__ import annotations

from pathlib import Path

import click

from watcher import __version__
from watcher.cli.app import App
from watcher.cli.lazy import LazyCommand, LazyGroup

# Every command, where it lives and its one-line help for `mildwatch --help`; a command's
# module is imported only when that command runs (watcher/cli/lazy.py says why).
COMMANDS = {
    "articles": LazyCommand(
        "watcher.cli.watch:articles",
        "List stored articles (newest first), or show one: `articles show PMID`.",
    ),
    "backup": LazyCommand(
        "watcher.cli.watch:backup", "Copy the database to TARGET with SQLite's online backup API."
    ),
    "classify": LazyCommand(
        "watcher.cli.evidence:classify",
        "Tag PubMed XML or MEDLINE files, without a database: one JSON line per record.",
    ),
    "daemon": LazyCommand(
        "watcher.cli.service:daemon", "Run on the configured schedule until SIGTERM or Ctrl-C."
    ),
    "demo": LazyCommand(
        "watcher.cli.demo:demo",
        "Run the whole pipeline offline on the bundled synthetic sample, in a fresh folder.",
    ),
    "digest": LazyCommand(
        "watcher.cli.mail:digest",
        "Preview a subscriber's digest, or compose and send the due ones.",
    ),
    "evidence": LazyCommand(
        "watcher.cli.evidence:evidence_command",
        "How the evidence on MILD stands, counted by study (a trial's reports count once): "
        "designs and levels, longest follow-up and its study, who paid, studies followed over "
        "time, studies per question, harms by kind and reoperations reported, a table per year.",
    ),
    "export": LazyCommand(
        "watcher.cli.exporting:export",
        "Export stored articles with their evidence tags (each with its snippet), newest first,"
        " filtered like `articles list`: RIS for Zotero and EndNote, BibTeX, CSV for "
        "spreadsheets, or JSON.",
    ),
    "import": LazyCommand(
        "watcher.cli.watch:import_",
        'Store records from PubMed XML or MEDLINE files (PubMed\'s "Save" formats).',
    ),
    "init": LazyCommand(
        "watcher.cli.watch:init",
        "Write a commented starter config, create the database and seed the saved searches.",
    ),
    "key-papers": LazyCommand(
        "watcher.cli.keypapers:key_papers",
        "Mark key papers (e.g. the RCTs, the longest follow-ups): each poll asks PubMed which "
        "papers now cite them, and reports a relevant one no saved search matches.",
    ),
    "localpubmed": LazyCommand(
        "watcher.cli.demo:localpubmed_command",
        "Serve esearch/efetch like NCBI over local records, to try queries offline.",
    ),
    "localregistry": LazyCommand(
        "watcher.cli.demo:localregistry_command",
        "Serve the ClinicalTrials.gov API v2 (/api/v2/studies) over local study records, to try"
        " registry searches offline.",
    ),
    "outbox": LazyCommand(
        "watcher.cli.mail:outbox",
        "Queued, sent and failed digests, newest first, with attempts and errors (`outbox show "
        "ID`: one message; `outbox prune`: drop old sent messages now; `outbox settle ID`: a "
        "digest held back because its delivery is unknown).",
    ),
    "poll": LazyCommand(
        "watcher.cli.watch:poll",
        "Fetch what PubMed added since the last poll, store it and tag its evidence.",
    ),
    "reclassify": LazyCommand(
        "watcher.cli.evidence:reclassify",
        "Re-tag articles after the classifier or the topic profile changed; list what changed.",
    ),
    "run": LazyCommand(
        "watcher.cli.service:run",
        "One unattended cycle, for cron: poll PubMed and the trial registry, then compose and "
        "send due digests.",
    ),
    "searches": LazyCommand(
        "watcher.cli.searches:searches",
        "List, test, add, edit, diff, export, import and audit the saved PubMed searches (every"
        " change is kept).",
    ),
    "status": LazyCommand(
        "watcher.cli.watch:status",
        "Where things stand: saved searches and their windows, failures, recent runs, the "
        "outbox, whether the daemon is alive and when its jobs fire next.",
    ),
    "studies": LazyCommand(
        "watcher.cli.studies:studies",
        "One study, many reports: how papers are grouped into studies (a trial's protocol, "
        "1-year and 2-year reports are one trial), and merging, splitting or confirming groups.",
    ),
    "subscribers": LazyCommand(
        "watcher.cli.mail:subscribers", "Add, list, edit and remove the people who receive digests."
    ),
    "trials": LazyCommand(
        "watcher.cli.trials:trials",
        "Registered trials from ClinicalTrials.gov: what long-term evidence is on its way.",
    ),
    "web": LazyCommand(
        "watcher.cli.web:web",
        "Serve the evidence map, one-click unsubscribe and each subscriber's preferences.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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


def main() -> None:
    cli(prog_name="mildwatch")
