"""Commands for registered trials (ClinicalTrials.gov): `trials list|show|poll` and the saved
registry search, `trials search show|set`; and the registry lines `mildwatch run` prints."""

from __future__ import annotations

from collections.abc import Callable

import click

from digests.trials import trial_facts
from watcher.cli import jobs
from watcher.cli.app import App, pass_app
from watcher.cli.watch import current_user
from watcher.clock import iso, utc_now
from watcher.errors import ConfigError, MildwatchError, RegistryError
from watcher.registry import RegistryClient
from watcher.registry.poll import RegistryReport
from watcher.trials import RegistrySearch, Trial
from watcher.vocabulary import TRIAL_EVENT_LABELS, TRIAL_STATUS_LABELS

SYNTHETIC_NOTE = "Note: trials whose title starts with [SYNTHETIC] are made-up sample data."


# --- views (pure) -------------------------------------------------------------------------------


def registry_report_lines(report: RegistryReport | None) -> list[str]:
    if report is None:
        return ["Registry: off ([registry] enabled = false in the config)"]
    head = f"Registry poll run {report.run_id}: "
    if not report.ok:
        return [f"{head}FAILED  {report.error}"]
    counts = report.counts()
    changes = [
        f"{counts[kind]} {label.lower()}"
        for kind, label in TRIAL_EVENT_LABELS.items()
        if counts.get(kind) and kind != "registered"
    ]
    lines = [
        f"{head}{report.found} trial(s), {report.requests} request(s) to ClinicalTrials.gov",
        f"  changes: {', '.join(changes) or 'none'}; {counts.get('registered', 0)} newly "
        f"registered; {report.new_links} new paper link(s)",
    ]
    return lines


def trial_line(trial: Trial) -> str:
    name = f"{trial.nct_id} ({trial.acronym})" if trial.acronym else trial.nct_id
    return f"{name}  [{trial.status_label}]  {trial.title}"


def search_lines(search: RegistrySearch | None) -> list[str]:
    if search is None:
        return ["No registry search saved yet; the first registry poll seeds it from the profile."]
    return [
        f"Registry search (revision {search.revision}, {search.changed_at}, by {search.author}):",
        *(f"  {name} = {value}" for name, value in search.params().items()),
    ]


# --- the `run` hook -----------------------------------------------------------------------------


def echo_registry_poll(
    poll: Callable[[], RegistryReport | None], out: Callable[[str], None] = click.echo
) -> bool:
    """Run the registry poll for `mildwatch run`: its lines (to ``out``; `run --quiet`
    collects them), and whether it went well. Any failure is one line; the caller's PubMed
    side and digests go on regardless."""
    try:
        report = poll()
    except MildwatchError as exc:
        out(f"Registry: FAILED  {exc}")
        return False
    for line in registry_report_lines(report):
        out(line)
    return report is None or report.ok


# --- commands -----------------------------------------------------------------------------------


@click.group()
def trials() -> None:
    """Registered trials from ClinicalTrials.gov: what long-term evidence is on its way."""


@trials.command(name="poll")
@pass_app
def poll_trials(app: App) -> None:
    """Run the saved registry search now and store what changed.

    Exits 1 when the registry could not be searched (nothing is stored then).
    """
    config = app.config
    if not config.registry.enabled:
        raise ConfigError(
            f"{app.config_file}: the trial registry is off; set enabled = true under "
            "[registry] to poll the registry"
        )
    app.close()  # the job opens its own connection under the run lock
    report = jobs.registry_job(config)
    for line in registry_report_lines(report):
        click.echo(line)
    if report is not None and not report.ok:
        raise click.exceptions.Exit(1)


@trials.command(name="list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(sorted(TRIAL_STATUS_LABELS), case_sensitive=False),
    help="Only trials with this registry status (repeatable).",
)
@click.option("--all", "everything", is_flag=True, help="Also trials the search no longer finds.")
@pass_app
def list_trials(app: App, statuses: tuple[str, ...], everything: bool) -> None:
    """Registered trials the registry search finds: status and expected dates."""
    store = app.store
    wanted = {s.upper() for s in statuses}
    found = [
        t for t in store.trials(in_search_only=not everything) if not wanted or t.status in wanted
    ]
    state = store.registry_state()
    if state["last_attempt_at"] is None:
        click.echo("The registry has not been polled yet: run `mildwatch trials poll`.")
    elif state["last_error"]:
        click.echo(f"Last registry poll FAILED ({state['last_attempt_at']}): {state['last_error']}")
    for trial in found:
        click.echo(trial_line(trial))
        click.echo(f"    {trial_facts(trial)}")
    if any(t.synthetic for t in found):
        click.echo(SYNTHETIC_NOTE)
    if not found and state["last_attempt_at"] is not None:
        click.echo("No trials.")


