"""The offline aids over the local test doubles: `mildwatch demo`, `mildwatch localpubmed`
and `mildwatch localregistry` (the only commands that import ``watcher.localpubmed`` and
``watcher.localregistry``).

`mildwatch demo` runs the whole service, offline, on the bundled synthetic sample.

It does what an admin would do, in a fresh folder: start an E-utilities server and a
ClinicalTrials.gov server (the project's local ones, over the synthetic samples), write a
config, init, add a subscriber, poll both as of the end of 2024 and send the first digest (a
baseline), then poll again today — the registry now shows a later snapshot: a date slipped, a
trial terminated, results posted — and send the update, showing incremental polling, "never
the same paper twice" and "Evidence on its way". Every step goes through the same library
code as the real commands.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import click

from digests.landscape import build_landscape, evidence_studies
from digests.render import browser_html
from digests.retention import message_bytes
from watcher import searches
from watcher.cli import jobs, show, trials
from watcher.clock import utc_now
from watcher.config import load_config, starter_config
from watcher.errors import ConfigError
from watcher.evidence import default_profile_path
from watcher.localpubmed import SAMPLE_DIR, LocalPubMed, serve_forever
from watcher.localregistry import LATER_DIR, LocalRegistry
from watcher.localregistry import SAMPLE_DIR as REGISTRY_SAMPLE
from watcher.localregistry import serve_forever as serve_registry
from watcher.store import Store

MARKER = ".mildwatch-demo"
SUBSCRIBER = "surgeon@example.org"
FIRST_POLL = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
BANNER = (
    "*** SYNTHETIC SAMPLE DATA: every record and registered trial below is made up (titles "
    "start with [SYNTHETIC]); none of these studies or trials exists. ***"
)


def prepare(folder: Path) -> None:
    """A fresh demo folder; refuses to wipe a folder the demo did not create."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise ConfigError(
                f"{folder} exists and was not made by `mildwatch demo`; "
                "choose another folder with --dir"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by `mildwatch demo`; safe to delete\n", encoding="utf-8")


def heading(text: str) -> None:
    click.echo("")
    click.secho(text, bold=True)