@trials.command(name="show")
@click.argument("nct_id")
@pass_app
def show_trial(app: App, nct_id: str) -> None:
    """One trial: what the registry says, its changes, the papers linked to it."""
    store = app.store
    trial = store.trial(nct_id)
    if trial is None:
        raise click.ClickException(
            f"no trial {nct_id.strip().upper()} is stored; see `mildwatch trials list --all`"
        )
    click.echo(trial_line(trial))
    click.echo(f"  {trial_facts(trial)}")
    click.echo(f"  Sponsor: {trial.sponsor or '-'}; why stopped: {trial.why_stopped or '-'}")
    for label, values in (("Interventions", trial.interventions), ("Arms", trial.arms)):
        if values:
            click.echo(f"  {label}: {'; '.join(values)}")
    click.echo(f"  https://clinicaltrials.gov/study/{trial.nct_id}")
    links = store.trial_links(nct_ids=[trial.nct_id])
    stored = store.stored_pmids(link.pmid for link in links)
    for link in links:
        where = "stored" if link.pmid in stored else "not stored here"
        click.echo(f"  Paper PMID {link.pmid} (linked by {link.source}; {where})")
    if not links:
        click.echo("  No paper linked yet.")
    for event in store.trial_events(trial.nct_id):
        change = f"{event.old} → {event.new}" if event.old else event.new
        detail = f" ({event.detail})" if event.detail else ""
        click.echo(f"  {event.at}  {TRIAL_EVENT_LABELS.get(event.kind, event.kind)}: "
                   f"{change}{detail}")  # fmt: skip
    if trial.synthetic:
        click.echo(SYNTHETIC_NOTE)


@trials.group(name="search")
def search_group() -> None:
    """The saved registry search (query.term / query.intr / query.cond)."""


@search_group.command(name="show")
@pass_app
def search_show(app: App) -> None:
    """The registry search and every earlier revision."""
    history = app.store.registry_search_history()
    for line in search_lines(history[-1] if history else None):
        click.echo(line)
    for old in reversed(history[:-1]):
        click.echo(f"  was (revision {old.revision}, {old.changed_at}, {old.author}: "
                   f"{old.reason}): {old.describe()}")  # fmt: skip


@search_group.command(name="set")
@click.option("--term", help="Searched anywhere in a study record (query.term).")
@click.option("--intr", help="Searched in interventions and arms (query.intr).")
@click.option("--cond", help="Searched in conditions (query.cond).")
@click.option("--reason", default="edited", show_default=True, help="Kept in its history.")
@click.option("--offline", is_flag=True, help="Save without asking the registry first.")
@pass_app
def search_set(
    app: App, term: str | None, intr: str | None, cond: str | None, reason: str, offline: bool
) -> None:
    """Change the registry search (options left out keep their value; "" clears one).

    The registry is asked first: a query it rejects is not saved.
    """
    store = app.store
    current = store.registry_search() or RegistrySearch()
    wanted = RegistrySearch(
        term=current.term if term is None else term,
        intr=current.intr if intr is None else intr,
        cond=current.cond if cond is None else cond,
    )
    if not wanted.params():
        raise click.ClickException(
            "the registry search cannot be empty; give --term, --intr or --cond"
        )
    if not offline:
        with RegistryClient(app.config.registry) as client:
            try:
                found = client.count(wanted)
            except RegistryError as exc:
                raise RegistryError(f"not saved: {exc}") from None
        click.echo(f"ClinicalTrials.gov finds {found} stud{'y' if found == 1 else 'ies'}.")
    saved = store.save_registry_search(
        wanted, author=current_user(), reason=reason, now=iso(utc_now())
    )
    for line in search_lines(saved):
        click.echo(line)