@click.command()
@click.option(
    "--dir",
    "folder",
    default="mildwatch-demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's config, database and outbox (recreated each run).",
)
def demo(folder: Path) -> None:
    """Run the whole pipeline offline on the bundled synthetic sample, in a fresh folder.

    Starts local E-utilities and ClinicalTrials.gov servers over the samples, initialises a
    config and database, polls as of 31 Dec 2024 and today, tags the evidence, and writes two
    digests (a baseline and an update) to the outbox. The data and trials are synthetic.
    """
    click.secho(BANNER, fg="yellow")
    prepare(folder)
    config_file = folder / "mildwatch.toml"
    with LocalPubMed(SAMPLE_DIR) as pubmed, LocalRegistry(REGISTRY_SAMPLE) as registry:
        click.echo(
            f"Local E-utilities server over {len(pubmed.index)} sample records: {pubmed.base_url}"
        )
        click.echo(
            f"Local ClinicalTrials.gov server over {len(registry.studies)} synthetic trials: "
            f"{registry.base_url}"
        )
        config_file.write_text(
            starter_config(
                email="demo@example.org",
                base_url=pubmed.base_url,
                registry_url=registry.base_url,
            ),
            encoding="utf-8",
        )
        config = load_config(config_file)
        with Store.open(config.database) as store:
            searches.seed_searches(
                store, searches.profile_searches(default_profile_path()), author="demo"
            )
            store.add_subscriber(
                SUBSCRIBER, now=FIRST_POLL.isoformat(), name="Demo Surgeon", frequency="weekly"
            )
        click.echo(f"Config {config_file}; database {config.database}; subscriber {SUBSCRIBER}")

        heading("1. First poll, as of 31 Dec 2024 (backfill)")
        polled = jobs.poll_job(config, now=FIRST_POLL)
        for line in show.poll_report(polled):
            click.echo(line)
        for line in trials.registry_report_lines(jobs.registry_job(config, now=FIRST_POLL)):
            click.echo(line)
        first = jobs.digest_job(config, now=FIRST_POLL, everyone=True)
        for line in show.mail_report(first):
            click.echo(line)

        heading("2. Second poll, today (only what PubMed added since; the registry changed)")
        now = utc_now()
        polled_again = jobs.poll_job(config, now=now)
        for line in show.poll_report(polled_again):
            click.echo(line)
        registry.add_path(LATER_DIR)  # the registry as it stands later: dates, stops, results
        for line in trials.registry_report_lines(jobs.registry_job(config, now=now)):
            click.echo(line)
        second = jobs.digest_job(config, now=now, everyone=True)
        for line in show.mail_report(second):
            click.echo(line)
        failed = not (polled.ok and polled_again.ok and first.ok and second.ok)

    with Store.open(config.database) as store:
        heading("3. How the evidence stands")
        pairs = store.classified()
        studies = evidence_studies(pairs, store.study_decisions())
        for line in show.landscape_lines(build_landscape(pairs, studies=studies)):
            click.echo(line)
        sent = [e for e in reversed(store.outbox(status="sent")) if e.kind != "alert"]
        pages = []
        for number, entry in enumerate(sent, start=1):
            page = folder / f"digest-{number}-{entry.kind}.html"
            message = message_bytes(store, entry, config.mail)  # the .eml: its one copy
            page.write_text(browser_html(message), encoding="utf-8")
            pages.append((entry, page))

    heading("4. The digests (also written as .eml files, as a mail server would get them)")
    click.echo(f"  outbox: {config.mail.outbox_dir}")
    for entry, page in pages:
        click.echo(f"  {entry.kind:<9} {entry.subject}")
        click.echo(f"            open in a browser: {page}")
    click.echo("")
    click.echo(f"Try: uv run mildwatch --config {config_file} articles list --min-followup 24")
    click.echo(f"     uv run mildwatch --config {config_file} trials list")
    click.secho(BANNER, fg="yellow")
    if failed:
        click.echo("The demo did not run cleanly: see the FAILED lines above.", err=True)
        raise click.exceptions.Exit(1)


@click.command(name="localpubmed")
@click.option(
    "--corpus",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Folder or file of PubMed XML records (default: the bundled synthetic sample).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
def localpubmed_command(corpus: tuple[Path, ...], host: str, port: int) -> None:
    """Serve esearch/efetch like NCBI over local records, to try queries offline.

    Point [entrez] base_url at the printed address. Stop with Ctrl-C.
    """

    def ready(base_url: str) -> None:
        click.echo(f"Local E-utilities at {base_url}  (Ctrl-C to stop)")
        click.echo(f'Set base_url = "{base_url}" under [entrez] to use it.')

    serve_forever(list(corpus) or [SAMPLE_DIR], host=host, port=port, on_ready=ready)


@click.command(name="localregistry")
@click.option(
    "--records",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Folder or file of study JSON records (default: the bundled synthetic trials).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8766, show_default=True, type=click.IntRange(0, 65535))
def localregistry_command(records: tuple[Path, ...], host: str, port: int) -> None:
    """Serve the ClinicalTrials.gov API v2 (/api/v2/studies) over local study records, to
    try registry searches offline.

    Point [registry] base_url at the printed address. Stop with Ctrl-C.
    """

    def ready(base_url: str) -> None:
        click.echo(f"Local ClinicalTrials.gov API at {base_url}  (Ctrl-C to stop)")
        click.echo(f'Set base_url = "{base_url}" under [registry] to use it.')

    serve_registry(list(records) or [REGISTRY_SAMPLE], host=host, port=port, on_ready=ready)


COMMANDS = (demo, localpubmed_command, localregistry_command)
